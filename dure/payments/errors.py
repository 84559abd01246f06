from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from dure.core.errors import Conflict, InvalidInput, NotFound


class BudgetExhausted(Conflict):
    code = "budget_exhausted"
    default_message = _(
        "This project's budget cannot pay for more items right now. Nobody works unpaid: "
        "new items are held until the client adds budget."
    )


class InsufficientBalance(Conflict):
    code = "insufficient_balance"
    default_message = _("Your balance is lower than the amount you asked for.")


class BelowPayoutMinimum(InvalidInput):
    code = "below_payout_minimum"
    default_message = _("A payout must be at least the minimum amount.")


class BankAccountMissing(Conflict):
    code = "bank_account_missing"
    default_message = _("Add the bank account the money should go to first.")


class PayoutNotFound(NotFound):
    code = "payout_not_found"
    default_message = _("There is no such payout.")


class PayoutSettled(Conflict):
    code = "payout_settled"
    default_message = _("This payout is already settled.")


class UnbalancedEntry(Exception):
    """A programming error: a journal entry whose lines do not sum to zero is never written."""

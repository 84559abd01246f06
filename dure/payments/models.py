"""Money: a double-entry ledger in integer KRW, wage floors, fair-pay results, payouts.

Every amount is an integer number of won. A journal entry's lines always sum to zero: money only moves
from one account to another. A line's amount is what flows *into* its account, so a project budget holds
a positive balance while the external "client funds" account goes negative as clients pay in.
Entries are never edited; a mistake or a failed payout is undone by a reversing entry.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dure.accounts.models import Organization
from dure.projects.models import Project


class AccountKind(models.TextChoices):
    CLIENT_FUNDS = "client_funds", _("Client funds paid in")
    PROJECT_BUDGET = "project_budget", _("Project budget")
    WORKER_EARNINGS = "worker_earnings", _("Worker earnings")
    REVIEWER_EARNINGS = "reviewer_earnings", _("Reviewer earnings")
    INCOME_TAX = "income_tax", _("Income tax withheld (3%)")
    LOCAL_TAX = "local_tax", _("Local income tax withheld (0.3%)")
    PLATFORM_FEE = "platform_fee", _("Platform fee")
    PAYOUTS_PENDING = "payouts_pending", _("Payouts being transferred")
    PAID_OUT = "paid_out", _("Paid out to bank accounts")


class LedgerAccount(models.Model):
    kind = models.CharField(max_length=24, choices=AccountKind.choices)
    organization = models.ForeignKey(Organization, null=True, on_delete=models.PROTECT, related_name="+")
    project = models.ForeignKey(Project, null=True, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    #: one name per account, e.g. ``worker_earnings:u42``; unique across databases without NULL tricks
    key = models.CharField(max_length=80, unique=True)
    #: the sum of this account's lines, kept in the same transaction as every line (checked by tests and
    #: ``dure manage ledger_check``) so dispatch and payouts read it in O(1)
    balance = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return self.key


class EntryKind(models.TextChoices):
    DEPOSIT = "deposit", _("Budget deposit")
    APPROVAL = "approval", _("Approved item")
    REVIEW = "review", _("Review decision")
    TOP_UP = "top_up", _("Fair-pay top-up")
    PAYOUT = "payout", _("Payout requested")
    PAYOUT_PAID = "payout_paid", _("Payout transferred")
    REVERSAL = "reversal", _("Reversal")


class JournalEntry(models.Model):
    kind = models.CharField(max_length=16, choices=EntryKind.choices)
    #: a retry of the same business event finds its entry instead of paying twice
    idempotency_key = models.CharField(max_length=120, unique=True)
    project = models.ForeignKey(Project, null=True, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="beneficiary",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reverses = models.OneToOneField("self", null=True, on_delete=models.PROTECT, related_name="reversed_by")
    memo = models.CharField(max_length=300, blank=True, default="")
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["project", "kind", "created_at"]),
            models.Index(fields=["user", "created_at"]),
        ]


class JournalLine(models.Model):
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines")
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="lines")
    amount = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["account", "entry"])]


class WageFloor(models.Model):
    """The legal minimum hourly wage by country and year: data an operator edits, not code."""

    country = models.CharField(max_length=2)
    year = models.PositiveSmallIntegerField()
    hourly = models.PositiveIntegerField(help_text=_("minimum pay per hour, in the smallest currency unit"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["country", "year"], name="wage_floor_unique")]

    def __str__(self) -> str:
        return f"{self.country} {self.year}: {self.hourly}"


class Settlement(models.Model):
    """One fair-pay settlement over a period [start, end) of local dates."""

    start = models.DateField()
    end = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["start", "end"], name="settlement_period_unique")]


class FairPayResult(models.Model):
    """A person's measured time and pay on one project in one settlement: the fair-pay report's rows."""

    settlement = models.ForeignKey(Settlement, on_delete=models.CASCADE, related_name="results")
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    active_seconds = models.FloatField()
    earnings = models.BigIntegerField(help_text=_("item and review pay in the period, before any top-up"))
    floor_hourly = models.PositiveIntegerField()
    top_up = models.BigIntegerField(default=0)
    entry = models.ForeignKey(JournalEntry, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["settlement", "project", "user"], name="fair_pay_result_unique")
        ]

    @property
    def hourly_before(self) -> float:
        return self.earnings * 3600 / self.active_seconds if self.active_seconds else 0.0

    @property
    def hourly_after(self) -> float:
        return (self.earnings + self.top_up) * 3600 / self.active_seconds if self.active_seconds else 0.0


class BankAccount(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bank_account"
    )
    bank = models.CharField(_("bank"), max_length=60)
    number = models.CharField(_("account number"), max_length=40)
    holder = models.CharField(_("account holder"), max_length=100)
    updated_at = models.DateTimeField(auto_now=True)


class PayoutState(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    BATCHED = "batched", _("In a transfer batch")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Failed (returned to your balance)")


class PayoutBatch(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )


class Payout(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payouts")
    state = models.CharField(max_length=10, choices=PayoutState.choices, default=PayoutState.REQUESTED)
    gross = models.BigIntegerField()
    income_tax = models.BigIntegerField()
    local_tax = models.BigIntegerField()
    net = models.BigIntegerField()
    #: the bank details as they were when the payout was requested
    bank = models.CharField(max_length=60)
    number = models.CharField(max_length=40)
    holder = models.CharField(max_length=100)
    batch = models.ForeignKey(PayoutBatch, null=True, on_delete=models.PROTECT, related_name="payouts")
    entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    settled_at = models.DateTimeField(null=True, blank=True)
    failure_reason = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["state", "requested_at"])]

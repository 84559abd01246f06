from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from dure.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied


class PausedLowAccuracy(PermissionDenied):
    code = "paused_low_accuracy"
    default_message = _(
        "You are paused on this project: your accuracy on check items fell below the project's minimum. "
        "You can appeal from your profile."
    )


class RoutedAway(PermissionDenied):
    code = "routed_away"
    default_message = _(
        "Too many of your answers on this project were rejected, so it is not offered to you for now. "
        "Other projects are open to you."
    )


class GoldNotFound(NotFound):
    code = "gold_not_found"
    default_message = _("This item is not a gold item.")


class InvalidGoldAnswer(InvalidInput):
    code = "invalid_gold_answer"
    default_message = _("The known answer does not match the project's interface.")


class GoldItemWorkedOn(Conflict):
    code = "gold_item_worked_on"
    default_message = _("Workers have answered this item already; only untouched items can become gold.")


class PauseNotFound(NotFound):
    code = "pause_not_found"
    default_message = _("There is no such pause.")


class AppealNotFound(NotFound):
    code = "appeal_not_found"
    default_message = _("There is no such appeal.")


class AppealExists(Conflict):
    code = "appeal_exists"
    default_message = _("You have appealed this pause already.")


class AppealDecided(Conflict):
    code = "appeal_decided"
    default_message = _("This appeal has been decided already.")


class AuditNotFound(NotFound):
    code = "audit_not_found"
    default_message = _("There is no such audit.")


class AuditDecided(Conflict):
    code = "audit_decided"
    default_message = _("This audit has been decided already.")


class AnswerChecksFailed(InvalidInput):
    code = "answer_checks_failed"
    default_message = _(
        "The automatic checks found problems in this answer; fix the marked fields and submit again."
    )


class AdjudicationNotFound(NotFound):
    code = "adjudication_not_found"
    default_message = _("There is no such item to adjudicate.")


class AdjudicationClosed(Conflict):
    code = "adjudication_closed"
    default_message = _("This item has been adjudicated already, or no longer needs it.")


class AdjudicationNotHeld(Conflict):
    code = "adjudication_not_held"
    default_message = _("Take the item from the adjudication queue first; your hold on it may have expired.")


class InvalidAdjudication(InvalidInput):
    code = "invalid_adjudication"
    default_message = _("The final answer does not match the project's interface.")

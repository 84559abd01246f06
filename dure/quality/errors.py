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


class DeliveryNotFound(NotFound):
    code = "delivery_not_found"
    default_message = _("There is no such delivery.")


class SampleNotFound(NotFound):
    code = "sample_not_found"
    default_message = _("This item is not in the delivery's sample.")


class NothingToDeliver(Conflict):
    code = "nothing_to_deliver"
    default_message = _("No approved item is waiting for delivery.")


class DeliveryDecided(Conflict):
    code = "delivery_decided"
    default_message = _("This delivery has been accepted or returned already.")


class ResubmissionNotReady(Conflict):
    code = "resubmission_not_ready"
    default_message = _(
        "Items returned by the client are still being reworked; deliver them again once approved."
    )


class NotReturned(Conflict):
    code = "delivery_not_returned"
    default_message = _("Only a returned delivery that was not delivered again can be delivered again.")


class InspectingOwnWork(PermissionDenied):
    code = "inspecting_own_work"
    default_message = _("You worked on or reviewed this item, so somebody else must inspect it.")


class InvalidSamplingPlan(InvalidInput):
    code = "invalid_sampling_plan"
    default_message = _("The sampling plan is not valid.")


class DefectReasonRequired(InvalidInput):
    code = "reason_required"
    default_message = _("Say what is wrong with a defective item, so its worker can fix it.")


class WrongSlotNotInItem(InvalidInput):
    code = "slot_not_in_item"
    default_message = _("The answers marked wrong must be approved answers of this item.")

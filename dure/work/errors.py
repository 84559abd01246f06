from django.utils.translation import gettext_lazy as _

from dure.core.errors import Conflict, InvalidInput, NotFound


class AssignmentNotFound(NotFound):
    code = "assignment_not_found"
    default_message = _("Assignment not found.")


class ReviewNotFound(NotFound):
    code = "review_not_found"
    default_message = _("Review not found.")


class ItemNotFound(NotFound):
    code = "item_not_found"
    default_message = _("Item not found.")


class LeaseExpired(Conflict):
    code = "lease_expired"
    default_message = _("Your time on this item ran out and it went back to the queue.")


class AssignmentClosed(Conflict):
    code = "assignment_closed"
    default_message = _("This assignment was already submitted or released.")


class ReviewClosed(Conflict):
    code = "review_closed"
    default_message = _("This review was already decided or handed to someone else.")


class ReasonRequired(InvalidInput):
    code = "reason_required"
    default_message = _("A rejection needs at least one reason or a comment.")


class InvalidItems(InvalidInput):
    code = "invalid_items"
    default_message = _("Some items are not valid; nothing was added.")

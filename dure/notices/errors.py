from django.utils.translation import gettext_lazy as _

from dure.core.errors import InvalidInput, NotFound


class NotificationNotFound(NotFound):
    code = "notification_not_found"
    default_message = _("Notification not found.")


class AnnouncementNotFound(NotFound):
    code = "announcement_not_found"
    default_message = _("Announcement not found.")


class QuestionNotFound(NotFound):
    code = "question_not_found"
    default_message = _("Question not found.")


class ItemNotInProject(NotFound):
    code = "item_not_found"
    default_message = _("Item not found.")


class UnknownEmailMode(InvalidInput):
    code = "unknown_email_mode"
    default_message = _("Choose how often email comes: immediate, digest or off.")


class UnknownNotificationKind(InvalidInput):
    code = "unknown_notification_kind"
    default_message = _("There is no notification of this kind.")


class FaqEntryNotFound(InvalidInput):
    code = "faq_entry_not_found"
    default_message = _("The linked FAQ entry is not in this project's FAQ.")

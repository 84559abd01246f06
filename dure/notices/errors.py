from django.utils.translation import gettext_lazy as _

from dure.core.errors import NotFound


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

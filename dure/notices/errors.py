from django.utils.translation import gettext_lazy as _

from dure.core.errors import NotFound


class NotificationNotFound(NotFound):
    code = "notification_not_found"
    default_message = _("Notification not found.")

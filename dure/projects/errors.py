from django.utils.translation import gettext_lazy as _

from dure.core.errors import Conflict, NotFound


class ProjectNotFound(NotFound):
    code = "project_not_found"
    default_message = _("Project not found.")


class ProjectNotOpen(Conflict):
    code = "project_not_open"
    default_message = _("The project is not open for work.")


class InvalidTransition(Conflict):
    code = "invalid_status_transition"
    default_message = _("The project cannot move to that status from its current one.")


class UserNotFound(NotFound):
    code = "user_not_found"
    default_message = _("User not found.")

from django.utils.translation import gettext_lazy as _

from dure.core.errors import Conflict, DureError, InvalidInput, NotFound


class UnknownBackend(InvalidInput):
    code = "unknown_backend"
    default_message = _("This model backend is not configured on this server.")


class BackendNotApplicable(InvalidInput):
    code = "backend_not_applicable"
    default_message = _("This model backend cannot fill any output of the project's interface.")


class NoBackendChosen(InvalidInput):
    code = "no_backend_chosen"
    default_message = _("Choose a model backend for this project first.")


class InvalidBackendOptions(InvalidInput):
    code = "invalid_backend_options"
    default_message = _("The model backend's options are not valid.")


class AssistJobNotFound(NotFound):
    code = "assist_job_not_found"
    default_message = _("Pre-label job not found.")


class AssistJobFinished(Conflict):
    code = "assist_job_finished"
    default_message = _("This pre-label job has already finished.")


class BackendFailed(DureError):
    """The model (a client's server, a local model) failed; recorded on the job, never shown as a 500."""

    status = 502
    code = "backend_failed"
    default_message = _("The model backend failed.")


class BackendTimeout(BackendFailed):
    code = "backend_timeout"
    default_message = _("The model server did not answer in time.")


class BackendBadResponse(BackendFailed):
    code = "backend_bad_response"
    default_message = _("The model server's answer could not be used.")

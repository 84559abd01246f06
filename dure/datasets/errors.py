from django.utils.translation import gettext_lazy as _

from dure.core.errors import Conflict, InvalidInput, NotFound


class JobNotFound(NotFound):
    code = "job_not_found"
    default_message = _("Job not found.")


class JobFinished(Conflict):
    code = "job_finished"
    default_message = _("This job has already finished.")


class ResultNotReady(Conflict):
    code = "result_not_ready"
    default_message = _("The job has no file to download yet.")


class UnknownFormat(InvalidInput):
    code = "unknown_format"
    default_message = _("This format is not supported.")


class InvalidFile(InvalidInput):
    """The file is unreadable or some records are invalid; the report names the line or record."""

    code = "invalid_file"
    default_message = _("The file has problems; nothing was imported.")


class UnsafeArchive(InvalidInput):
    code = "unsafe_archive"
    default_message = _("The archive was refused because it is unsafe.")


class FormatNotApplicable(InvalidInput):
    code = "format_not_applicable"
    default_message = _("This project's interface has nothing this format can express.")


class JobCancelled(Exception):
    """Raised inside a running job when somebody cancelled it; the transaction rolls back."""

"""Typed errors. Services raise these; ``dure.api`` maps them to HTTP in one place.

Every error has a stable machine-readable ``code`` and a translated ``message``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class DureError(Exception):
    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    default_message: ClassVar[str | Promise] = _("The request could not be processed.")

    def __init__(self, message: str | Promise | None = None, **details: Any) -> None:
        self.message = message if message is not None else self.default_message
        self.details = details
        super().__init__(str(self.message))


class InvalidInput(DureError):
    status = 422
    code = "invalid_input"
    default_message = _("The input is not valid.")


class NotAuthenticated(DureError):
    status = 401
    code = "not_authenticated"
    default_message = _("Sign in or send a valid API token.")


class PermissionDenied(DureError):
    status = 403
    code = "permission_denied"
    default_message = _("Your role does not allow this.")


class NotFound(DureError):
    status = 404
    code = "not_found"
    default_message = _("Not found.")


class Conflict(DureError):
    status = 409
    code = "conflict"
    default_message = _("The object changed state; reload and try again.")


class PayloadTooLarge(DureError):
    status = 413
    code = "payload_too_large"
    default_message = _("The request body is too large.")

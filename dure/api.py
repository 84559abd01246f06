"""The JSON API at /api/v1/: assembles the domain routers and maps every error to one JSON shape.

``{"code": "...", "message": "<translated>", "details": {...}}``; 4xx for the caller's mistakes,
409 for state conflicts. A 500 is a bug.
"""

from __future__ import annotations

import logging

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from dure.accounts.api import router as accounts_router
from dure.core.auth import API_AUTH
from dure.core.errors import DureError, PayloadTooLarge
from dure.projects.api import router as projects_router
from dure.work.api import router as work_router

logger = logging.getLogger(__name__)

api = NinjaAPI(
    title="Dure API",
    version="1",
    description="Crowdsourcing with full inspection: projects, items, the work loop and review.",
    auth=API_AUTH,
    urls_namespace="api",
)


def error_response(
    request: HttpRequest, *, status: int, code: str, message: str, details: dict | None = None
) -> HttpResponse:
    return api.create_response(
        request, {"code": code, "message": message, "details": details or {}}, status=status
    )


@api.exception_handler(DureError)
def _dure_error(request: HttpRequest, exc: DureError) -> HttpResponse:
    return error_response(
        request, status=exc.status, code=exc.code, message=str(exc.message), details=exc.details
    )


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {"path": ".".join(str(p) for p in e.get("loc", ())), "error": e.get("msg", "")} for e in exc.errors
    ][:100]
    return error_response(
        request,
        status=422,
        code="invalid_input",
        message=_("The input is not valid."),
        details={"errors": errors},
    )


@api.exception_handler(AuthenticationError)
def _authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(
        request, status=401, code="not_authenticated", message=_("Sign in or send a valid API token.")
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:
        return error_response(
            request, status=400, code="malformed_request", message=_("The request body is not valid JSON.")
        )
    if exc.status_code == 403:
        return error_response(
            request, status=403, code="permission_denied", message=_("Your role does not allow this.")
        )
    return error_response(request, status=exc.status_code, code=f"http_{exc.status_code}", message=str(exc))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, status=404, code="not_found", message=_("Not found."))


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return _dure_error(request, PayloadTooLarge())


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("unhandled error in %s %s", request.method, request.path)
    return error_response(
        request, status=500, code="internal_error", message=_("Something went wrong on our side.")
    )


api.add_router("/", accounts_router)
api.add_router("/", projects_router)
api.add_router("/", work_router)

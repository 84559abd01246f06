"""The JSON API at /api/v1/: assembles the domain routers and maps every error to one JSON shape.

``{"code": "...", "message": "<translated>", "details": {...}}``; 4xx for the caller's mistakes,
409 for state conflicts. A 500 is a bug.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.renderers import JSONRenderer

from dure.academy.api import router as academy_router
from dure.accounts.api import router as accounts_router
from dure.assist.api import router as assist_router
from dure.audit.api import router as audit_router
from dure.core.auth import API_AUTH
from dure.core.errors import DureError, InvalidInput, PayloadTooLarge
from dure.core.jsonsafe import storage_problem
from dure.datasets.api import router as datasets_router
from dure.matching.api import router as matching_router
from dure.notices.api import router as notices_router
from dure.payments.api import router as payments_router
from dure.projects.api import router as projects_router
from dure.quality.acceptance_api import router as acceptance_router
from dure.quality.api import router as quality_router
from dure.webhooks.api import router as webhooks_router
from dure.work.api import router as work_router
from dure.work.uploads_api import router as uploads_router

logger = logging.getLogger(__name__)


class Utf8JSONRenderer(JSONRenderer):
    """Korean stays readable in responses (and a third shorter) instead of ``\\uXXXX`` escapes."""

    json_dumps_params = {"ensure_ascii": False}


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class StrictJSONParser(Parser):
    """Refuses what JSON forbids but Python's parser allows (NaN, Infinity) and what cannot be stored."""

    def parse_body(self, request: HttpRequest) -> Any:
        data = json.loads(request.body, parse_constant=_refuse_constant)
        problem = storage_problem(data)
        if problem is not None:
            path, reason = problem
            # ninja wraps this in a 400 HttpError; ``_http_error`` unwraps it to keep code and details.
            raise InvalidInput(
                _("The request body holds a value that cannot be stored."), path=path, error=reason
            )
        return data


api = NinjaAPI(
    parser=StrictJSONParser(),
    renderer=Utf8JSONRenderer(),
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


def _error_path(loc: tuple | list) -> str:
    """``body.body.username`` → ``body.username``: ninja puts the parameter's name after ``body``."""
    parts = [str(p) for p in loc]
    if len(parts) >= 2 and parts[0] == "body":
        parts = [parts[0], *parts[2:]]
    return ".".join(parts)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [{"path": _error_path(e.get("loc", ())), "error": e.get("msg", "")} for e in exc.errors][:100]
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
    if isinstance(exc.__cause__, DureError):
        return _dure_error(request, exc.__cause__)
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


@api.exception_handler(OverflowError)
def _id_out_of_range(request: HttpRequest, exc: OverflowError) -> HttpResponse:
    # An id beyond the database's integer range (SQLite raises this) names nothing that exists.
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
api.add_router("/", payments_router)
api.add_router("/", datasets_router)
api.add_router("/", uploads_router)
api.add_router("/", audit_router)
api.add_router("/", webhooks_router)
api.add_router("/", academy_router)
api.add_router("/", quality_router)
api.add_router("/", acceptance_router)
api.add_router("/", notices_router)
api.add_router("/", assist_router)
api.add_router("/", matching_router)


@csrf_exempt  # it changes nothing; without this a POST got CSRF's HTML 403 page instead of the JSON 404
def unknown_endpoint(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any /api/ path no router knows: the same JSON error shape as everything else, never an HTML page."""
    return error_response(
        request,
        status=404,
        code="unknown_endpoint",
        message=_("There is no such API endpoint."),
        details={"path": request.path, "method": request.method},
    )

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dure.core.errors import DureError


class DureErrorPages:
    """A typed error raised under a page (not the API) becomes a page with its status: 404, 403, 409 …"""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DureError) or request.path.startswith("/api/"):
            return None
        return render(
            request,
            "web/error.html",
            {"code": exception.code, "message": exception.message},
            status=exception.status,
        )

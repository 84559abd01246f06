"""Sessions, CSRF, session sign-in and messages as one middleware, which token API requests pass by.

A request to ``/api/`` with ``Authorization: Bearer …`` and no cookie at all is answered without them:
the token names the user (``dure.core.auth.TokenAuth``), there is no session to load, no form to protect
from cross-site posting (a cross-site page can neither attach the header nor make the browser send it), and
no message to show. Every other request (pages, the browser workspace calling the API with its session
cookie, a token request that also carries cookies) goes through Django's four middlewares in their usual
order, so session-authenticated API calls still need their CSRF token. Skipping them saves about a tenth of
a millisecond per API request (docs/performance.md); the answers are the same either way, security headers
included (tests/core/test_middleware.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string

#: in this order, as Django's documentation places them
BROWSER_MIDDLEWARE = (
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
)


def is_token_api_request(request: HttpRequest) -> bool:
    meta = request.META
    return (
        request.path_info.startswith("/api/")
        and not meta.get("HTTP_COOKIE")  # absent or empty (Django's test client sends it empty)
        # what ninja's HttpBearer reads as a bearer token: the scheme, one space, the token
        and meta.get("HTTP_AUTHORIZATION", "")[:7].lower() == "bearer "
    )


class BrowserMiddleware:
    """``BROWSER_MIDDLEWARE`` nested as Django would nest them, skipped for token API requests."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        chain: Callable[[HttpRequest], Any] = get_response
        view_hooks: list[Callable[..., HttpResponse | None]] = []
        for path in reversed(BROWSER_MIDDLEWARE):
            instance = import_string(path)(chain)
            for hook in ("process_exception", "process_template_response"):
                if hasattr(instance, hook):  # Django would call it; this wrapper does not pass it on
                    raise ImproperlyConfigured(f"{path} has {hook}, which BrowserMiddleware does not call")
            if hasattr(instance, "process_view"):
                view_hooks.insert(0, instance.process_view)
            chain = convert_exception_to_response(instance)
        self.browser_chain = chain
        self.view_hooks = view_hooks

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_token_api_request(request):
            # What AuthenticationMiddleware gives a request without a session; the token replaces it.
            request.user = AnonymousUser()
            return self.get_response(request)
        return self.browser_chain(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> HttpResponse | None:
        """CsrfViewMiddleware's check, where Django runs view middleware (after URL resolving)."""
        if is_token_api_request(request):
            return None
        for hook in self.view_hooks:
            response = hook(request, view, args, kwargs)
            if response is not None:
                return response
        return None

"""API authentication: a personal token in ``Authorization: Bearer …`` or the browser session (CSRF on)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, django_auth

from dure.accounts.services import user_for_token


class TokenAuth(HttpBearer):
    def __call__(self, request: HttpRequest) -> Any:
        # ninja's HttpBearer reads ``request.headers``, which parses every header of the request (~50 µs per
        # request; more under granian, whose WSGI environ also holds the process environment). The one header
        # needed is in META; the scheme and the token are split as ninja splits them.
        scheme, _, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        return self.authenticate(request, token)

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_token(token)  # raises InvalidToken, answered as 401 with its own code
        request.user = user
        return user


#: Try the token first (integrations), then the session (browser).
API_AUTH = [TokenAuth(), django_auth]

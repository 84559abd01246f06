"""API authentication: a personal token in ``Authorization: Bearer …`` or the browser session (CSRF on)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, django_auth

from dure.accounts.services import user_for_token


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_token(token)  # raises InvalidToken, answered as 401 with its own code
        request.user = user
        return user


#: Try the token first (integrations), then the session (browser).
API_AUTH = [TokenAuth(), django_auth]

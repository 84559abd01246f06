from __future__ import annotations

from django.http import HttpRequest

from dure.accounts.models import User
from dure.core.errors import NotAuthenticated


def user_of(request: HttpRequest) -> User:
    """The signed-in user of an authenticated endpoint, typed."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise NotAuthenticated()
    return user

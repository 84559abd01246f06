"""Rate limits and lockout for sign-in, kept in the shared cache (Redis when several servers run).

Two counters: failures per username (locks that account for ``LOCKOUT_SECONDS`` after
``LOCKOUT_FAILURES`` wrong passwords, whatever the address) and attempts per client address (slows a
password spray across many accounts). A correct password during a lockout is refused as well.
"""

from __future__ import annotations

import hashlib
from typing import Any, cast

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest

from dure.accounts.errors import TooManyAttempts


def _conf(name: str) -> int:
    return cast(int, settings.DURE_SECURITY[name])


def _user_key(username: str) -> str:
    # Hashed: usernames typed at a sign-in form may hold anything, and cache keys must stay plain.
    digest = hashlib.sha256(username.strip().lower()[:150].encode()).hexdigest()
    return f"dure:signin:user:{digest}"


def _ip_key(ip: str) -> str:
    return f"dure:signin:ip:{ip}"


def _bump(key: str, seconds: int) -> int:
    if cache.add(key, 1, seconds):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, seconds)
        return 1


def is_locked(username: str) -> bool:
    return int(cache.get(_user_key(username), 0)) >= _conf("LOCKOUT_FAILURES")


def check(*, username: str, ip: str | None) -> None:
    """Raises ``TooManyAttempts`` (429) when this address is over its rate or this account is locked."""
    if ip and _bump(_ip_key(ip), 60) > _conf("SIGNIN_PER_MINUTE_PER_IP"):
        raise TooManyAttempts(retry_after=60)
    if is_locked(username):
        raise TooManyAttempts(retry_after=_conf("LOCKOUT_SECONDS"))


def failed(username: str) -> int:
    """Counts one wrong password; returns the number of failures in the current window."""
    count = _bump(_user_key(username), _conf("LOCKOUT_SECONDS"))
    if count == _conf("LOCKOUT_FAILURES"):
        from dure.audit.models import Action
        from dure.audit.services import record

        record(Action.LOCKED_OUT, actor=None, target_type="accounts.user", username=username[:150])
    return count


def succeeded(username: str) -> None:
    cache.delete(_user_key(username))


class LockoutModelBackend(ModelBackend):
    """Django's password check, refused while the account is locked; counts failures for every sign-in
    path that goes through ``authenticate`` (the sign-in page, the admin, ``POST /auth/token``)."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if username is None:
            username = kwargs.get("username")
        if not username or password is None:
            return None
        if is_locked(username):
            # Stops the chain: no other backend gets to try, and user_login_failed is sent.
            raise DjangoPermissionDenied("locked")
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            failed(username)
        else:
            succeeded(username)
        return user

"""The unread count for the bell in every page's nav."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def unread(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from dure.notices.selectors import unread_count

    return {"notices_unread": unread_count(user)}

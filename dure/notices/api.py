"""The caller's own notifications: list, mark one read, mark all read."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from dure.core.http import user_of
from dure.notices import selectors, services
from dure.notices.models import Notification
from dure.notices.schemas import NotificationList, NotificationOut, ReadAllOut

router = Router(tags=["notifications"])
PAGE = 50


class ListQuery(Schema):
    unread: bool = False
    #: the id of the last notification of the previous page
    before: int | None = None


def shaped(notification: Notification) -> dict[str, Any]:
    words = selectors.wording(notification.kind, notification.data)
    return {
        "id": notification.pk,
        "kind": notification.kind,
        "title": words.title,
        "body": words.body,
        "data": notification.data,
        "link": notification.link,
        "created_at": notification.created_at,
        "read_at": notification.read_at,
    }


@router.get("/notifications", response=NotificationList)
def list_notifications(request: HttpRequest, query: Query[ListQuery]) -> dict[str, Any]:
    user = user_of(request)
    found = selectors.notifications_for(user)
    if query.unread:
        found = found.filter(read_at__isnull=True)
    if query.before is not None:
        found = found.filter(pk__lt=query.before)
    page = list(found[: PAGE + 1])
    return {
        "unread": selectors.unread_count(user),
        "results": [shaped(n) for n in page[:PAGE]],
        "next_cursor": page[PAGE - 1].pk if len(page) > PAGE else None,
    }


@router.post("/notifications/read-all", response=ReadAllOut)
def read_all(request: HttpRequest) -> dict[str, int]:
    return {"marked": services.mark_all_read(user=user_of(request))}


@router.post("/notifications/{notification_id}/read", response=NotificationOut)
def read(request: HttpRequest, notification_id: int) -> dict[str, Any]:
    return shaped(services.mark_read(user=user_of(request), notification_id=notification_id))

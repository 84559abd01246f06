from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Schema


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    data: dict[str, Any]
    link: str
    created_at: datetime
    read_at: datetime | None


class NotificationList(Schema):
    unread: int
    results: list[NotificationOut]
    next_cursor: int | None


class ReadAllOut(Schema):
    marked: int

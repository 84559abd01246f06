from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Schema


class AuditEventOut(Schema):
    id: int
    at: datetime
    action: str
    actor_id: int | None
    actor: str
    target_type: str
    target_id: str
    ip: str | None
    details: dict[str, Any]


class AuditPage(Schema):
    items: list[AuditEventOut]
    next: int | None

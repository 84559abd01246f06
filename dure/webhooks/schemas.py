from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import Field


class WebhookIn(Schema):
    url: str = Field(min_length=8, max_length=500)
    project_id: int | None = None
    events: list[str] = Field(min_length=1, max_length=10)


class WebhookOut(Schema):
    id: int
    url: str
    project_id: int | None
    events: list[str]
    active: bool
    created_at: datetime


class WebhookCreated(WebhookOut):
    secret: str


class DeliveryOut(Schema):
    id: int
    event: str
    state: str
    attempts: int
    response_status: int | None
    response_body: str
    error: str
    created_at: datetime
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None

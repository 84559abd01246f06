from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema


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


class AnnouncementIn(Schema):
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(default="", max_length=20_000)


class AnnouncementOut(Schema):
    id: int
    title: str
    body: str
    created_at: datetime
    read: bool


class QuestionIn(Schema):
    text: str = Field(min_length=1, max_length=5_000)
    item_id: int | None = None


class AnswerIn(Schema):
    text: str = Field(min_length=1, max_length=10_000)
    #: also put the question and its answers into the FAQ beside the guideline
    promote: bool = False


class FaqIn(Schema):
    in_faq: bool


class AnswerOut(Schema):
    id: int
    text: str
    created_at: datetime


class QuestionOut(Schema):
    id: int
    text: str
    item_id: int | None
    mine: bool
    in_faq: bool
    created_at: datetime
    answers: list[AnswerOut]


class KindPreference(Schema):
    kind: str
    label: str
    #: false when the person muted this kind by email (it still shows in the app)
    email: bool


class EmailPreferencesOut(Schema):
    #: immediate, digest (once a day) or off
    mode: str
    muted: list[str]
    kinds: list[KindPreference]


class EmailPreferencesPatch(Schema):
    mode: str | None = Field(default=None, max_length=20)
    #: the kinds not wanted by email; replaces the whole list
    muted: list[str] | None = Field(default=None, max_length=100)

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Schema
from pydantic import Field


class AssistSettingsIn(Schema):
    backend: str = Field(default="", max_length=32, description="ocr, minilm, http, or empty for none")
    options: dict[str, Any] = Field(
        default_factory=dict,
        description="http: url, timeout_seconds, token; minilm: examples [{text, label}]",
    )
    suggest: bool = True
    flag_reviews: bool = True


class EffectOut(Schema):
    submissions: int
    with_suggestion: int
    without_suggestion: int
    median_seconds_with: float | None
    median_seconds_without: float | None
    speedup: float | None
    changed: int
    changed_share: float | None
    median_similarity: float | None
    median_changed_regions: float | None
    median_edit_distance: float | None


class AssistSettingsOut(Schema):
    backend: str
    options: dict[str, Any]
    suggest: bool
    flag_reviews: bool
    backends: list[str] = Field(description="the configured backends that can fill this project's outputs")
    effect: EffectOut
    flagged: int


class PrelabelJobIn(Schema):
    only_missing: bool = Field(
        default=True, description="skip items that already have this backend's pre-label"
    )


class AssistJobOut(Schema):
    id: int
    project_id: int
    backend: str
    state: str
    progress: dict[str, int]
    percent: int
    result: dict[str, Any]
    error: dict[str, Any] | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class AssistJobListOut(Schema):
    jobs: list[AssistJobOut]


class PreLabelOut(Schema):
    id: int
    item_id: int
    backend: str
    answer: dict[str, Any]
    confidence: float | None
    created_at: datetime


class PreLabelListOut(Schema):
    items: list[PreLabelOut]
    next_after: int | None

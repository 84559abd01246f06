from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import Field


class GoldIn(Schema):
    item_id: int
    answer: dict[str, Any]
    explanation: str = Field(default="", max_length=5000)


class AppealIn(Schema):
    message: str = Field(min_length=1, max_length=5000)


class AppealDecisionIn(Schema):
    accept: bool
    note: str = Field(default="", max_length=5000)


class AuditDecisionIn(Schema):
    agrees: bool
    note: str = Field(default="", max_length=5000)


class QualitySettingsIn(Schema):
    gold_initial_rate: float | None = Field(default=None, ge=0, le=1)
    gold_initial_items: int | None = Field(default=None, ge=0, le=100_000)
    gold_rate: float | None = Field(default=None, ge=0, le=1)
    gold_threshold: float | None = Field(default=None, ge=0, le=1)
    gold_min_results: int | None = Field(default=None, ge=1, le=10_000)
    review_wait_target_seconds: int | None = Field(default=None, ge=60, le=30 * 24 * 3600)
    reviewer_min_approved: int | None = Field(default=None, ge=0, le=1_000_000)
    reviewer_min_approval_rate: float | None = Field(default=None, ge=0, le=1)
    reviewers_per_grant: int | None = Field(default=None, ge=0, le=100)
    audit_rate: float | None = Field(default=None, ge=0, le=1)
    audit_agreement_threshold: float | None = Field(default=None, ge=0, le=1)
    audit_min_count: int | None = Field(default=None, ge=1, le=10_000)
    max_rejections: int | None = Field(default=None, ge=1, le=10_000)
    max_rejection_rate: float | None = Field(default=None, ge=0, le=1)
    adjudication_threshold: float | None = Field(default=None, ge=0, le=1)


class AdjudicationIn(Schema):
    answer: dict[str, Any]
    note: str = Field(default="", max_length=5000)

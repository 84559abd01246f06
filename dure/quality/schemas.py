from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

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
    acceptance_method: Literal["iso2859", "confidence"] | None = None
    acceptance_aql: (
        Literal["0.065", "0.10", "0.15", "0.25", "0.40", "0.65", "1.0", "1.5", "2.5", "4.0", "6.5"] | None
    ) = None
    acceptance_target: float | None = Field(default=None, ge=0.5, lt=1)
    acceptance_defects: int | None = Field(default=None, ge=0, le=50)


class AdjudicationIn(Schema):
    answer: dict[str, Any]
    note: str = Field(default="", max_length=5000)


class DeliveryIn(Schema):
    """Deliver the approved items not yet delivered; all filters optional. The plan defaults to the project's
    acceptance settings."""

    item_ids: list[int] | None = Field(default=None, max_length=500_000)
    done_before: datetime | None = None
    limit: int | None = Field(default=None, ge=1, le=500_000)
    method: Literal["iso2859", "confidence"] | None = None
    aql: str | None = Field(default=None, max_length=6)
    target: float | None = Field(default=None, ge=0.5, lt=1)
    defects: int | None = Field(default=None, ge=0, le=50)


class SampleCheckIn(Schema):
    passed: bool
    reason: str = Field(default="", max_length=5000)
    #: with overlap > 1: which approved answers (slot ids) are wrong; all of them when left out
    wrong_slots: list[int] | None = Field(default=None, max_length=100)

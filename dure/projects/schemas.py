from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import Field


class _ProjectFields(Schema):
    description: str = Field(default="", max_length=20_000)
    guideline: str = Field(default="", max_length=500_000)
    price_per_item: int = Field(default=0, ge=0, le=100_000_000)
    review_price: int = Field(default=0, ge=0, le=100_000_000)
    overlap: int = Field(default=1, ge=1, le=20)
    max_rework_rounds: int = Field(default=2, ge=0, le=20)
    lease_seconds: int = Field(default=1800, ge=60, le=7 * 24 * 3600)
    rework_hours: int = Field(default=72, ge=1, le=30 * 24)
    max_active_seconds: int = Field(default=3600, ge=60, le=24 * 3600)
    country: str = Field(default="KR", pattern=r"^[A-Z]{2}$")
    #: private: only members and invited people; public: every eligible worker may find and join it
    visibility: Literal["private", "public"] = "private"
    language: str = Field(default="", pattern=r"^([a-z]{2})?$")
    #: multi-stage review: share (0 to 1) of 1st-stage approvals a different reviewer checks again, and
    #: every approval by a reviewer with fewer decisions on the project than the second number (0: off)
    second_review_rate: float = Field(default=0.0, ge=0, le=1)
    second_review_new_reviewer_decisions: int = Field(default=0, ge=0, le=1_000_000)


class ProjectIn(_ProjectFields):
    name: str = Field(min_length=1, max_length=200)
    spec: dict[str, Any]
    organization_id: int | None = None


class ProjectPatch(Schema):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=20_000)
    guideline: str | None = Field(default=None, max_length=500_000)
    spec: dict[str, Any] | None = None
    price_per_item: int | None = Field(default=None, ge=0, le=100_000_000)
    review_price: int | None = Field(default=None, ge=0, le=100_000_000)
    overlap: int | None = Field(default=None, ge=1, le=20)
    max_rework_rounds: int | None = Field(default=None, ge=0, le=20)
    lease_seconds: int | None = Field(default=None, ge=60, le=7 * 24 * 3600)
    rework_hours: int | None = Field(default=None, ge=1, le=30 * 24)
    max_active_seconds: int | None = Field(default=None, ge=60, le=24 * 3600)
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    visibility: Literal["private", "public"] | None = None
    language: str | None = Field(default=None, pattern=r"^([a-z]{2})?$")
    second_review_rate: float | None = Field(default=None, ge=0, le=1)
    second_review_new_reviewer_decisions: int | None = Field(default=None, ge=0, le=1_000_000)


class ProjectOut(_ProjectFields):
    id: int
    organization_id: int
    name: str
    spec: dict[str, Any]
    status: str
    created_at: datetime
    updated_at: datetime
    your_role: str | None = None
    #: e.g. a price below what pays the minimum wage at the measured speed (see /price-advice)
    warnings: list[dict[str, Any]] = []


class MemberIn(Schema):
    user: str | int = Field(description="username or user id")
    role: Literal["worker", "reviewer", "manager"] = "worker"


class MemberOut(Schema):
    user_id: int
    username: str
    role: str

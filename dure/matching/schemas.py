from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import Field


class ReasonOut(Schema):
    code: str
    params: dict[str, Any]
    text: str


class RecommendationOut(Schema):
    project_id: int
    name: str
    description: str
    organization: str
    data_type: str
    data_type_label: str
    price_per_item: int
    #: at the person's own measured speed when they have one on this data type, else the project's
    expected_seconds: float
    hourly_estimate: int
    micro: bool
    #: certified, reads the language and has the device: can start now
    eligible: bool
    member: bool
    invited: bool
    fit: float
    reasons: list[ReasonOut]


class RecommendationsOut(Schema):
    projects: list[RecommendationOut]
    micro_jobs: list[RecommendationOut]


class ProfileOut(Schema):
    opted_in: bool
    headline: str
    languages: list[str]
    devices: list[str]
    seen_devices: list[str]


class ProfileIn(Schema):
    opted_in: bool | None = None
    headline: str | None = Field(default=None, max_length=200)
    languages: list[str] | None = Field(default=None, max_length=10)
    devices: list[Literal["phone", "computer"]] | None = Field(default=None, max_length=2)


class TalentQueryIn(Schema):
    data_type: str | None = Field(default=None, max_length=32)
    certification: str | None = Field(default=None, max_length=64, description="slug or id")
    min_level: int | None = Field(default=None, ge=0, le=1000)
    min_approved: int = Field(default=0, ge=0)
    min_quality: float | None = Field(default=None, ge=0, le=1)
    #: rank by fit to this project (one the caller manages); its data type unless ``data_type`` is given
    project_id: int | None = None
    limit: int = Field(default=50, ge=1, le=200)


class SkillOut(Schema):
    data_type: str
    label: str
    approved: int
    quality: float | None
    median_seconds: float | None
    percentile: float | None
    top_share: int | None


class LevelOut(Schema):
    rank: int
    name: str


class TalentOut(Schema):
    user_id: int
    username: str
    display_name: str
    headline: str
    level: LevelOut | None
    approved: int
    quality: float | None
    certifications: list[str]
    languages: list[str]
    devices: list[str]
    skills: list[SkillOut]
    fit: float | None


class InvitationIn(Schema):
    user: str | int = Field(description="username or user id of someone in talent search")
    kind: Literal["project", "qualification"] = "project"
    message: str = Field(default="", max_length=500)


class InvitationOut(Schema):
    id: int
    project_id: int
    project: str
    user_id: int
    username: str
    kind: str
    state: str
    message: str
    created_at: datetime
    decided_at: datetime | None
    #: where to go once accepted: the workspace, or the qualification test
    next_url: str


class JoinOut(Schema):
    project_id: int
    work_url: str

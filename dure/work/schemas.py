from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import Field


class ItemsAddedOut(Schema):
    created: int
    skipped: int


class ItemOut(Schema):
    id: int
    external_id: str | None
    data: dict[str, Any]


class FaqLinkOut(Schema):
    id: int
    text: str
    url: str


class ReworkOut(Schema):
    round: int
    #: reason codes, free text, and ``faq:<question id>`` for an FAQ entry the reviewer linked
    reasons: list[str]
    #: the linked FAQ entries, with where to read them
    faq: list[FaqLinkOut] = []
    comment: str
    comments: list[dict[str, Any]]
    previous_answer: Any


class SuggestionOut(Schema):
    """A model's (or an import's) suggested answer, shown to the worker to accept or correct."""

    backend: str
    answer: dict[str, Any]
    confidence: float | None


class AssistFlagsOut(Schema):
    """Why a reviewer should look at this submission first (dure/assist), when assistance is on."""

    score: float
    flags: list[dict[str, Any]]
    suggestion_shown: bool
    similarity: float | None


class AssignmentOut(Schema):
    id: int
    project_id: int
    item: ItemOut
    expires_at: datetime
    active_seconds: float
    rework: ReworkOut | None
    suggestion: SuggestionOut | None = None


class NextAssignmentOut(Schema):
    assignment: AssignmentOut


class HeartbeatIn(Schema):
    active: bool = Field(
        default=True, description="the tab is visible and the person acted since the last beat"
    )


class HeartbeatOut(Schema):
    expires_at: datetime
    active_seconds: float


class SubmitIn(Schema):
    answer: dict[str, Any]


class SubmissionOut(Schema):
    id: int
    version: int
    state: str
    active_seconds: float


class ReviewOfOut(Schema):
    id: int
    #: 1, or 2 for the project's 2nd review of a 1st approval
    stage: int = 1
    decision: str
    reasons: list[str]
    comment: str
    region_comments: list[dict[str, Any]]
    decided_at: datetime | None


class HistoryEntry(Schema):
    submission_id: int
    version: int
    worker: str | None
    answer: Any
    state: str
    submitted_at: datetime
    active_seconds: float
    reviews: list[ReviewOfOut]


class SubmissionForReview(Schema):
    id: int
    version: int
    answer: Any
    worker: str | None
    submitted_at: datetime
    active_seconds: float


class ReviewOut(Schema):
    id: int
    project_id: int
    #: 1, or 2 for the project's 2nd review of a 1st approval
    stage: int = 1
    expires_at: datetime
    submission: SubmissionForReview
    item: ItemOut
    assist: AssistFlagsOut | None = None
    history: list[HistoryEntry]


class NextReviewOut(Schema):
    review: ReviewOut


class RegionComment(Schema):
    model_config = {"extra": "allow"}
    comment: str = Field(max_length=2000)
    output: str | None = None
    index: int | None = None


class DecisionIn(Schema):
    decision: Literal["approve", "reject"]
    reasons: list[str] = Field(default_factory=list, max_length=50)
    comment: str = Field(default="", max_length=10_000)
    region_comments: list[RegionComment] = Field(default_factory=list, max_length=500)


class DecisionOut(Schema):
    review_id: int
    decision: str
    slot_state: str


class ProgressOut(Schema):
    items: dict[str, int]
    slots: dict[str, int]
    open_leases: int
    active_reviews: int
    queues: dict[str, int]


class EventOut(Schema):
    at: datetime
    kind: str
    slot: int | None
    actor: str | None
    data: dict[str, Any]


class ItemDetailOut(ItemOut):
    state: str
    slots: list[dict[str, Any]]
    history: list[EventOut]

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import Field


class PracticeAnswerIn(Schema):
    answer: dict[str, Any]


class AttemptSubmitIn(Schema):
    #: question id (as text) → the answer object for that question
    answers: dict[str, Any] = Field(default_factory=dict)


class RequirementsIn(Schema):
    certifications: list[str] = Field(default_factory=list, max_length=20)
    qualification_exam: int | None = None


class QuestionIn(Schema):
    prompt: str = Field(default="", max_length=500)
    data: dict[str, Any]
    expected: dict[str, Any]


class QualificationExamIn(Schema):
    title: str = Field(min_length=1, max_length=200)
    questions: list[QuestionIn] = Field(min_length=1, max_length=200)
    pass_mark: float = Field(default=0.8, gt=0, le=1)
    time_limit_seconds: int = Field(default=20 * 60, ge=60, le=24 * 3600)
    cooldown_seconds: int = Field(default=3600, ge=0, le=30 * 24 * 3600)
    max_attempts: int = Field(default=3, ge=1, le=10)

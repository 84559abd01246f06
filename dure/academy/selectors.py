"""Reads for the Academy: courses, exams with their attempts, certifications, project requirements."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from dure.academy.errors import CertificationRequired, CourseNotFound, ExamNotFound, QualificationRequired
from dure.academy.models import (
    AttemptState,
    Course,
    Exam,
    ExamAttempt,
    PracticeAnswer,
    ProjectRequirement,
    UserCertification,
)
from dure.accounts.models import User
from dure.core.errors import DureError


def courses() -> QuerySet[Course]:
    return Course.objects.filter(published=True).prefetch_related("lessons", "practice_items", "exams")


def course(*, slug: str) -> Course:
    found = courses().filter(slug=slug).first()
    if found is None:
        raise CourseNotFound()
    return found


def practice_progress(*, user: User, course: Course) -> dict[int, dict[str, Any]]:
    """Per practice item: the latest answer's score and whether it was right."""
    latest: dict[int, dict[str, Any]] = {}
    for answer in PracticeAnswer.objects.filter(user=user, practice_item__course=course).order_by(
        "created_at"
    ):
        latest[answer.practice_item_id] = {"score": answer.score, "correct": answer.correct}
    return latest


def exam_for(*, exam_id: int, user: User) -> Exam:
    """Platform exams are open to everyone signed in; a project's qualification test to its members."""
    exam = Exam.objects.select_related("certification", "project").filter(pk=exam_id).first()
    if exam is None:
        raise ExamNotFound()
    if exam.project_id is not None:
        from dure.projects.selectors import project_access

        try:
            project_access(user=user, project_id=exam.project_id)
        except DureError:
            raise ExamNotFound() from None
    return exam


def exam_status(*, exam: Exam, user: User, now: datetime | None = None) -> dict[str, Any]:
    """Attempts used, whether passed, and when the next attempt may start."""
    now = now or timezone.now()
    attempts = list(ExamAttempt.objects.filter(exam=exam, user=user).order_by("number"))
    passed = any(a.state == AttemptState.PASSED for a in attempts)
    finished = [a for a in attempts if a.finished_at is not None]
    current = next((a for a in attempts if a.state == AttemptState.STARTED), None)
    next_at: datetime | None = None
    last_finished = finished[-1].finished_at if finished else None
    if last_finished is not None and not passed:
        next_at = last_finished + timedelta(seconds=exam.cooldown_seconds)
        if next_at <= now:
            next_at = None
    return {
        "attempts_used": len(attempts),
        "attempts_left": max(0, exam.max_attempts - len(attempts)),
        "passed": passed,
        "best_score": max((a.score for a in finished if a.score is not None), default=None),
        "current_attempt": current.pk if current is not None else None,
        "next_attempt_at": next_at,
    }


def certifications_of(*, user: User) -> QuerySet[UserCertification]:
    return UserCertification.objects.filter(user=user).select_related("certification").order_by("granted_at")


def requirement_of(*, project_id: int) -> ProjectRequirement | None:
    return (
        ProjectRequirement.objects.filter(project_id=project_id)
        .select_related("qualification_exam")
        .prefetch_related("certifications")
        .first()
    )


def requirement_block(*, user: User, project_id: int) -> DureError | None:
    """The typed reason a person may not take this project's fresh items yet, or None."""
    requirement = requirement_of(project_id=project_id)
    if requirement is None:
        return None
    needed = {c.slug: c.name for c in requirement.certifications.all()}
    if needed:
        held = set(
            UserCertification.objects.filter(user=user, certification__slug__in=needed).values_list(
                "certification__slug", flat=True
            )
        )
        missing = [slug for slug in needed if slug not in held]
        if missing:
            return CertificationRequired(missing=[{"slug": s, "name": needed[s]} for s in missing])
    exam = requirement.qualification_exam
    if (
        exam is not None
        and not ExamAttempt.objects.filter(exam=exam, user=user, state=AttemptState.PASSED).exists()
    ):
        return QualificationRequired(exam=exam.pk, title=exam.title)
    return None

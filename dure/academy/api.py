"""The Academy over HTTP: courses, practice with instant feedback, exams, certifications, project requirements."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from dure.academy import selectors, services
from dure.academy.models import Exam, ExamAttempt, PracticeItem
from dure.academy.schemas import AttemptSubmitIn, PracticeAnswerIn, QualificationExamIn, RequirementsIn
from dure.core.errors import DureError
from dure.core.http import user_of
from dure.projects.selectors import project_access
from dure.web.rendering import render_markdown

router = Router(tags=["academy"])


def practice_out(item: PracticeItem) -> dict[str, Any]:
    # Never the expected answer: it is what the feedback reveals after an answer.
    return {"id": item.pk, "prompt": item.prompt, "spec": item.spec, "data": item.data}


def exam_out(exam: Exam, user: Any) -> dict[str, Any]:
    status = selectors.exam_status(exam=exam, user=user)
    return {
        "id": exam.pk,
        "title": exam.title,
        "description": exam.description,
        "project": exam.project_id,
        "certification": (
            {"slug": exam.certification.slug, "name": exam.certification.name} if exam.certification else None
        ),
        "pass_mark": exam.pass_mark,
        "time_limit_seconds": exam.time_limit_seconds,
        "max_attempts": exam.max_attempts,
        "cooldown_seconds": exam.cooldown_seconds,
        "questions": exam.questions.count(),
        "status": {
            **status,
            "next_attempt_at": status["next_attempt_at"] and status["next_attempt_at"].isoformat(),
        },
    }


def attempt_out(attempt: ExamAttempt, *, with_questions: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": attempt.pk,
        "exam": attempt.exam_id,
        "number": attempt.number,
        "state": attempt.state,
        "started_at": attempt.started_at.isoformat(),
        "deadline": attempt.deadline.isoformat(),
        "score": attempt.score,
        "passed": attempt.state == "passed",
        "timed_out": getattr(attempt, "timed_out", False),
    }
    if with_questions:
        out["questions"] = [
            {"id": q.pk, "prompt": q.prompt, "spec": q.spec, "data": q.data}
            for q in attempt.exam.questions.all()
        ]
    if attempt.finished_at is not None:
        out["results"] = attempt.results
    return out


@router.get("/academy/courses")
def list_courses(request: HttpRequest) -> list[dict[str, Any]]:
    user_of(request)
    return [
        {
            "slug": c.slug,
            "title": c.title,
            "summary": c.summary,
            "lessons": len(c.lessons.all()),
            "practice_items": len(c.practice_items.all()),
            "exams": [{"id": e.pk, "title": e.title} for e in c.exams.all()],
        }
        for c in selectors.courses()
    ]


@router.get("/academy/courses/{slug}")
def get_course(request: HttpRequest, slug: str) -> dict[str, Any]:
    user = user_of(request)
    course = selectors.course(slug=slug)
    progress = selectors.practice_progress(user=user, course=course)
    return {
        "slug": course.slug,
        "title": course.title,
        "summary": course.summary,
        "lessons": [
            {"title": lesson.title, "html": str(render_markdown(lesson.body))}
            for lesson in course.lessons.all()
        ],
        "practice_items": [
            {**practice_out(p), "last": progress.get(p.pk)} for p in course.practice_items.all()
        ],
        "exams": [exam_out(e, user) for e in course.exams.all()],
    }


@router.post("/academy/practice/{practice_id}/answers")
def answer_practice(request: HttpRequest, practice_id: int, body: PracticeAnswerIn) -> dict[str, Any]:
    return services.answer_practice(user=user_of(request), practice_item_id=practice_id, answer=body.answer)


@router.get("/academy/exams/{exam_id}")
def get_exam(request: HttpRequest, exam_id: int) -> dict[str, Any]:
    user = user_of(request)
    return exam_out(selectors.exam_for(exam_id=exam_id, user=user), user)


@router.post("/academy/exams/{exam_id}/attempts", response={201: dict})
def start_attempt(request: HttpRequest, exam_id: int) -> Status:
    attempt = services.start_attempt(user=user_of(request), exam_id=exam_id)
    return Status(201, attempt_out(attempt, with_questions=True))


@router.post("/academy/attempts/{attempt_id}/submit")
def submit_attempt(request: HttpRequest, attempt_id: int, body: AttemptSubmitIn) -> dict[str, Any]:
    attempt = services.submit_attempt(user=user_of(request), attempt_id=attempt_id, answers=body.answers)
    return attempt_out(attempt)


@router.get("/me/certifications")
def my_certifications(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {"slug": c.certification.slug, "name": c.certification.name, "granted_at": c.granted_at.isoformat()}
        for c in selectors.certifications_of(user=user_of(request))
    ]


@router.get("/projects/{project_id}/requirements")
def get_requirements(request: HttpRequest, project_id: int) -> dict[str, Any]:
    user = user_of(request)
    project_access(user=user, project_id=project_id)
    requirement = selectors.requirement_of(project_id=project_id)
    block: DureError | None = selectors.requirement_block(user=user, project_id=project_id)
    return {
        "certifications": (
            [{"slug": c.slug, "name": c.name} for c in requirement.certifications.all()]
            if requirement
            else []
        ),
        "qualification_exam": requirement.qualification_exam_id if requirement else None,
        "you": {
            "eligible": block is None,
            "code": block.code if block else None,
            "details": block.details if block else {},
        },
    }


@router.put("/projects/{project_id}/requirements")
def set_requirements(request: HttpRequest, project_id: int, body: RequirementsIn) -> dict[str, Any]:
    access = project_access(user=user_of(request), project_id=project_id)
    access.require(access.can_manage)
    services.set_requirements(
        project=access.project, certifications=body.certifications, qualification_exam=body.qualification_exam
    )
    return get_requirements(request, project_id)


@router.post("/projects/{project_id}/qualification-exams", response={201: dict})
def create_qualification_exam(request: HttpRequest, project_id: int, body: QualificationExamIn) -> Status:
    user = user_of(request)
    access = project_access(user=user, project_id=project_id)
    access.require(access.can_manage)
    exam = services.create_qualification_exam(
        project=access.project,
        title=body.title,
        questions=[q.model_dump() for q in body.questions],
        pass_mark=body.pass_mark,
        time_limit_seconds=body.time_limit_seconds,
        cooldown_seconds=body.cooldown_seconds,
        max_attempts=body.max_attempts,
    )
    return Status(201, exam_out(exam, user))

"""Writes for the Academy: practice answers with feedback, exam attempts, certificates, project requirements."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dure.academy.errors import (
    AttemptClosed,
    AttemptNotFound,
    CertificationNotFound,
    ExamAlreadyPassed,
    ExamAttemptsExhausted,
    ExamCooldown,
    ExamNotFound,
    InvalidExam,
    PracticeItemNotFound,
)
from dure.academy.models import (
    AttemptState,
    Certification,
    Exam,
    ExamAttempt,
    ExamQuestion,
    PracticeAnswer,
    PracticeItem,
    ProjectRequirement,
    UserCertification,
)
from dure.academy.selectors import exam_for, exam_status
from dure.accounts.models import User
from dure.core.errors import Conflict, InvalidInput
from dure.projects.models import Project
from dure.projects.spec import InterfaceSpec, answer_errors, item_data_errors, parse_spec, validate_answer
from dure.quality.scoring import score_answer

#: a submit this long after the deadline still counts (the network, a slow click)
DEADLINE_GRACE = timedelta(seconds=30)


def _feedback(
    spec: InterfaceSpec, expected: dict[str, Any], answer: Any, data: dict[str, Any]
) -> dict[str, Any]:
    """Per output: expected and given, the metric behind the score; an answer of the wrong shape scores 0."""
    problems = answer_errors(spec, answer, data)
    result = score_answer(spec, expected, answer if not problems else {}).as_dict()
    if problems:
        for output in result["outputs"]:
            output["given"] = answer.get(output["name"]) if isinstance(answer, dict) else None
        result["score"], result["correct"] = 0.0, False
    result["problems"] = problems
    return result


# --- practice --------------------------------------------------------------------------------------------


def answer_practice(*, user: User, practice_item_id: int, answer: Any) -> dict[str, Any]:
    """Scores a practice answer at once and keeps it; the answer must fit the interface (else 422)."""
    item = PracticeItem.objects.filter(pk=practice_item_id, course__published=True).first()
    if item is None:
        raise PracticeItemNotFound()
    spec = parse_spec(item.spec)
    validate_answer(spec, answer, item.data)
    result = score_answer(spec, item.expected, answer).as_dict()
    PracticeAnswer.objects.create(
        practice_item=item, user=user, answer=answer, score=result["score"], correct=result["correct"]
    )
    result["explanation"] = item.explanation
    return result


# --- exams -----------------------------------------------------------------------------------------------


def start_attempt(*, user: User, exam_id: int) -> ExamAttempt:
    """Starts (or resumes) an attempt: at most ``max_attempts``, with a cooldown after each failure."""
    exam = exam_for(exam_id=exam_id, user=user)
    now = timezone.now()
    with transaction.atomic():
        current = ExamAttempt.objects.filter(exam=exam, user=user, state=AttemptState.STARTED).first()
        if current is not None:
            if current.deadline + DEADLINE_GRACE > now:
                return current
            _finish(current, answers=current.answers, now=now)
        status = exam_status(exam=exam, user=user, now=now)
        if status["passed"]:
            raise ExamAlreadyPassed()
        if status["attempts_left"] <= 0:
            raise ExamAttemptsExhausted(max_attempts=exam.max_attempts)
        if status["next_attempt_at"] is not None:
            raise ExamCooldown(next_attempt_at=status["next_attempt_at"].isoformat())
        try:
            with transaction.atomic():
                return ExamAttempt.objects.create(
                    exam=exam,
                    user=user,
                    number=status["attempts_used"] + 1,
                    started_at=now,
                    deadline=now + timedelta(seconds=exam.time_limit_seconds),
                )
        except IntegrityError:
            raise Conflict() from None  # two starts raced; the other one won


def _own_attempt(user: User, attempt_id: int) -> ExamAttempt:
    attempt = (
        ExamAttempt.objects.select_for_update(of=("self",))
        .select_related("exam", "exam__certification")
        .filter(pk=attempt_id, user=user)
        .first()
    )
    if attempt is None:
        raise AttemptNotFound()
    return attempt


def submit_attempt(*, user: User, attempt_id: int, answers: dict[str, Any]) -> ExamAttempt:
    """Scores every question; after the deadline the attempt fails with the time-out noted."""
    now = timezone.now()
    with transaction.atomic():
        attempt = _own_attempt(user, attempt_id)
        if attempt.state != AttemptState.STARTED:
            raise AttemptClosed(state=attempt.state)
        timed_out = now > attempt.deadline + DEADLINE_GRACE
        _finish(attempt, answers={} if timed_out else answers, now=now, timed_out=timed_out)
    return attempt


def _finish(attempt: ExamAttempt, *, answers: dict[str, Any], now: Any, timed_out: bool = False) -> None:
    exam = attempt.exam
    results = []
    total = 0.0
    questions = list(exam.questions.all())
    for question in questions:
        answer = answers.get(str(question.pk))
        feedback = _feedback(parse_spec(question.spec), question.expected, answer, question.data)
        results.append({"question": question.pk, **feedback})
        total += feedback["score"]
    score = round(total / len(questions), 4) if questions else 0.0
    attempt.answers = answers
    attempt.results = results
    attempt.score = score
    attempt.finished_at = now
    attempt.state = AttemptState.PASSED if score >= exam.pass_mark and not timed_out else AttemptState.FAILED
    attempt.save()
    if attempt.state == AttemptState.PASSED and exam.certification_id is not None:
        UserCertification.objects.get_or_create(
            user=attempt.user,
            certification_id=exam.certification_id,
            defaults={"attempt": attempt, "granted_at": now},
        )
    attempt.timed_out = timed_out  # type: ignore[attr-defined]
    if exam.project_id is not None or exam.certification_id is not None:
        from dure.quality.selectors import forget_profiles

        forget_profiles()


def grant_certification(*, user: User, slug: str) -> UserCertification:
    certification = Certification.objects.filter(slug=slug).first()
    if certification is None:
        raise CertificationNotFound()
    granted, _created = UserCertification.objects.get_or_create(
        user=user, certification=certification, defaults={"granted_at": timezone.now()}
    )
    return granted


# --- a project's requirements and qualification test -----------------------------------------------------


def set_requirements(
    *, project: Project, certifications: list[str], qualification_exam: int | None
) -> ProjectRequirement:
    found = {c.slug: c for c in Certification.objects.filter(slug__in=certifications)}
    unknown = sorted(set(certifications) - set(found))
    if unknown:
        raise CertificationNotFound(slugs=unknown)
    exam = None
    if qualification_exam is not None:
        exam = Exam.objects.filter(pk=qualification_exam).first()
        # A project may use a platform exam or its own test, never another project's.
        if exam is None or exam.project_id not in (None, project.pk):
            raise ExamNotFound()
    with transaction.atomic():
        requirement, _created = ProjectRequirement.objects.get_or_create(project=project)
        requirement.qualification_exam = exam
        requirement.save()
        requirement.certifications.set(found.values())
    return requirement


def create_qualification_exam(
    *,
    project: Project,
    title: str,
    questions: list[dict[str, Any]],
    pass_mark: float = 0.8,
    time_limit_seconds: int = 20 * 60,
    cooldown_seconds: int = 3600,
    max_attempts: int = 3,
) -> Exam:
    """A project's own test, on the project's interface; every question's data and answer are checked."""
    spec = parse_spec(project.spec)
    errors: list[dict[str, Any]] = []
    if not questions:
        errors.append({"path": "questions", "error": _("An exam needs at least one question.")})
    for number, question in enumerate(questions):
        data, expected = question.get("data"), question.get("expected")
        for problem in item_data_errors(spec, data):
            errors.append({"question": number, **problem})
        if isinstance(data, dict):
            for problem in answer_errors(spec, expected, data):
                errors.append(
                    {"question": number, "path": f"expected.{problem['path']}", "error": problem["error"]}
                )
    if not 0 < pass_mark <= 1:
        errors.append({"path": "pass_mark", "error": _("Give the pass mark as a share between 0 and 1.")})
    if errors:
        raise InvalidExam(errors=errors[:100])
    with transaction.atomic():
        exam = Exam.objects.create(
            slug=f"project-{project.pk}-{timezone.now().strftime('%Y%m%d%H%M%S%f')}",
            title=title,
            project=project,
            pass_mark=pass_mark,
            time_limit_seconds=time_limit_seconds,
            cooldown_seconds=cooldown_seconds,
            max_attempts=max_attempts,
        )
        ExamQuestion.objects.bulk_create(
            ExamQuestion(
                exam=exam,
                order=n,
                prompt=str(q.get("prompt", ""))[:500],
                spec=project.spec,
                data=q["data"],
                expected=q["expected"],
            )
            for n, q in enumerate(questions)
        )
    return exam


def check_question(*, spec: Any, data: Any, expected: Any) -> None:
    """For fixtures and the demo: a practice item or question must be a valid item with a valid answer."""
    parsed = parse_spec(spec)
    problems = item_data_errors(parsed, data)
    if not problems:
        problems = answer_errors(parsed, expected, data)
    if problems:
        raise InvalidInput(errors=problems)

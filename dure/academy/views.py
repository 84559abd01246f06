"""Academy pages: courses with lessons and practice (instant feedback), exams, and the worker profile.

Choice, text, number and rating answers are plain form fields; shapes and spans are shown with their
feedback as an SVG / HTML overlay and may be answered as JSON (the workspace draws them on real projects).
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dure.academy import selectors, services
from dure.academy.models import ExamAttempt, PracticeItem
from dure.core.errors import DureError
from dure.core.http import user_of
from dure.projects.spec import parse_spec
from dure.quality import selectors as quality_selectors
from dure.quality.models import Pause
from dure.web.rendering import render_markdown

SIMPLE = {"single_choice", "multi_choice", "text", "transcription", "number", "rating"}


def _fields(spec: dict[str, Any], data: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    """Form rows for one question: the outputs with what a plain form needs."""
    parsed = parse_spec(spec)
    rows = []
    for output in parsed.outputs:
        row: dict[str, Any] = {
            "name": f"{prefix}{output.name}",
            "output": output.name,
            "type": output.type,
            "label": output.label or output.name,
            "simple": output.type in SIMPLE,
        }
        if output.type in {"single_choice", "multi_choice"}:
            row["options"] = [{"value": o.value, "label": o.label or o.value} for o in output.options]
        if output.type == "rating" and not output.criteria:
            row["options"] = [{"value": str(n), "label": str(n)} for n in range(output.min, output.max + 1)]
        rows.append(row)
    return rows


def _answer_from(post: Any, spec: dict[str, Any], prefix: str) -> dict[str, Any]:
    parsed = parse_spec(spec)
    answer: dict[str, Any] = {}
    for output in parsed.outputs:
        key = f"{prefix}{output.name}"
        if output.type == "multi_choice":
            answer[output.name] = post.getlist(key)
            continue
        raw = post.get(key, "")
        if output.type in {"text", "transcription", "single_choice"}:
            answer[output.name] = raw
        elif output.type in {"number", "rating"}:
            try:
                number = float(raw)
                answer[output.name] = (
                    int(number) if output.type == "rating" or number.is_integer() else number
                )
            except ValueError:
                answer[output.name] = None
        else:
            try:
                answer[output.name] = json.loads(raw) if raw.strip() else []
            except json.JSONDecodeError:
                answer[output.name] = None
    return answer


def _overlay(data: dict[str, Any], feedback: dict[str, Any] | None) -> dict[str, Any] | None:
    """Shapes to draw: expected (green, dashed) and given (blue), on the image's own coordinates."""
    if not feedback:
        return None
    width, height = data.get("width"), data.get("height")
    if not (isinstance(width, int | float) and isinstance(height, int | float)):
        return None
    shapes = []
    for output in feedback.get("outputs", []):
        if output["type"] not in {"boxes", "transcription_regions"}:
            continue
        for kind in ("expected", "given"):
            for box in output.get(kind) or []:
                if isinstance(box, dict) and all(k in box for k in ("x", "y", "width", "height")):
                    shapes.append({"kind": kind, **box})
    return {"width": width, "height": height, "shapes": shapes, "image": data.get("image")}


def _spans_html(data: dict[str, Any], feedback: dict[str, Any]) -> list[dict[str, Any]]:
    """The text cut into pieces marked hit / missed / extra, for span feedback."""
    out = []
    text = next((v for v in data.values() if isinstance(v, str) and len(v) > 20), "")
    for output in feedback.get("outputs", []):
        if output["type"] != "spans" or not text:
            continue
        marks = [0] * len(text)
        for span in output.get("expected") or []:
            for i in range(span["start"], min(span["end"], len(text))):
                marks[i] |= 1
        for span in output.get("given") or []:
            for i in range(span["start"], min(span["end"], len(text))):
                marks[i] |= 2
        pieces: list[dict[str, Any]] = []
        for char, mark in zip(text, marks, strict=True):
            css = {0: "", 1: "missed", 2: "extra", 3: "hit"}[mark]
            if pieces and pieces[-1]["css"] == css:
                pieces[-1]["text"] += char
            else:
                pieces.append({"css": css, "text": char})
        out.append({"name": output["name"], "pieces": pieces})
    return out


def _question(item: Any, prefix: str, feedback: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "id": item.pk,
        "prompt": item.prompt,
        "data": item.data,
        "text_inputs": {
            k: v
            for k, v in item.data.items()
            if isinstance(v, str) and not v.endswith((".png", ".jpg", ".svg"))
        },
        "image": item.data.get("image"),
        "fields": _fields(item.spec, item.data, prefix),
        "feedback": feedback,
        "overlay": _overlay(item.data, feedback),
        "spans": _spans_html(item.data, feedback) if feedback else [],
    }


@login_required
def academy(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    return render(
        request,
        "academy/index.html",
        {
            "courses": selectors.courses(),
            "certifications": selectors.certifications_of(user=user),
        },
    )


@login_required
def course(request: HttpRequest, slug: str) -> HttpResponse:
    user = user_of(request)
    found = selectors.course(slug=slug)
    feedback: dict[int, dict[str, Any]] = {}
    if request.method == "POST":
        chosen = request.POST.get("practice", "")
        item = PracticeItem.objects.filter(pk=int(chosen) if chosen.isdigit() else 0, course=found).first()
        if item is not None:
            answer = _answer_from(request.POST, item.spec, f"p{item.pk}-")
            try:
                feedback[item.pk] = services.answer_practice(
                    user=user, practice_item_id=item.pk, answer=answer
                )
            except DureError as error:
                feedback[item.pk] = {"error": str(error.message), "problems": error.details.get("errors", [])}
    progress = selectors.practice_progress(user=user, course=found)
    return render(
        request,
        "academy/course.html",
        {
            "course": found,
            "lessons": [
                {"title": lesson.title, "html": render_markdown(lesson.body)}
                for lesson in found.lessons.all()
            ],
            "practice": [
                {
                    **_question(p, f"p{p.pk}-", feedback.get(p.pk)),
                    "last": progress.get(p.pk),
                    "explanation": p.explanation,
                }
                for p in found.practice_items.all()
            ],
            "exams": [
                {"exam": e, "status": selectors.exam_status(exam=e, user=user)} for e in found.exams.all()
            ],
        },
    )


@login_required
def exam(request: HttpRequest, exam_id: int) -> HttpResponse:
    user = user_of(request)
    found = selectors.exam_for(exam_id=exam_id, user=user)
    status = selectors.exam_status(exam=found, user=user)
    attempt = (
        ExamAttempt.objects.filter(pk=status["current_attempt"]).first()
        if status["current_attempt"]
        else None
    )
    last = (
        ExamAttempt.objects.filter(exam=found, user=user, finished_at__isnull=False)
        .order_by("-number")
        .first()
    )
    questions = []
    if attempt is not None:
        questions = [_question(q, f"q{q.pk}-") for q in found.questions.all()]
    results = []
    if last is not None and attempt is None:
        by_id = {r["question"]: r for r in last.results}
        results = [
            {**_question(q, f"r{q.pk}-", by_id.get(q.pk)), "review": True} for q in found.questions.all()
        ]
    return render(
        request,
        "academy/exam.html",
        {
            "exam": found,
            "status": status,
            "attempt": attempt,
            "questions": questions,
            "last": last,
            "results": results,
        },
    )


@login_required
@require_POST
def exam_start(request: HttpRequest, exam_id: int) -> HttpResponse:
    try:
        services.start_attempt(user=user_of(request), exam_id=exam_id)
    except DureError as error:
        messages.error(request, str(error.message))
    return redirect("academy:exam", exam_id=exam_id)


@login_required
@require_POST
def exam_submit(request: HttpRequest, exam_id: int, attempt_id: int) -> HttpResponse:
    user = user_of(request)
    attempt = (
        ExamAttempt.objects.filter(pk=attempt_id, user=user, exam_id=exam_id).select_related("exam").first()
    )
    if attempt is not None:
        answers = {
            str(q.pk): _answer_from(request.POST, q.spec, f"q{q.pk}-") for q in attempt.exam.questions.all()
        }
        try:
            done = services.submit_attempt(user=user, attempt_id=attempt.pk, answers=answers)
            if done.state == "passed":
                messages.success(request, _("Passed. Well done!"))
            else:
                messages.error(request, _("Not passed this time. See what went wrong below."))
        except DureError as error:
            messages.error(request, str(error.message))
    return redirect("academy:exam", exam_id=exam_id)


def _line_chart(
    points: list[dict[str, Any]], keys: list[str], width: int = 720, height: int = 160
) -> dict[str, Any]:
    """Polylines of shares (0..1) per week for an inline SVG: positions computed here, drawn by the template."""
    step = width / max(1, len(points) - 1)
    lines = []
    for key in keys:
        coords = [
            (round(i * step, 1), round(height - 10 - p[key] * (height - 20), 1))
            for i, p in enumerate(points)
            if p[key] is not None
        ]
        lines.append({"key": key, "points": " ".join(f"{x},{y}" for x, y in coords), "dots": coords})
    return {"width": width, "height": height, "lines": lines, "labels": [p["week"] for p in points]}


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    history = quality_selectors.weekly_history(user=user)
    return render(
        request,
        "academy/profile.html",
        {
            "person": user,
            "scores": quality_selectors.worker_scores(user=user),
            "certifications": selectors.certifications_of(user=user),
            "by_type": quality_selectors.history_by_data_type(user=user),
            "chart": _line_chart(history, ["approval", "gold"]),
            "pauses": Pause.objects.filter(worker=user)
            .select_related("project", "appeal")
            .order_by("-created_at")[:20],
        },
    )


@login_required
@require_POST
def appeal(request: HttpRequest, pause_id: int) -> HttpResponse:
    from dure.quality.services import appeal as make_appeal

    try:
        make_appeal(worker=user_of(request), pause_id=pause_id, message=request.POST.get("message", ""))
        messages.success(request, _("Your appeal was sent to the project's managers."))
    except DureError as error:
        messages.error(request, str(error.message))
    return redirect("academy:profile")

"""Academy pages: courses with lessons and practice (instant feedback), exams, and the worker profile.

Every question is answered in the workspace's own field widgets (boxes drawn with Annotorious, spans
selected in the text, …), mounted by the workspace bundle, which keeps the whole answer as JSON in one
hidden field (``<prefix>answer``). Without JavaScript, choice, text, number and rating answers still work
as plain form fields. Feedback is drawn on the data: the expected shapes beside the worker's, missed spans
highlighted, and a character diff of each transcription.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.utils.translation import get_language
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


#: the hidden field the workspace widgets keep the whole answer in
ANSWER_FIELD = "answer"


def _answer_from(post: Any, spec: dict[str, Any], prefix: str) -> Any:
    parsed = parse_spec(spec)
    raw_answer = post.get(f"{prefix}{ANSWER_FIELD}", "")
    if raw_answer.strip():
        try:
            whole = json.loads(raw_answer)
        except json.JSONDecodeError:
            whole = None
        # a malformed answer is refused by validation with a message, like any other
        return whole
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


_SHAPE_OUTPUTS = {"boxes", "polygons", "keypoints", "transcription_regions"}


def _shape(kind: str, entry: Any, missed: bool) -> dict[str, Any] | None:
    """One shape for the SVG overlay, or None when it is not drawable."""
    if not isinstance(entry, dict):
        return None
    label = entry.get("label") or ""
    kind = "missed" if missed else kind
    css = f"shape-{kind}"
    if isinstance(entry.get("points"), list):
        points = [p for p in entry["points"] if isinstance(p, list) and len(p) == 2]
        return {"tag": "polygon", "css": css, "label": label,
                "points": " ".join(f"{x},{y}" for x, y in points), "x": points[0][0] if points else 0,
                "y": points[0][1] if points else 0}  # fmt: skip
    if all(isinstance(entry.get(k), int | float) for k in ("x", "y", "width", "height")):
        return {
            "tag": "rect",
            "css": css,
            "label": label,
            **{k: entry[k] for k in ("x", "y", "width", "height")},
        }
    if all(isinstance(entry.get(k), int | float) for k in ("x", "y")):
        return {"tag": "circle", "css": css, "label": label, "x": entry["x"], "y": entry["y"]}
    return None


def _overlay(data: dict[str, Any], feedback: dict[str, Any] | None) -> dict[str, Any] | None:
    """Shapes to draw on the image's own coordinates: the expected ones (green, dashed; red when the worker
    missed them) beside the worker's (blue)."""
    if not feedback or "outputs" not in feedback:
        return None
    width, height = data.get("width"), data.get("height")
    if not (isinstance(width, int | float) and isinstance(height, int | float)):
        return None
    shapes = []
    for output in feedback.get("outputs", []):
        if output["type"] not in _SHAPE_OUTPUTS:
            continue
        missed = set((output.get("detail") or {}).get("missed") or [])
        for kind in ("expected", "given"):
            for i, entry in enumerate(output.get(kind) or []):
                shape = _shape(kind, entry, kind == "expected" and i in missed)
                if shape is not None:
                    shapes.append(shape)
    if not shapes:
        return None
    image = next((v for v in data.values() if isinstance(v, str) and "/" in v), None)
    return {"width": width, "height": height, "shapes": shapes, "image": image,
            "stroke": max(width, height) / 250}  # fmt: skip


def _diff(expected: str, given: str) -> list[dict[str, str]]:
    """A character diff of a transcription: kept text, text the worker left out, and text they added."""
    pieces: list[dict[str, str]] = []
    matcher = difflib.SequenceMatcher(a=expected, b=given, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            pieces.append({"css": "same", "text": expected[a1:a2]})
            continue
        if a2 > a1:
            pieces.append({"css": "left-out", "text": expected[a1:a2]})
        if b2 > b1:
            pieces.append({"css": "added", "text": given[b1:b2]})
    return pieces


def _text_diffs(feedback: dict[str, Any]) -> list[dict[str, Any]]:
    """Character diffs of every transcription the feedback compares (texts, and OCR regions' texts)."""
    out = []
    for output in feedback.get("outputs", []):
        expected, given = output.get("expected"), output.get("given")
        if output["type"] in {"text", "transcription"} and isinstance(expected, str):
            given_text = given if isinstance(given, str) else ""
            if expected != given_text:
                out.append({"name": output["name"], "pieces": _diff(expected, given_text)})
        elif output["type"] == "transcription_regions":
            for match in (output.get("detail") or {}).get("matches") or []:
                e = (expected or [])[match["expected"]].get("text", "")
                g = (given or [])[match["given"]].get("text", "")
                if e != g:
                    out.append({"name": f"{output['name']} #{match['expected'] + 1}", "pieces": _diff(e, g)})
    return out


def _spans_html(spec: dict[str, Any], data: dict[str, Any], feedback: dict[str, Any]) -> list[dict[str, Any]]:
    """The text cut into pieces marked hit / missed / extra, for span feedback."""
    out = []
    parsed = parse_spec(spec)
    for output in feedback.get("outputs", []):
        if output["type"] != "spans":
            continue
        declared = next((o for o in parsed.outputs if o.name == output["name"]), None)
        source = parsed.input(declared.source if declared else None) or next(
            (i for i in parsed.inputs if i.type in {"text", "prompt"}), None
        )
        text = data.get(source.name) if source else None
        if not isinstance(text, str) or not text:
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
    given = {o["name"]: o["given"] for o in (feedback or {}).get("outputs", []) if o.get("given") is not None}
    return {
        "id": item.pk,
        "prompt": item.prompt,
        "data": item.data,
        "fields": _fields(item.spec, item.data, prefix),
        "feedback": feedback,
        "overlay": _overlay(item.data, feedback),
        "spans": _spans_html(item.spec, item.data, feedback) if feedback else [],
        "diffs": _text_diffs(feedback) if feedback else [],
        # what the workspace widgets are mounted with: the worker's last answer stays on screen to retry
        "answer_field": f"{prefix}{ANSWER_FIELD}",
        "widget_id": f"{prefix}widget",
        # the spec as the workspace gets it on real work: options written as plain strings become objects
        "widget": {
            "spec": parse_spec(item.spec).model_dump(mode="json"),
            "item": {"id": item.pk, "external_id": None, "data": item.data},
            "value": given or None,
            "field": f"{prefix}{ANSWER_FIELD}",
        },
    }


def _workspace_config(request: HttpRequest) -> dict[str, Any]:
    """What the workspace bundle needs on an Academy page to mount its field widgets."""
    return {
        "mode": "academy",
        "api": "/api/v1",
        "media_url": settings.MEDIA_URL,
        "csrf": get_token(request),
        "lang": get_language() or settings.LANGUAGE_CODE,
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
            "workspace_config": _workspace_config(request),
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
            "workspace_config": _workspace_config(request),
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

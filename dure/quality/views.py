"""The manager's quality page: gold items (mark one with its answer), worker scores, appeals to decide,
agreement figures; and the senior reviewers' adjudication queue."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from dure.core.errors import DureError
from dure.core.http import user_of
from dure.projects.selectors import project_access, spec_of
from dure.quality import selectors, services
from dure.quality.agreement import project_agreement
from dure.quality.dashboards import quality_dashboards
from dure.quality.errors import InvalidAdjudication
from dure.quality.models import Appeal, AppealState, GoldItem


@login_required
def quality(request: HttpRequest, project_id: int) -> HttpResponse:
    user = user_of(request)
    access = project_access(user=user, project_id=project_id)
    access.require(access.can_manage)
    project = access.project
    if request.method == "POST":
        try:
            if "appeal" in request.POST:
                services.decide_appeal(
                    appeal_id=int(request.POST["appeal"]),
                    actor=user,
                    accept=request.POST.get("accept") == "1",
                    note=request.POST.get("note", ""),
                    project=project,
                )
                messages.success(request, _("The appeal is decided."))
            else:
                try:
                    answer = json.loads(request.POST.get("answer", ""))
                except json.JSONDecodeError:
                    answer = None
                services.mark_gold(
                    project=project,
                    item_id=int(request.POST.get("item") or 0),
                    answer=answer,
                    actor=user,
                    explanation=request.POST.get("explanation", ""),
                )
                messages.success(request, _("The item is now a gold item."))
        except (DureError, ValueError) as error:
            messages.error(request, str(getattr(error, "message", error)))
        return redirect("quality:project", project_id=project.pk)
    agreement = project_agreement(project=project, max_items=AGREEMENT_PAGE_ITEMS)
    return render(
        request,
        "quality/project.html",
        {
            "project": project,
            "settings": selectors.settings_of(project),
            "gold": GoldItem.objects.filter(project=project).select_related("item").order_by("-id")[:200],
            "scores": selectors.project_worker_scores(project=project),
            "appeals": Appeal.objects.filter(pause__project=project)
            .select_related("pause__worker")
            .order_by("state", "-id")[:100],
            "pending": AppealState.PENDING,
            "wait": selectors.review_queue_wait(project=project),
            "agreement": agreement,
            "agreement_pairs": _named_pairs(agreement["pairs"][:20]),
            "adjudication": selectors.adjudication_summary(project=project),
            "dashboards": quality_dashboards(project=project),
        },
    )


#: the quality page measures agreement on the newest items only, so it stays quick on a large project
AGREEMENT_PAGE_ITEMS = 2000


def _senior_access(request: HttpRequest, project_id: int) -> Any:
    user = user_of(request)
    access = project_access(user=user, project_id=project_id)
    access.require(
        services.may_adjudicate(
            user=user, project=access.project, can_manage=access.can_manage, can_review=access.can_review
        )
    )
    return access


@login_required
def adjudication(request: HttpRequest, project_id: int) -> HttpResponse:
    """The adjudication queue: take the next item, compare the workers' answers, pick or edit the final one.

    With htmx only the panel is swapped; without JavaScript every form posts here and the page reloads.
    """
    user = user_of(request)
    access = _senior_access(request, project_id)
    project = access.project
    error = None
    saved = False
    if request.method == "POST":
        action = request.POST.get("action", "next")
        try:
            if action == "decide":
                try:
                    answer = json.loads(request.POST.get("answer", ""))
                except json.JSONDecodeError:
                    raise InvalidAdjudication() from None
                services.adjudicate(
                    adjudicator=user,
                    project=project,
                    item_id=int(request.POST.get("item") or 0),
                    answer=answer,
                    note=request.POST.get("note", ""),
                )
                saved = True
                if not request.headers.get("HX-Request"):
                    messages.success(request, _("The final answer is saved."))
            elif action == "release":
                services.release_adjudication(
                    adjudicator=user, project=project, item_id=int(request.POST.get("item") or 0)
                )
            if action in {"next", "decide"}:
                # after a decision the next item is already on screen, like the review workspace
                services.lease_next_adjudication(adjudicator=user, project=project)
        except (DureError, ValueError) as problem:
            error = problem
        if error is None and not request.headers.get("HX-Request"):
            return redirect("quality:adjudication", project_id=project.pk)
    if request.method == "GET" and request.GET.get("take"):
        services.lease_next_adjudication(adjudicator=user, project=project)
    held = services.held_adjudication(adjudicator=user, project=project)
    view = selectors.adjudication_view(held) if held is not None else None
    if view is not None:
        view["answer_json"] = json.dumps(view["answer"], ensure_ascii=False)
        for answer in view["answers"]:
            answer["answer_json"] = json.dumps(answer["answer"], ensure_ascii=False)
    context = {
        "project": project,
        "access": access,
        "summary": selectors.adjudication_summary(project=project),
        "view": view,
        "table": _side_by_side(project, view) if view else [],
        "saved": saved,
        "error": getattr(error, "message", None) or (str(error) if error else None),
        "errors": (getattr(error, "details", None) or {}).get("errors", []) if error else [],
    }
    template = (
        "quality/_adjudication_panel.html"
        if request.headers.get("HX-Request")
        else "quality/adjudication.html"
    )
    return render(
        request, template, context, status=400 if error and not request.headers.get("HX-Request") else 200
    )


def _compact(value: Any) -> str:
    return "—" if value is None else json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def _side_by_side(project: Any, view: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per output: the aggregate, then each worker's value, as compact JSON to compare."""
    rows = []
    for output in spec_of(project).outputs:
        values = [(a["answer"] or {}).get(output.name) for a in view["answers"]]
        aggregate = (view["answer"] or {}).get(output.name)
        rows.append(
            {
                "name": output.label or output.name,
                "type": output.type,
                "confidence": view["outputs"].get(output.name),
                "aggregate": _compact(aggregate),
                "values": [{"text": _compact(v), "differs": v != aggregate} for v in values],
            }
        )
    return rows


def _named_pairs(pairs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Worker pairs with the names the project's managers see (this page is theirs)."""
    from dure.accounts.models import User

    ids = {worker for pair in pairs for worker in pair["workers"]}
    names = {u.pk: u.display_name or u.username for u in User.objects.filter(pk__in=ids)}
    return [{**pair, "names": [names.get(w, "—") for w in pair["workers"]]} for pair in pairs]

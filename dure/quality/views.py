"""The manager's quality page: gold items (mark one with its answer), worker scores, appeals to decide."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from dure.core.errors import DureError
from dure.core.http import user_of
from dure.projects.selectors import project_access
from dure.quality import selectors, services
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
        },
    )

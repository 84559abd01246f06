"""The AI-assistance page of a project: the backend, pre-label jobs, and what suggestions achieve."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dure.assist import selectors, services
from dure.assist.backends.base import applicable_backends
from dure.assist.models import ProjectAssist
from dure.assist.presenters import job_payload, settings_payload
from dure.core.errors import DureError
from dure.core.http import user_of
from dure.datasets import jobviews
from dure.projects.selectors import project_access, spec_of


def _options(request: HttpRequest, backend: str, previous: dict[str, Any]) -> dict[str, Any]:
    if backend == "http":
        options: dict[str, Any] = {"url": request.POST.get("url", "").strip()}
        timeout = request.POST.get("timeout_seconds", "").strip()
        if timeout:
            try:
                options["timeout_seconds"] = float(timeout)
            except ValueError:
                options["timeout_seconds"] = timeout  # the backend refuses it with a clear message
        token = request.POST.get("token", "")
        if token and token != "***":
            options["token"] = token
        elif previous.get("token"):
            options["token"] = previous["token"]
        return options
    if backend == "minilm" and request.POST.get("examples", "").strip():
        try:
            examples = json.loads(request.POST["examples"])
        except ValueError:
            examples = None
        return {"examples": examples if isinstance(examples, list) else []}
    return {}


@login_required
def assist_page(request: HttpRequest, project_id: int) -> HttpResponse:
    access = project_access(user=user_of(request), project_id=project_id)
    access.require(access.can_manage)
    project = access.project
    chosen = ProjectAssist.objects.filter(project=project).first()
    if request.method == "POST":
        try:
            if request.POST.get("action") == "run":
                services.start_prelabel_job(
                    project=project, actor=user_of(request), only_missing=not request.POST.get("all")
                )
                messages.success(request, _("The pre-label job has started."))
            else:
                backend = request.POST.get("backend", "")
                services.configure(
                    project=project,
                    backend=backend,
                    options=_options(request, backend, chosen.options if chosen else {}),
                    suggest=bool(request.POST.get("suggest")),
                    flag_reviews=bool(request.POST.get("flag_reviews")),
                )
                messages.success(request, _("Saved."))
        except DureError as error:
            messages.error(request, str(error.message))
        return redirect("assist:page", project_id=project_id)
    jobs = [job_payload(j) for j in selectors.project_jobs(project=project)]
    duplicates = next(
        (j["result"].get("near_duplicates") for j in jobs if j["result"].get("near_duplicates")), None
    )
    return render(
        request,
        "assist/page.html",
        {
            "project": project,
            "access": access,
            "tab": "assist",
            "settings": settings_payload(chosen),
            "backends": applicable_backends(spec_of(project)),
            "jobs": jobs,
            "effect": selectors.effect(project=project),
            "flagged": selectors.flagged_count(project=project),
            "duplicates": duplicates[:20] if duplicates else [],
        },
    )


@login_required
def job_row(request: HttpRequest, project_id: int, assist_job_id: int) -> HttpResponse:
    job, _access = selectors.job_for_user(user=user_of(request), job_id=assist_job_id)
    return jobviews.job_row(
        request, job=job, project_id=project_id, template="assist/_job_row.html", row=job_payload
    )


@login_required
@require_POST
def cancel(request: HttpRequest, project_id: int, assist_job_id: int) -> HttpResponse:
    job, _access = selectors.job_for_user(user=user_of(request), job_id=assist_job_id)
    return jobviews.cancel(
        request,
        job=job,
        project_id=project_id,
        cancel_job=services.cancel_job,
        template="assist/_job_row.html",
        row=job_payload,
        page="assist:page",
    )

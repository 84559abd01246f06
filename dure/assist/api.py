"""Assistance over HTTP: the project's backend, pre-label jobs, the pre-labels, and their effect."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from dure.assist import selectors, services
from dure.assist.backends.base import applicable_backends
from dure.assist.models import ProjectAssist
from dure.assist.presenters import job_payload, prelabel_payload, settings_payload
from dure.assist.schemas import (
    AssistJobListOut,
    AssistJobOut,
    AssistSettingsIn,
    AssistSettingsOut,
    PrelabelJobIn,
    PreLabelListOut,
)
from dure.core.http import user_of
from dure.projects.selectors import Access, project_access, spec_of

router = Router(tags=["assist"])


def _managed(request: HttpRequest, project_id: int) -> Access:
    access = project_access(user=user_of(request), project_id=project_id)
    access.require(access.can_manage)
    return access


def _settings(access: Access) -> dict[str, Any]:
    project = access.project
    return {
        **settings_payload(ProjectAssist.objects.filter(project=project).first()),
        "backends": applicable_backends(spec_of(project)),
        "effect": selectors.effect(project=project),
        "flagged": selectors.flagged_count(project=project),
    }


@router.get("/projects/{project_id}/assist", response=AssistSettingsOut)
def get_settings(request: HttpRequest, project_id: int) -> dict[str, Any]:
    """The backend, and how much faster workers are with suggestions and how often they change them."""
    return _settings(_managed(request, project_id))


@router.put("/projects/{project_id}/assist", response=AssistSettingsOut)
def put_settings(request: HttpRequest, project_id: int, body: AssistSettingsIn) -> dict[str, Any]:
    access = _managed(request, project_id)
    services.configure(
        project=access.project,
        backend=body.backend,
        options=body.options,
        suggest=body.suggest,
        flag_reviews=body.flag_reviews,
    )
    return _settings(access)


@router.post("/projects/{project_id}/assist/jobs", response={202: AssistJobOut})
def start_job(request: HttpRequest, project_id: int, body: PrelabelJobIn | None = None) -> Status:
    access = _managed(request, project_id)
    job = services.start_prelabel_job(
        project=access.project, actor=user_of(request), only_missing=body.only_missing if body else True
    )
    return Status(202, job_payload(job))


@router.get("/projects/{project_id}/assist/jobs", response=AssistJobListOut)
def list_jobs(request: HttpRequest, project_id: int) -> dict[str, Any]:
    access = _managed(request, project_id)
    return {"jobs": [job_payload(j) for j in selectors.project_jobs(project=access.project)]}


@router.get("/assist/jobs/{assist_job_id}", response=AssistJobOut)
def get_job(request: HttpRequest, assist_job_id: int) -> dict[str, Any]:
    job, _access = selectors.job_for_user(user=user_of(request), job_id=assist_job_id)
    return job_payload(job)


@router.post("/assist/jobs/{assist_job_id}/cancel", response=AssistJobOut)
def cancel_job(request: HttpRequest, assist_job_id: int) -> dict[str, Any]:
    job, _access = selectors.job_for_user(user=user_of(request), job_id=assist_job_id)
    return job_payload(services.cancel_job(job=job))


@router.get("/projects/{project_id}/prelabels", response=PreLabelListOut)
def list_prelabels(request: HttpRequest, project_id: int, after: int = 0, limit: int = 100) -> dict[str, Any]:
    """Pre-labels in id order; pass ``next_after`` as ``after`` for the next page."""
    access = _managed(request, project_id)
    rows = selectors.prelabels(project=access.project, after=after, limit=max(1, min(limit, 500)))
    return {
        "items": [prelabel_payload(p) for p in rows],
        "next_after": rows[-1].pk if len(rows) == max(1, min(limit, 500)) else None,
    }

"""The htmx row of a background job and its cancel button, shared by the datasets and assist pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from dure.core.errors import DureError


def _same_project[Job: models.Model](job: Job, project_id: int) -> Job:
    # the URL names the project too: a job reached through another project's URL does not exist there
    if job.project_id != project_id:  # type: ignore[attr-defined]
        raise Http404
    return job


def job_row(
    request: HttpRequest,
    *,
    job: models.Model,
    project_id: int,
    template: str,
    row: Callable[[Any], dict[str, Any]],
) -> HttpResponse:
    job = _same_project(job, project_id)
    return render(request, template, {"job": row(job), "project_id": project_id})


def cancel[Job: models.Model](
    request: HttpRequest,
    *,
    job: Job,
    project_id: int,
    cancel_job: Callable[..., Job],
    template: str,
    row: Callable[[Any], dict[str, Any]],
    page: str,
) -> HttpResponse:
    """Cancels and answers an htmx request with the job's new row, a plain form post with the page."""
    job = _same_project(job, project_id)
    try:
        job = cancel_job(job=job)
    except DureError as error:
        messages.error(request, str(error.message))
    if request.headers.get("HX-Request"):
        return render(request, template, {"job": row(job), "project_id": project_id})
    return redirect(page, project_id=project_id)

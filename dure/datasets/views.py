"""The datasets page of a project: start imports and exports, watch their progress, cancel, download."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from dure.core.errors import DureError
from dure.core.http import user_of
from dure.datasets import jobviews, selectors, services
from dure.datasets.conf import conf
from dure.datasets.exporters import EXPORTERS
from dure.datasets.media import path_from_token
from dure.datasets.presenters import job_payload
from dure.datasets.ranges import ranged_file_response
from dure.datasets.readers import IMPORT_FORMATS
from dure.projects.selectors import project_access
from dure.quality.models import Level


def _row(job: object) -> dict:
    return job_payload(job)  # type: ignore[arg-type]


@login_required
def jobs_page(request: HttpRequest, project_id: int) -> HttpResponse:
    access = project_access(user=user_of(request), project_id=project_id)
    access.require(access.can_manage or access.can_export)
    if request.method == "POST":
        try:
            if request.POST.get("kind") == "import":
                access.require(access.can_manage)
                services.create_import_job(
                    project=access.project,
                    actor=user_of(request),
                    format=request.POST.get("format", ""),
                    upload=request.FILES.get("file"),
                    url=request.POST.get("url", ""),
                )
            else:
                filters = {"state": request.POST.get("state") or "approved"}
                for key in ("done_from", "done_to", "worker_level"):
                    if request.POST.get(key):
                        filters[key] = request.POST[key]
                services.create_export_job(
                    project=access.project,
                    actor=user_of(request),
                    format=request.POST.get("format", ""),
                    filters=filters,
                )
        except DureError as error:
            messages.error(request, str(error.message))
        return redirect("datasets:jobs", project_id=project_id)
    jobs = [_row(j) for j in selectors.project_jobs(access=access)]
    return render(
        request,
        "datasets/jobs.html",
        {
            "project": access.project,
            "access": access,
            "jobs": jobs,
            "import_formats": IMPORT_FORMATS,
            "export_formats": list(EXPORTERS),
            "levels": Level.objects.order_by("rank"),
        },
    )


@login_required
def job_row(request: HttpRequest, project_id: int, job_id: int) -> HttpResponse:
    job, _access = selectors.job_for_user(user=user_of(request), job_id=job_id)
    return jobviews.job_row(
        request, job=job, project_id=project_id, template="datasets/_job_row.html", row=_row
    )


@login_required
@require_POST
def cancel(request: HttpRequest, project_id: int, job_id: int) -> HttpResponse:
    job, _access = selectors.job_for_user(user=user_of(request), job_id=job_id)
    return jobviews.cancel(
        request,
        job=job,
        project_id=project_id,
        cancel_job=services.cancel_job,
        template="datasets/_job_row.html",
        row=_row,
        page="datasets:jobs",
    )


def signed_media(request: HttpRequest, token: str) -> HttpResponseBase:
    """Serves a stored media file to whoever holds a fresh signed link (see ``media.signed_media_url``),
    whole or one byte range of it, so that players can seek."""
    try:
        path = path_from_token(token, max_age=conf("MEDIA_URL_SECONDS"))
    except signing.BadSignature:
        raise Http404 from None
    if not default_storage.exists(path):
        raise Http404
    response = ranged_file_response(request, storage=default_storage, path=path)
    response["Cache-Control"] = f"private, max-age={conf('MEDIA_URL_SECONDS')}"
    response["X-Content-Type-Options"] = "nosniff"
    return response

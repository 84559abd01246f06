"""Imports and exports over HTTP: start a job (202), watch it, cancel it, download its file."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest
from ninja import Router, Status

from dure.core.http import user_of
from dure.datasets import selectors, services
from dure.datasets.errors import ResultNotReady
from dure.datasets.presenters import job_payload
from dure.datasets.readers import IMPORT_FORMATS
from dure.datasets.schemas import ExportIn, JobListOut, JobOut
from dure.projects.selectors import project_access

router = Router(tags=["datasets"])


_IMPORT_BODY = {
    "requestBody": {
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["format"],
                    "properties": {
                        "format": {"type": "string", "enum": IMPORT_FORMATS},
                        "file": {"type": "string", "format": "binary"},
                        "url": {"type": "string", "description": "s3://bucket/prefix, for format s3"},
                    },
                }
            }
        }
    }
}


@router.post("/projects/{project_id}/imports", response={202: JobOut}, openapi_extra=_IMPORT_BODY)
def start_import(request: HttpRequest, project_id: int) -> Status:
    """Multipart upload of one file (streamed to storage, never held in memory) and its format."""
    access = project_access(user=user_of(request), project_id=project_id)
    access.require(access.can_manage)
    job = services.create_import_job(
        project=access.project,
        actor=user_of(request),
        format=request.POST.get("format", ""),
        upload=request.FILES.get("file"),
        url=request.POST.get("url", ""),
    )
    return Status(202, job_payload(job))


@router.post("/projects/{project_id}/exports", response={202: JobOut})
def start_export(request: HttpRequest, project_id: int, body: ExportIn) -> Status:
    access = project_access(user=user_of(request), project_id=project_id)
    access.require(access.can_export)
    job = services.create_export_job(
        project=access.project, actor=user_of(request), format=body.format, filters=body.filters
    )
    return Status(202, job_payload(job))


@router.get("/projects/{project_id}/jobs", response=JobListOut)
def list_jobs(request: HttpRequest, project_id: int) -> dict:
    access = project_access(user=user_of(request), project_id=project_id)
    access.require(access.can_manage or access.can_export)
    return {"jobs": [job_payload(j) for j in selectors.project_jobs(access=access)]}


@router.get("/jobs/{job_id}", response=JobOut)
def get_job(request: HttpRequest, job_id: int) -> dict:
    job, _access = selectors.job_for_user(user=user_of(request), job_id=job_id)
    return job_payload(job)


@router.post("/jobs/{job_id}/cancel", response=JobOut)
def cancel_job(request: HttpRequest, job_id: int) -> dict:
    job, _access = selectors.job_for_user(user=user_of(request), job_id=job_id)
    return job_payload(services.cancel_job(job=job))


@router.get("/jobs/{job_id}/download")
def download(request: HttpRequest, job_id: int) -> FileResponse:
    job, _access = selectors.job_for_user(user=user_of(request), job_id=job_id)
    if not job.result_path or job.state != "succeeded":
        raise ResultNotReady(state=job.state)
    name = job.result.get("file_name") or job.result_path.rsplit("/", 1)[-1]
    return FileResponse(default_storage.open(job.result_path, "rb"), as_attachment=True, filename=name)


_CERTIFICATE_TYPES = {
    "json": "application/json",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
}


@router.get("/jobs/{job_id}/certificate")
def certificate(request: HttpRequest, job_id: int, format: str = "pdf") -> FileResponse:
    """The export's delivery certificate (``format`` json, html or pdf), stored next to the exported file."""
    job, _access = selectors.job_for_user(user=user_of(request), job_id=job_id)
    paths = (job.result or {}).get("certificate") or {}
    if job.state != "succeeded" or format not in paths:
        raise ResultNotReady(state=job.state)
    return FileResponse(
        default_storage.open(paths[format], "rb"),
        as_attachment=format != "html",
        filename=f"certificate-{job.project_id}-{job.pk}.{format}",
        content_type=_CERTIFICATE_TYPES[format],
    )


@router.get("/jobs/{job_id}/quality-summary")
def quality_summary(request: HttpRequest, job_id: int) -> FileResponse:
    """The export's quality summary as a JSON file, stored next to the exported file whatever its format."""
    job, _access = selectors.job_for_user(user=user_of(request), job_id=job_id)
    path = (job.result or {}).get("summary_path")
    if job.state != "succeeded" or not path:
        raise ResultNotReady(state=job.state)
    return FileResponse(
        default_storage.open(path, "rb"),
        as_attachment=True,
        filename=f"quality-summary-{job.project_id}-{job.pk}.json",
        content_type="application/json",
    )

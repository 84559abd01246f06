"""The one JSON shape of a job, shared by the API and the pages."""

from __future__ import annotations

from typing import Any

from dure.datasets.models import DatasetJob, JobState
from dure.datasets.services import live_progress


def job_payload(job: DatasetJob) -> dict[str, Any]:
    phase, done, total = live_progress(job)
    percent = 100 if job.state == JobState.SUCCEEDED else (min(100, int(100 * done / total)) if total else 0)
    return {
        "id": job.pk,
        "project_id": job.project_id,
        "kind": job.kind,
        "format": job.format,
        "state": job.state,
        "phase": phase,
        "progress": {"done": done, "total": total},
        "percent": percent,
        "result": job.result,
        "error": (
            {"code": job.error_code, "message": job.error_message, "details": {"errors": job.error_report}}
            if job.state == JobState.FAILED
            else None
        ),
        "download_url": f"/api/v1/jobs/{job.pk}/download" if job.result_path else None,
        "certificate_url": (
            f"/api/v1/jobs/{job.pk}/certificate?format=pdf" if (job.result or {}).get("certificate") else None
        ),
        "quality_summary_url": (
            f"/api/v1/jobs/{job.pk}/quality-summary" if (job.result or {}).get("summary_path") else None
        ),
        "created_by": job.created_by_id,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
    }

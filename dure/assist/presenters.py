"""The JSON shapes of assistance, shared by the API and the pages."""

from __future__ import annotations

from typing import Any

from dure.assist.models import AssistJob, PreLabel, ProjectAssist
from dure.datasets.models import JobState

#: option keys never sent back (a client's model server token)
SECRET_OPTIONS = {"token"}


def job_payload(job: AssistJob) -> dict[str, Any]:
    return {
        "id": job.pk,
        "project_id": job.project_id,
        "backend": job.backend,
        "state": job.state,
        "progress": {"done": job.progress_done, "total": job.progress_total},
        "percent": job.percent,
        "result": job.result,
        "error": (
            {"code": job.error_code, "message": job.error_message, "details": job.result.get("details", {})}
            if job.state == JobState.FAILED
            else None
        ),
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
    }


def settings_payload(chosen: ProjectAssist | None) -> dict[str, Any]:
    if chosen is None:
        return {"backend": "", "options": {}, "suggest": True, "flag_reviews": True}
    return {
        "backend": chosen.backend,
        "options": {k: ("***" if k in SECRET_OPTIONS else v) for k, v in chosen.options.items()},
        "suggest": chosen.suggest,
        "flag_reviews": chosen.flag_reviews,
    }


def prelabel_payload(prelabel: PreLabel) -> dict[str, Any]:
    return {
        "id": prelabel.pk,
        "item_id": prelabel.item_id,
        "backend": prelabel.backend,
        "answer": prelabel.answer,
        "confidence": prelabel.confidence,
        "created_at": prelabel.created_at,
    }

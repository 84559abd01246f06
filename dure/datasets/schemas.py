from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Schema


class ExportIn(Schema):
    format: str
    filters: dict[str, Any] = {}


class JobOut(Schema):
    id: int
    project_id: int
    kind: str
    format: str
    state: str
    phase: str
    progress: dict[str, int]
    percent: int
    result: dict[str, Any]
    error: dict[str, Any] | None
    download_url: str | None
    certificate_url: str | None = None
    quality_summary_url: str | None = None
    created_by: int | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class JobListOut(Schema):
    jobs: list[JobOut]

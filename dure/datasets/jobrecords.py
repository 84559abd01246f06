"""What the background job records share (dataset jobs, assist jobs): enqueueing after commit with a
back-off delay, and cancelling. Their read side (``finished``, ``percent``) is ``models.JobProgress``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import models, transaction
from django.tasks import Task
from django.utils import timezone

from dure.datasets.models import JobState


def enqueue_on_commit(task: Task[[int], Any], job_id: int, *, delay_seconds: float = 0) -> None:
    """Queues ``task(job_id)`` once the current transaction commits, ``delay_seconds`` later when the
    task backend can defer (a retry's back-off)."""

    def send() -> None:
        chosen = task
        if delay_seconds and chosen.get_backend().supports_defer:
            chosen = chosen.using(run_after=timezone.now() + timedelta(seconds=delay_seconds))
        chosen.enqueue(job_id)

    transaction.on_commit(send)


def request_cancel[Job: models.Model](model: type[Job], job: Job) -> Job:
    """A queued job is cancelled at once; a running one only gets ``cancel_requested`` and stops itself."""
    model._default_manager.filter(pk=job.pk, state=JobState.QUEUED).update(
        state=JobState.CANCELLED, cancel_requested=True, finished_at=timezone.now()
    )
    model._default_manager.filter(pk=job.pk, state=JobState.RUNNING).update(cancel_requested=True)
    job.refresh_from_db()
    return job

"""Background jobs of assistance: pre-label runs, and fingerprints of a submission's uploads."""

from __future__ import annotations

from django.tasks import task

from dure.assist import services


@task()
def run_assist_job(job_id: int) -> str | None:
    job = services.run_job(job_id=job_id)
    return job.state if job is not None else None


@task()
def fingerprint_submission(submission_id: int) -> int:
    return len(services.fingerprint_uploads(submission_id=submission_id))

"""Background jobs of datasets: one task runs any import or export job to its end."""

from __future__ import annotations

from django.tasks import task

from dure.datasets import services


@task()
def run_dataset_job(job_id: int) -> str | None:
    job = services.run_job(job_id=job_id)
    return job.state if job is not None else None

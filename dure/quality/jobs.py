"""Background jobs for quality: audit sampling and the platform's reviewer capacity, every few minutes;
aggregation of items answered by several workers."""

from __future__ import annotations

import time

from django.core.cache import cache
from django.db import transaction
from django.tasks import task

from dure.quality import services

#: the sweep thread of ``dure worker`` calls ``sweep_if_due`` often; the work runs this often at most
SWEEP_INTERVAL_SECONDS = 300.0
_last_sweep = 0.0


def sweep_if_due(*, now: float | None = None) -> dict[str, int] | None:
    global _last_sweep
    now = time.monotonic() if now is None else now
    if now - _last_sweep < SWEEP_INTERVAL_SECONDS:
        return None
    _last_sweep = now
    return services.run_quality_sweep()


@task()
def quality_sweep() -> dict[str, int]:
    return services.run_quality_sweep()


@task()
def aggregate_item(item_id: int) -> float | None:
    """A done item with overlap > 1: the quick vote now, and the project's Dawid-Skene soon after."""
    aggregated = services.aggregate_item(item_id=item_id)
    if aggregated is None:
        return None
    # One project recomputation per minute at most, however many items finish meanwhile.
    if cache.add(
        f"quality:aggregate-project:{aggregated.project_id}", 1, timeout=PROJECT_AGGREGATION_SECONDS
    ):
        aggregate_project.enqueue(aggregated.project_id)
    return aggregated.confidence


PROJECT_AGGREGATION_SECONDS = 60


@task()
def aggregate_project(project_id: int) -> dict[str, int]:
    from dure.projects.models import Project

    project = Project.objects.filter(pk=project_id).first()
    if project is None:
        return {}
    return services.aggregate_project(project=project)


def enqueue_item_aggregation(item_id: int) -> None:
    """Called inside the decision's transaction: the job runs once the approval is committed."""
    transaction.on_commit(lambda: aggregate_item.enqueue(item_id))

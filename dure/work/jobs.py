"""Background jobs of the work loop."""

from __future__ import annotations

from django.tasks import task

from dure.work import services


@task()
def reclaim_expired_leases() -> int:
    return services.reclaim_expired()

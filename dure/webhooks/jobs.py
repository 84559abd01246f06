"""Background jobs for webhooks."""

from __future__ import annotations

from django.tasks import task

from dure.webhooks import services


@task()
def deliver(delivery_id: int) -> str:
    delivery = services.attempt(delivery_id)
    return delivery.state if delivery is not None else "missing"


@task()
def retry_due() -> int:
    return services.retry_due()

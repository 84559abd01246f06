"""Background jobs for notifications: the event's request only enqueues, after its commit."""

from __future__ import annotations

from django.tasks import task

from dure.notices import services


@task()
def deliver(event: str, object_id: int) -> str:
    services.handle(event, object_id)
    return event

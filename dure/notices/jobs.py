"""Background jobs for notifications: the event's request only enqueues, after its commit."""

from __future__ import annotations

import logging

from django.tasks import default_task_backend, task
from django.utils import timezone

from dure.notices import mail, services

logger = logging.getLogger(__name__)


@task()
def deliver(event: str, object_id: int) -> str:
    services.handle(event, object_id)
    return event


@task()
def send_email(notification_id: int, attempt: int = 0) -> str:
    try:
        return "sent" if mail.send_one(notification_id) else "skipped"
    except Exception:
        if attempt + 1 >= mail.MAX_ATTEMPTS:
            logger.exception("giving up the email of notification %s", notification_id)
            return "failed"
        logger.warning("email of notification %s failed; retrying", notification_id, exc_info=True)
        again = send_email
        if default_task_backend.supports_defer:
            again = send_email.using(run_after=timezone.now() + mail.retry_delay(attempt))
        again.enqueue(notification_id, attempt + 1)
        return "retrying"


@task()
def send_digests() -> int:
    return mail.send_digests()


def sweep_if_due() -> None:
    """From the worker's sweep: the daily digest, and every few minutes the budgets, rework deadlines and
    review queues (one worker at a time)."""
    from django.core.cache import cache

    mail.digests_if_due()
    if cache.add("notices:budget-check", 1, timeout=services.BUDGET_CHECK_SECONDS):
        services.budget_low()
    # Deadlines are hours away and queues back up over hours: a look every few minutes is on time.
    if cache.add("notices:queue-check", 1, timeout=services.QUEUE_CHECK_SECONDS):
        services.rework_deadlines()
        services.review_backlog()

"""Background jobs for money: the weekly fair-pay settlement."""

from __future__ import annotations

from django.tasks import task

from dure.payments import services
from dure.payments.models import Settlement


def settle_if_due() -> bool:
    """Settles the last complete week once; the job worker calls this regularly."""
    start, end = services.last_week()
    if Settlement.objects.filter(start=start, end=end).exists():
        return False
    services.settle_fair_pay(start=start, end=end)
    return True


@task()
def settle_last_week() -> bool:
    return settle_if_due()

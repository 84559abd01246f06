"""Background jobs for quality: audit sampling and the platform's reviewer capacity, every few minutes."""

from __future__ import annotations

import time

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

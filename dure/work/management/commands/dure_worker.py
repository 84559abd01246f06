"""Runs the background job worker and, beside it, a sweep that reopens expired leases every few seconds
and settles last week's fair pay when it is due."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from dure.matching.jobs import sweep_if_due as matching_sweep_if_due
from dure.notices.jobs import sweep_if_due as notices_sweep_if_due
from dure.payments.jobs import settle_if_due
from dure.quality.jobs import sweep_if_due as quality_sweep_if_due
from dure.webhooks.services import retry_if_due as webhook_retries_if_due
from dure.work.services import reclaim_expired

logger = logging.getLogger(__name__)


def sweep_once() -> None:
    """The sweeps every worker runs every few seconds; each one that costs more is rate-limited inside."""
    changed = reclaim_expired()
    if changed:
        logger.info("reopened %d expired slots", changed)
    # Every few minutes: audit sampling and the platform's reviewer capacity.
    quality_sweep_if_due()
    notices_sweep_if_due()  # notification digests, budget and queue warnings, rework deadlines
    matching_sweep_if_due()  # matching's feature tables: open projects often, everyone hourly (as a job)
    # Webhook retries whose deferred job the backend could not hold, or that got lost.
    retried = webhook_retries_if_due()
    if retried:
        logger.info("retried %d webhook deliveries", retried)


class Command(BaseCommand):
    help = "Run background jobs and reopen expired leases."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--sweep-interval", type=float, default=15.0)

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()

        def sweep() -> None:
            last_settlement_check = 0.0
            while not stop.wait(options["sweep_interval"]):
                try:
                    sweep_once()
                    # Once an hour: settle last week's fair pay if nobody has (idempotent).
                    if time.monotonic() - last_settlement_check > 3600:
                        last_settlement_check = time.monotonic()
                        if settle_if_due():
                            logger.info("settled last week's fair pay")
                except Exception:  # keep sweeping; a lost connection must not stop the loop
                    logger.exception("lease sweep failed")
                finally:
                    close_old_connections()

        threading.Thread(target=sweep, name="lease-sweep", daemon=True).start()
        try:
            call_command("db_worker", interval=1, verbosity=options["verbosity"])
        finally:
            stop.set()

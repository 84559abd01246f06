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

from dure.notices.jobs import sweep_if_due as notices_sweep_if_due
from dure.payments.jobs import settle_if_due
from dure.quality.jobs import sweep_if_due as quality_sweep_if_due
from dure.work.services import reclaim_expired

logger = logging.getLogger(__name__)


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
                    changed = reclaim_expired()
                    if changed:
                        logger.info("reopened %d expired slots", changed)
                    # Every few minutes: audit sampling and the platform's reviewer capacity.
                    quality_sweep_if_due()
                    notices_sweep_if_due()  # notification digests and budget warnings
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

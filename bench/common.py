"""What the benchmarks share: a freshly created, migrated database to measure on, and N items approved with
bulk rows (set-up, never a result). Import after putting the repository root on ``sys.path``."""

from __future__ import annotations

import os
import tempfile
from typing import Any


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dure.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def scratch_sqlite(prefix: str) -> str:
    """Django on a new SQLite database in a new temporary folder, whatever DURE_DATABASE_URL says; returns
    the folder, for the caller to remove."""
    var_dir = tempfile.mkdtemp(prefix=prefix)
    os.environ["DURE_VAR_DIR"] = var_dir
    os.environ.pop("DURE_DATABASE_URL", None)
    _setup()
    return var_dir


def fresh_database(name: str) -> str:
    """Django on a freshly created database: the PostgreSQL database ``name`` (dropped and created again)
    when DURE_DATABASE_URL names it, else SQLite in DURE_VAR_DIR (set it to a new folder first). Returns
    the database's name for the printed results."""
    url = os.environ.get("DURE_DATABASE_URL", "")
    if url and not url.rstrip("/").endswith(f"/{name}"):
        raise SystemExit(f"use the scratch database {name}")
    if url:
        import psycopg

        admin = url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            connection.execute(f"CREATE DATABASE {name}")
    _setup()
    from django.db import connection as db

    return "PostgreSQL" if db.vendor == "postgresql" else "SQLite"


def approve_all(project: Any, *, worker: Any, reviewer: Any, active_seconds: float = 0.0) -> None:
    """Every slot of the project answered by ``worker`` and approved by ``reviewer``, with bulk rows in
    batches of 5000: the state the delivery and export code reads, reached without the work loop."""
    from django.db.models import OuterRef, Subquery
    from django.utils import timezone

    from dure.work.models import (
        Assignment,
        AssignmentState,
        Item,
        ItemState,
        Review,
        ReviewState,
        Slot,
        SlotState,
        Submission,
        SubmissionState,
    )

    now = timezone.now()
    last = 0
    while True:
        slots = list(Slot.objects.filter(project=project, pk__gt=last).order_by("pk")[:5000])
        if not slots:
            break
        last = slots[-1].pk
        assignments = Assignment.objects.bulk_create([
            Assignment(slot=s, item_id=s.item_id, project=project, worker=worker, state=AssignmentState.SUBMITTED,
                       started_at=now, expires_at=now, last_heartbeat_at=now, active_seconds=active_seconds,
                       ended_at=now)
            for s in slots])  # fmt: skip
        submissions = Submission.objects.bulk_create([
            Submission(slot=s, item_id=s.item_id, project=project, assignment=a, worker=worker, version=1,
                       answer={"label": "pos"}, active_seconds=active_seconds, state=SubmissionState.APPROVED,
                       created_at=now)
            for s, a in zip(slots, assignments, strict=True)])  # fmt: skip
        Review.objects.bulk_create([
            Review(submission=sub, slot=s, project=project, reviewer=reviewer, state=ReviewState.DECIDED,
                   decision="approve", started_at=now, expires_at=now, last_heartbeat_at=now, decided_at=now)
            for s, sub in zip(slots, submissions, strict=True)])  # fmt: skip
        # one UPDATE for the batch: bulk_update's CASE of 5,000 branches per column took minutes per 100k
        Slot.objects.filter(project=project, pk__gte=slots[0].pk, pk__lte=last).update(
            state=SlotState.APPROVED,
            worker=worker,
            submission_id=Subquery(Submission.objects.filter(slot_id=OuterRef("pk")).values("id")[:1]),
        )
    Item.objects.filter(project=project).update(state=ItemState.DONE, approved_count=1, done_at=now)

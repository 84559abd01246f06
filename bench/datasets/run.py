"""Import and export N items through the dataset jobs (the same code the background worker runs).

    python bench/datasets/run.py --items 100000                      # SQLite in a scratch folder
    DURE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/dure_bench_datasets python bench/datasets/run.py

Measures seconds and peak memory (Python allocations by tracemalloc, and the process's maximum resident
size) for: a JSONL import of N text items; marking every item approved (bulk rows, not timed as a result);
exports of the N approved items to JSONL and Parquet. The database is created fresh each run.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--exports", default="jsonl,parquet")
    # tracemalloc slows allocation-heavy code several times over: measure time and Python peaks separately
    parser.add_argument("--trace", action="store_true", help="also record the Python allocation peak")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="dure-bench-datasets-"))
    os.environ["DURE_VAR_DIR"] = str(scratch)  # a fresh SQLite database every run
    os.environ["DURE_MEDIA_ROOT"] = str(scratch / "media")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dure.settings")
    url = os.environ.get("DURE_DATABASE_URL", "")
    if url and not url.rstrip("/").endswith("/dure_bench_datasets"):
        raise SystemExit("use the scratch database dure_bench_datasets")
    if url:
        import psycopg

        admin = url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute("DROP DATABASE IF EXISTS dure_bench_datasets WITH (FORCE)")
            connection.execute("CREATE DATABASE dure_bench_datasets")
    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from dure.accounts.services import create_organization, create_user
    from dure.datasets import services
    from dure.projects.models import ProjectStatus
    from dure.projects.services import create_project
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

    database = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
    manager = create_user(username="bench-manager", password="correct-horse-battery-9")
    worker = create_user(username="bench-worker", password="correct-horse-battery-9")
    org = create_organization(name="Bench", owner=manager)
    spec = {"inputs": [{"name": "text", "type": "text"}],
            "outputs": [{"name": "label", "type": "single_choice", "options": ["pos", "neg"]}]}  # fmt: skip
    project = create_project(organization=org, actor=manager, name="bench", spec=spec)
    project.status = ProjectStatus.OPEN
    project.save()

    source = scratch / "items.jsonl"
    with open(source, "w") as out:
        for n in range(args.items):
            out.write(json.dumps({"data": {"text": f"리뷰 {n}: 배송이 빠르고 포장이 꼼꼼했어요. 다시 살게요."},
                                  "external_id": f"r-{n}"}, ensure_ascii=False) + "\n")  # fmt: skip
    size_mb = source.stat().st_size / 1e6
    results = []

    def measure(name: str, run: object) -> object:
        gc.collect()
        if args.trace:
            tracemalloc.start()
        started = time.perf_counter()
        value = run()  # type: ignore[operator]
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] if args.trace else 0
        tracemalloc.stop()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        results.append({"step": name, "seconds": round(seconds, 2), "peak_python_mb": round(peak / 1e6, 1),
                        "max_rss_mb": round(rss, 1)})  # fmt: skip
        print(json.dumps({"database": database, "items": args.items, **results[-1]}), flush=True)
        return value

    def run_import() -> object:
        with open(source, "rb") as stream:
            upload = SimpleUploadedFile("items.jsonl", stream.read())
        job = services.create_import_job(project=project, actor=manager, format="jsonl", upload=upload)
        del upload
        job = services.run_job(job_id=job.pk)
        assert job is not None and job.state == "succeeded", job and (job.error_message, job.error_report[:3])
        return job

    # The upload is read into memory by SimpleUploadedFile here only to hand it to the service; the
    # server streams uploads to disk. Time and memory of the import itself are measured from the job.
    measure(f"import jsonl ({size_mb:.0f} MB)", run_import)

    # Approve everything with bulk rows: the export needs approved answers with their review.
    now = timezone.now()
    batch = 5000
    last = 0
    while True:
        slots = list(Slot.objects.filter(project=project, pk__gt=last).order_by("pk")[:batch])
        if not slots:
            break
        last = slots[-1].pk
        assignments = Assignment.objects.bulk_create([
            Assignment(slot=s, item_id=s.item_id, project=project, worker=worker, state=AssignmentState.SUBMITTED,
                       started_at=now, expires_at=now, last_heartbeat_at=now, active_seconds=12.5, ended_at=now)
            for s in slots])  # fmt: skip
        submissions = Submission.objects.bulk_create([
            Submission(slot=s, item_id=s.item_id, project=project, assignment=a, worker=worker, version=1,
                       answer={"label": "pos"}, active_seconds=12.5, state=SubmissionState.APPROVED, created_at=now)
            for s, a in zip(slots, assignments, strict=True)])  # fmt: skip
        Review.objects.bulk_create([
            Review(submission=sub, slot=s, project=project, reviewer=manager, state=ReviewState.DECIDED,
                   decision="approve", started_at=now, expires_at=now, last_heartbeat_at=now, decided_at=now)
            for s, sub in zip(slots, submissions, strict=True)])  # fmt: skip
    Slot.objects.filter(project=project).update(state=SlotState.APPROVED)
    Item.objects.filter(project=project).update(state=ItemState.DONE, approved_count=1, done_at=now)

    for fmt in args.exports.split(","):

        def run_export(fmt: str = fmt) -> object:
            job = services.create_export_job(project=project, actor=manager, format=fmt)
            job = services.run_job(job_id=job.pk)
            assert job is not None and job.state == "succeeded", job and job.error_message
            return job

        job = measure(f"export {fmt}", run_export)
        print(f"  {job.result['rows']} rows, {job.result['size'] / 1e6:.1f} MB", flush=True)  # type: ignore[attr-defined]
    print(json.dumps({"database": database, "items": args.items, "results": results}))


if __name__ == "__main__":
    main()

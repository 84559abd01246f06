"""Import and export N items through the dataset jobs (the same code the background worker runs).

    python bench/datasets/run.py --items 100000                      # SQLite in a scratch folder
    DURE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/dure_bench_datasets python bench/datasets/run.py

Measures seconds, CPU seconds and peak memory (the step's own peak resident size, the process's maximum
resident size, and with ``--trace`` Python allocations by tracemalloc) for: a JSONL import of N text items;
marking every item approved (bulk rows, not timed as a result); exports of the N approved items to JSONL
and Parquet (``--exports`` for others). The database is created fresh each run.
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

from bench.common import approve_all, fresh_database


def reset_peak_rss() -> None:
    """Starts the kernel's peak resident size (VmHWM) again from the current size, so each step reports its
    own peak rather than the process's (Linux; elsewhere the step peak is left out)."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
    except OSError:
        pass


def step_peak_rss() -> float | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--exports", default="jsonl,parquet")
    # tracemalloc slows allocation-heavy code several times over: measure time and Python peaks separately
    parser.add_argument("--trace", action="store_true", help="also record the Python allocation peak")
    parser.add_argument("--profile", help="write a cProfile of each export to this path + .FORMAT")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="dure-bench-datasets-"))
    os.environ["DURE_VAR_DIR"] = str(scratch)  # a fresh SQLite database every run
    os.environ["DURE_MEDIA_ROOT"] = str(scratch / "media")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dure.settings")
    database = fresh_database("dure_bench_datasets")
    from django.core.files.uploadedfile import UploadedFile

    from dure.accounts.services import create_organization, create_user
    from dure.datasets import services
    from dure.projects.models import ProjectStatus
    from dure.projects.services import create_project

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
        reset_peak_rss()
        if args.trace:
            tracemalloc.start()
        started, cpu = time.perf_counter(), time.process_time()
        value = run()  # type: ignore[operator]
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        peak = tracemalloc.get_traced_memory()[1] if args.trace else 0
        tracemalloc.stop()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        results.append({"step": name, "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2),
                        "peak_python_mb": round(peak / 1e6, 1), "step_peak_rss_mb": step_peak_rss(),
                        "max_rss_mb": round(rss, 1)})  # fmt: skip
        print(json.dumps({"database": database, "items": args.items, **results[-1]}), flush=True)
        return value

    def run_import() -> object:
        # handed over from disk, as the server hands over an upload it streamed to a temporary file
        with open(source, "rb") as stream:
            upload = UploadedFile(stream, name="items.jsonl", size=source.stat().st_size)
            job = services.create_import_job(project=project, actor=manager, format="jsonl", upload=upload)
        job = services.run_job(job_id=job.pk)
        assert job is not None and job.state == "succeeded", job and (job.error_message, job.error_report[:3])
        return job

    measure(f"import jsonl ({size_mb:.0f} MB)", run_import)

    # Approve everything with bulk rows: the export needs approved answers with their review.
    started = time.perf_counter()
    approve_all(project, worker=worker, reviewer=manager, active_seconds=12.5)
    print(f"  (set-up: approved {args.items} items in {time.perf_counter() - started:.0f} s)", flush=True)

    for fmt in args.exports.split(","):

        def run_export(fmt: str = fmt) -> object:
            job = services.create_export_job(project=project, actor=manager, format=fmt)
            job = services.run_job(job_id=job.pk)
            assert job is not None and job.state == "succeeded", job and job.error_message
            return job

        if args.profile:
            import cProfile

            with cProfile.Profile() as profile:
                job = measure(f"export {fmt}", run_export)
            profile.dump_stats(f"{args.profile}.{fmt}")
        else:
            job = measure(f"export {fmt}", run_export)
        print(f"  {job.result['rows']} rows, {job.result['size'] / 1e6:.1f} MB", flush=True)  # type: ignore[attr-defined]
    print(json.dumps({"database": database, "items": args.items, "results": results}))


if __name__ == "__main__":
    main()

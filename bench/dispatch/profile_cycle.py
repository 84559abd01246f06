"""Counts queries per request and profiles N in-process cycles (no HTTP server): where a cycle's CPU goes.

rm -rf /tmp/dure-profile; DURE_VAR_DIR=/tmp/dure-profile .venv/bin/python bench/dispatch/profile_cycle.py [--cycles 300] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dure.settings")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cycles", type=int, default=300)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.dispatch import data

    call_command("migrate", verbosity=0)
    from dure.payments.services import deposit

    crew = data.people(workers=1, reviewers=1)
    project = data.project(crew=crew, name="profile", items=args.cycles + 10, workers=1, reviewers=1)
    # priced, with a budget: the ledger writes and the budget check are part of a real cycle
    project.price_per_item, project.review_price = 100, 10
    project.save()
    deposit(project=project, amount=10_000_000, actor=crew.manager)
    people = crew
    (_worker, worker_token), (_reviewer, reviewer_token) = people.workers[0], people.reviewers[0]
    w = Client(headers={"Authorization": f"Bearer {worker_token}"})
    r = Client(headers={"Authorization": f"Bearer {reviewer_token}"})
    base = "/api/v1"

    def cycle(counts: dict[str, list[int]] | None = None) -> None:
        steps = []
        with CaptureQueriesContext(connection) as q:
            a = w.post(f"{base}/projects/{project.pk}/assignments/next", content_type="application/json")
        steps.append(("next", q))
        assert a.status_code == 200, a.content
        assignment = a.json()["assignment"]["id"]
        with CaptureQueriesContext(connection) as q:
            s = w.post(
                f"{base}/assignments/{assignment}/submit",
                json.dumps({"answer": data.ANSWER}),
                content_type="application/json",
            )
        steps.append(("submit", q))
        assert s.status_code == 201, s.content
        with CaptureQueriesContext(connection) as q:
            rv = r.post(f"{base}/projects/{project.pk}/reviews/next", content_type="application/json")
        steps.append(("review", q))
        review = rv.json()["review"]["id"]
        with CaptureQueriesContext(connection) as q:
            d = r.post(
                f"{base}/reviews/{review}/decision",
                json.dumps({"decision": "approve"}),
                content_type="application/json",
            )
        steps.append(("decision", q))
        assert d.status_code == 200, d.content
        if counts is not None:
            for name, captured in steps:
                counts[name].append(len(captured.captured_queries))

    counts: dict[str, list[int]] = defaultdict(list)
    for _ in range(5):
        cycle(counts)
    print(
        "queries per request:",
        {k: v[-1] for k, v in counts.items()},
        "total",
        sum(v[-1] for v in counts.values()),
    )
    if os.environ.get("SHOW_SQL"):
        with CaptureQueriesContext(connection) as q:
            cycle()
        for query in q.captured_queries:
            print(query["sql"][:220])
    profiler = cProfile.Profile(time.process_time) if args.profile else None
    started = time.process_time()
    if profiler:
        profiler.enable()
    for _ in range(args.cycles - 5):
        cycle()
    if profiler:
        profiler.disable()
    cpu = time.process_time() - started
    print(
        f"{(args.cycles - 5)} cycles, {cpu * 1000 / (args.cycles - 5):.1f} ms CPU per cycle (server side, in-process)"
    )
    if profiler:
        out = Path(os.environ.get("PROFILE_OUT", "/tmp/cycle.prof"))
        profiler.dump_stats(out)
        print(f"profile written to {out}")
        pstats.Stats(profiler).sort_stats(os.environ.get("SORT", "cumulative")).print_stats(40)


if __name__ == "__main__":
    main()

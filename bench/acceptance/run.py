"""Deliver a batch of N approved items, inspect its sample and build the certificate, timed step by step.

    python bench/acceptance/run.py --items 100000                      # SQLite in a scratch folder
    DURE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/dure_bench_acceptance python bench/acceptance/run.py

Steps: add N text items and approve them all with bulk rows (set-up, not a result); deliver them as one
batch (ISO 2859-1 at AQL 1.0: the lot's ids, the draw and the sample rows); check every sampled item but
the last; the last check, which decides the batch and freezes the certificate (automatic format checks
over all N approved answers, agreement, audits); the certificate PDF. The database is created fresh.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.common import approve_all, fresh_database


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--aql", default="1.0")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="dure-bench-acceptance-"))
    os.environ.setdefault("DURE_VAR_DIR", str(scratch))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dure.settings")
    database = fresh_database("dure_bench_acceptance")
    from dure.accounts.models import Role
    from dure.accounts.services import create_organization, create_user, set_membership
    from dure.projects.models import ProjectStatus
    from dure.projects.services import create_project
    from dure.quality import acceptance, certificate
    from dure.work.services import add_items

    manager = create_user(username="bench-manager", password="correct-horse-battery-9")
    worker = create_user(username="bench-worker", password="correct-horse-battery-9")
    inspector = create_user(username="bench-inspector", password="correct-horse-battery-9")
    org = create_organization(name="Bench", owner=manager)
    set_membership(organization=org, user=inspector, role=Role.VIEWER)
    spec = {"inputs": [{"name": "text", "type": "text"}],
            "outputs": [{"name": "label", "type": "single_choice", "options": ["pos", "neg"]}]}  # fmt: skip
    project = create_project(organization=org, actor=manager, name="bench", spec=spec)
    project.status = ProjectStatus.OPEN
    project.save()
    add_items(project=project, records=[{"text": f"리뷰 {n}: 배송이 빨라요"} for n in range(args.items)])
    approve_all(project, worker=worker, reviewer=manager)

    def measure(name: str, run: Any) -> Any:
        started = time.perf_counter()
        value = run()
        seconds = time.perf_counter() - started
        print(json.dumps({"database": database, "items": args.items, "step": name, "seconds": round(seconds, 3)}),
              flush=True)  # fmt: skip
        return value

    delivery = measure(
        f"deliver (ISO 2859-1, AQL {args.aql})",
        lambda: acceptance.deliver_batch(project=project, actor=manager, aql=args.aql),
    )
    sampled = list(delivery.samples.order_by("position").values_list("item_id", flat=True))
    print(json.dumps({"lot": delivery.lot_size, "sample": delivery.sample_size, "plan": delivery.plan}))

    def check_all_but_last() -> None:
        for item_id in sampled[:-1]:
            acceptance.check_sample(
                project=project, actor=inspector, delivery_id=delivery.pk, item_id=item_id, passed=True
            )

    measure(f"check {len(sampled) - 1} sampled items", check_all_but_last)
    measure(
        "last check: decide and freeze the certificate",
        lambda: acceptance.check_sample(
            project=project, actor=inspector, delivery_id=delivery.pk, item_id=sampled[-1], passed=True
        ),
    )
    delivery.refresh_from_db()
    assert delivery.state == "accepted", delivery.state
    assert delivery.certificate["format_checks"]["answers"] == args.items
    measure("certificate PDF", lambda: certificate.pdf(delivery.certificate))


if __name__ == "__main__":
    main()

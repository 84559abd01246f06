"""What the automatic checks and a 2nd review cost, in one process on a fresh SQLite database.

    .venv/bin/python bench/review/run.py [--cycles 300] [--runs 3]

1. ``check_answer`` per answer (µs), against the spec validation it replaced in ``submit``, for a choice
   answer, 50 boxes on an image of known size, and 200 entity spans.
2. Approved work-loop cycles per second (lease → submit → review → approve) on a project without a 2nd
   review, and with every approval sampled for one (each cycle then has two reviews by two reviewers).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
import timeit
from pathlib import Path


def _checks() -> None:
    from dure.projects.spec import answer_errors, parse_spec
    from dure.quality.checks import check_answer
    from dure.work.models import Item

    text = "김민지는 서울에 산다. " * 200
    spec = parse_spec({
        "inputs": [{"name": "image", "type": "image"}, {"name": "text", "type": "text"}],
        "outputs": [
            {"name": "label", "type": "single_choice", "options": ["a", "b", "c"], "required": False},
            {"name": "boxes", "type": "boxes", "labels": ["car", "person"], "required": False},
            {"name": "entities", "type": "spans", "source": "text", "labels": ["PER", "LOC"], "required": False},
        ],
    })  # fmt: skip
    item = Item(pk=1, project_id=1, data={"image": "a.png", "text": text, "width": 1920, "height": 1080})
    answers = {
        "choice": {"label": "a"},
        "50 boxes": {"boxes": [{"x": i * 10, "y": i * 5, "width": 30, "height": 20, "label": "car"} for i in range(50)]},
        "200 spans": {"entities": [{"start": i * 13, "end": i * 13 + 3, "label": "PER"} for i in range(200)]},
    }  # fmt: skip
    for name, answer in answers.items():
        n = 2000 if name == "choice" else 200
        checked = min(
            timeit.repeat(lambda a=answer: check_answer(spec=spec, answer=a, item=item), number=n, repeat=5)
        )
        validated = min(timeit.repeat(lambda a=answer: answer_errors(spec, a, item.data), number=n, repeat=5))
        print(
            f"check_answer {name}: {checked / n * 1e6:.1f} µs (spec validation alone {validated / n * 1e6:.1f} µs)"
        )


def _loop(cycles: int, runs: int) -> None:
    from dure.accounts.models import Role
    from dure.accounts.services import create_organization, create_user, set_membership
    from dure.projects.models import ProjectStatus
    from dure.projects.services import create_project
    from dure.work.services import add_items, decide, lease_next_item, lease_next_review, submit

    organization = create_organization(name="bench")
    manager = create_user(username="manager", password=None)
    set_membership(organization=organization, user=manager, role=Role.MANAGER)
    people = {}
    for name, role in (("worker", Role.WORKER), ("r1", Role.REVIEWER), ("r2", Role.REVIEWER)):
        people[name] = create_user(username=name, password=None)
        set_membership(organization=organization, user=people[name], role=role)
    spec = {
        "inputs": [{"name": "text", "type": "text"}],
        "outputs": [{"name": "label", "type": "single_choice", "options": ["pos", "neg"]}],
    }
    for run in range(runs):
        for rate in (0.0, 1.0):
            project = create_project(
                organization=organization,
                actor=manager,
                name=f"{run}-{rate}",
                spec=spec,
                second_review_rate=rate,
            )
            add_items(project=project, records=[{"text": f"item {run}-{rate}-{n}"} for n in range(cycles)])
            project.status = ProjectStatus.OPEN
            project.save()
            started = time.perf_counter()
            for _ in range(cycles):
                assignment = lease_next_item(worker=people["worker"], project=project)
                submit(worker=people["worker"], assignment_id=assignment.pk, answer={"label": "pos"})
                for reviewer in ("r1", "r2") if rate else ("r1",):
                    review = lease_next_review(reviewer=people[reviewer], project=project)
                    decide(reviewer=people[reviewer], review_id=review.pk, decision="approve")
            seconds = time.perf_counter() - started
            label = "with a 2nd review of every approval" if rate else "without a 2nd review"
            print(f"run {run + 1} {label}: {cycles / seconds:.1f} approved cycles/s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from bench.common import scratch_sqlite

    var_dir = scratch_sqlite("dure-bench-review-")
    try:
        _checks()
        _loop(args.cycles, args.runs)
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()

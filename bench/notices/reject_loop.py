"""The work loop with every decision a rejection, in one process on a fresh SQLite database: the path the
notifications (rejection signal, FAQ check, the project's rework window) add to. Jobs go to the configured
task backend (django-tasks-db by default), as in production; nothing runs them here.

    .venv/bin/python bench/notices/reject_loop.py [--cycles 300] [--runs 3]

A cycle is lease → submit → lease a review → reject; each worker does three cycles (a fresh item and its
two reworks), since a worker with nothing but rejections is routed away. Prints cycles per second per run.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from bench.common import scratch_sqlite

    var_dir = scratch_sqlite("dure-bench-notices-")
    from dure.accounts.models import Role
    from dure.accounts.services import create_organization, create_user, set_membership
    from dure.projects.models import ProjectRole, ProjectStatus
    from dure.projects.services import create_project, set_project_member
    from dure.work.services import add_items, decide, lease_next_item, lease_next_review, submit

    organization = create_organization(name="bench")
    manager = create_user(username="manager", password=None)
    set_membership(organization=organization, user=manager, role=Role.MANAGER)
    spec = {
        "inputs": [{"name": "text", "type": "text"}],
        "outputs": [{"name": "label", "type": "single_choice", "options": ["pos", "neg"]}],
    }
    try:
        for run in range(args.runs):
            project = create_project(
                organization=organization, actor=manager, name=f"run {run}", spec=spec, max_rework_rounds=2
            )
            # A few cycles per worker: a worker with nothing but rejections is routed away from the project.
            workers = [
                create_user(username=f"worker{run}-{n}", password=None) for n in range(args.cycles // 3 + 1)
            ]
            for worker in workers:
                set_project_member(project=project, user=worker, role=ProjectRole.WORKER)
            reviewer = create_user(username=f"reviewer{run}", password=None)
            set_project_member(project=project, user=reviewer, role=ProjectRole.REVIEWER)
            add_items(project=project, records=[{"text": f"item {run}-{n}"} for n in range(args.cycles)])
            project.status = ProjectStatus.OPEN
            project.save()
            started = time.perf_counter()
            done = 0
            while done < args.cycles:
                worker = workers[done // 3]
                assignment = lease_next_item(worker=worker, project=project)
                if assignment is None:
                    break
                submit(worker=worker, assignment_id=assignment.pk, answer={"label": "pos"})
                review = lease_next_review(reviewer=reviewer, project=project)
                decide(reviewer=reviewer, review_id=review.pk, decision="reject", reasons=["wrong_label"])
                done += 1
            seconds = time.perf_counter() - started
            print(
                f"run {run + 1}: {done} cycles in {seconds:.2f} s = {done / seconds:.1f} cycles/s", flush=True
            )
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()

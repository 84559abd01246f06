"""Many people at once: dispatch never hands a slot to two workers, and a decision is taken once.

These run with real commits (``transaction=True``) and one database connection per thread, on SQLite
(IMMEDIATE transactions, WAL) and on PostgreSQL (``FOR UPDATE SKIP LOCKED``).
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from dure.accounts.models import Role
from dure.accounts.services import create_organization, create_user, set_membership
from dure.projects.models import ProjectRole, ProjectStatus
from dure.projects.services import create_project, set_project_member
from dure.work.models import Assignment, AssignmentState, Review, ReviewState, Slot, SlotState, Submission
from dure.work.services import add_items, decide, lease_next_item, lease_next_review, submit

from ..conftest import CHOICE_SPEC

THREADS = 64


def _crowd(n_workers: int, n_items: int, overlap: int = 1):
    org = create_organization(name="Crowd")
    manager = create_user(username="boss", password=None)
    set_membership(organization=org, user=manager, role=Role.MANAGER)
    project = create_project(organization=org, actor=manager, name="Race", spec=CHOICE_SPEC, overlap=overlap)
    project.status = ProjectStatus.OPEN
    project.save()
    workers = []
    for i in range(n_workers):
        user = create_user(username=f"w{i}", password=None)
        set_project_member(project=project, user=user, role=ProjectRole.WORKER)
        workers.append(user)
    add_items(project=project, records=[{"text": f"t{i}"} for i in range(n_items)])
    return project, manager, workers


def _run_all(fn, args):
    barrier = threading.Barrier(len(args))

    def wrapped(arg):
        try:
            barrier.wait()
            return fn(arg)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(args)) as pool:
        return list(pool.map(wrapped, args))


@pytest.mark.django_db(transaction=True)
def test_64_workers_asking_at_once_never_share_a_slot():
    project, _manager, workers = _crowd(THREADS, 40)

    def work(worker):
        done = []
        while True:
            assignment = lease_next_item(worker=worker, project=project)
            if assignment is None:
                return done
            submit(worker=worker, assignment_id=assignment.pk, answer={"label": "pos"})
            done.append(assignment.slot_id)

    results = _run_all(work, workers)
    handed = [slot for slots in results for slot in slots]
    assert len(handed) == 40, "every slot was worked exactly once, nothing lost"
    assert len(set(handed)) == 40, "no slot was handed out twice"
    assert Assignment.objects.count() == 40
    assert Submission.objects.count() == 40
    assert Slot.objects.filter(state=SlotState.SUBMITTED).count() == 40


@pytest.mark.django_db(transaction=True)
def test_overlap_under_contention_keeps_workers_distinct_per_item():
    project, _manager, workers = _crowd(THREADS, 30, overlap=3)

    def work(worker):
        taken = []
        for _ in range(4):
            assignment = lease_next_item(worker=worker, project=project)
            if assignment is None:
                break
            submit(worker=worker, assignment_id=assignment.pk, answer={"label": "neg"})
            taken.append(assignment.item_id)
        return taken

    results = _run_all(work, workers)
    for taken in results:
        assert len(taken) == len(set(taken)), "a worker answered one item twice"
    per_item = Counter(item for taken in results for item in taken)
    assert sum(per_item.values()) == 90
    assert set(per_item.values()) == {3}
    assert Assignment.objects.filter(state=AssignmentState.SUBMITTED).count() == 90


@pytest.mark.django_db(transaction=True)
def test_reviewers_racing_never_share_a_submission_and_decide_once():
    project, _manager, workers = _crowd(8, 24)
    for worker in workers:
        for _ in range(3):
            assignment = lease_next_item(worker=worker, project=project)
            submit(worker=worker, assignment_id=assignment.pk, answer={"label": "pos"})
    reviewers = []
    for i in range(16):
        reviewer = create_user(username=f"r{i}", password=None)
        set_project_member(project=project, user=reviewer, role=ProjectRole.REVIEWER)
        reviewers.append(reviewer)

    def review_all(reviewer):
        decided = []
        while (review := lease_next_review(reviewer=reviewer, project=project)) is not None:
            decide(reviewer=reviewer, review_id=review.pk, decision="approve")
            decided.append(review.submission_id)
        return decided

    results = _run_all(review_all, reviewers)
    decided = [s for r in results for s in r]
    assert sorted(decided) == sorted(set(decided))
    assert len(decided) == 24
    assert Slot.objects.filter(state=SlotState.APPROVED).count() == 24


@pytest.mark.django_db(transaction=True)
def test_a_double_clicked_decision_is_taken_once():
    project, manager, workers = _crowd(1, 1)
    assignment = lease_next_item(worker=workers[0], project=project)
    submit(worker=workers[0], assignment_id=assignment.pk, answer={"label": "pos"})
    review = lease_next_review(reviewer=manager, project=project)

    def click(decision):
        try:
            decide(reviewer=manager, review_id=review.pk, decision=decision, reasons=["x"])
            return "ok"
        except Exception as error:  # the loser gets a typed conflict
            return getattr(error, "code", repr(error))

    outcomes = _run_all(click, ["approve", "reject"] * 4)
    assert outcomes.count("ok") == 1
    assert set(outcomes) == {"ok", "review_closed"}
    assert Review.objects.filter(state=ReviewState.DECIDED).count() == 1

"""A crowd that works a project through the real loop (lease → submit → review → approve), for quality tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dure.accounts.models import Organization, Role, User
from dure.accounts.services import set_membership
from dure.projects.models import Project, ProjectRole
from dure.projects.services import set_project_member
from dure.work.models import Decision, Item
from dure.work.services import decide, lease_next_item, lease_next_review, submit
from tests.conftest import make_user


def make_crowd(org: Organization, project: Project, count: int, prefix: str = "crowd") -> list[User]:
    workers = []
    for n in range(count):
        user = make_user(f"{prefix}{n}")
        set_membership(organization=org, user=user, role=Role.WORKER)
        set_project_member(project=project, user=user, role=ProjectRole.WORKER)
        workers.append(user)
    return workers


def work_through(
    project: Project,
    workers: list[User],
    answer_for: Callable[[User, Item], Any],
    *,
    reviewer: User,
    approve: bool = True,
) -> int:
    """Every worker answers every item they can take; then ``reviewer`` approves everything. Returns answers."""
    answered = 0
    for worker in workers:
        while True:
            assignment = lease_next_item(worker=worker, project=project)
            if assignment is None:
                break
            item = Item.objects.get(pk=assignment.item_id)
            submit(worker=worker, assignment_id=assignment.pk, answer=answer_for(worker, item))
            answered += 1
    if approve:
        approve_all(project, reviewer)
    return answered


def approve_all(project: Project, reviewer: User) -> None:
    while True:
        review = lease_next_review(reviewer=reviewer, project=project)
        if review is None:
            return
        decide(reviewer=reviewer, review_id=review.pk, decision=Decision.APPROVE)

"""Set-up and checks done straight through Django, in the harness process, while the server is idle.

Import only after ``django.setup()``. Users, tokens and members are bulk-created; items and their slots are
written with the same columns ``dure.work.services.add_items`` fills, but in large batches (COPY on
PostgreSQL), so a project of a million items is ready in seconds rather than minutes.
"""

from __future__ import annotations

import hashlib
import io
import json
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from dure.accounts.models import ApiToken, Membership, Organization, Role, User
from dure.accounts.services import TOKEN_PREFIX, create_organization, hash_token
from dure.projects.models import Project, ProjectMember, ProjectRole, ProjectStatus
from dure.projects.services import create_project
from dure.work.models import (
    Assignment,
    Item,
    Review,
    ReviewState,
    Slot,
    SlotState,
    Submission,
    SubmissionState,
)

SPEC = {
    "inputs": [{"name": "text", "type": "text"}],
    "outputs": [{"name": "label", "type": "single_choice", "options": ["pos", "neg"]}],
}
ANSWER = {"label": "pos"}


@dataclass
class People:
    organization: Organization
    manager: User
    workers: list[tuple[User, str]]  # (user, raw token)
    reviewers: list[tuple[User, str]]


def _users(prefix: str, count: int, organization: Organization, role: str) -> list[tuple[User, str]]:
    """``count`` users named ``prefix0001``…, each with a fresh personal token; created if missing."""
    names = [f"{prefix}{n:04d}" for n in range(count)]
    existing = {u.username: u for u in User.objects.filter(username__in=names)}
    missing = [User(username=name, display_name=name) for name in names if name not in existing]
    for user in missing:
        user.set_unusable_password()  # tokens only: hashing a password per user would take minutes
    User.objects.bulk_create(missing, batch_size=1000)
    users = list(User.objects.filter(username__in=names).order_by("username"))
    Membership.objects.bulk_create(
        [Membership(organization=organization, user=u, role=role) for u in users],
        batch_size=1000,
        ignore_conflicts=True,
    )
    raws = [TOKEN_PREFIX + secrets.token_urlsafe(32) for _ in users]
    ApiToken.objects.bulk_create(
        [
            ApiToken(user=u, name="bench", prefix=raw[:12], key_hash=hash_token(raw))
            for u, raw in zip(users, raws, strict=True)
        ],
        batch_size=1000,
    )
    return list(zip(users, raws, strict=True))


def people(*, workers: int, reviewers: int) -> People:
    organization = Organization.objects.filter(slug="bench").first()
    if organization is None:
        organization = create_organization(name="Bench", slug="bench")
    manager = User.objects.filter(username="bench-manager").first()
    if manager is None:
        manager = User(username="bench-manager")
        manager.set_unusable_password()
        manager.save()
        Membership.objects.create(organization=organization, user=manager, role=Role.OWNER)
    return People(
        organization=organization,
        manager=manager,
        workers=_users("bench-w", workers, organization, Role.WORKER),
        reviewers=_users("bench-r", reviewers, organization, Role.WORKER),
    )


def project(*, crew: People, name: str, items: int, workers: int, reviewers: int, price: int = 0) -> Project:
    """An open project with ``items`` items, the first ``workers`` workers and ``reviewers`` reviewers.

    With a ``price`` (and a review price of a tenth of it) the project gets a budget for every item, so each
    cycle also pays into the ledger and dispatch checks the budget, as in real use.
    """
    created = create_project(
        organization=crew.organization,
        actor=crew.manager,
        name=name,
        spec=SPEC,
        lease_seconds=3600,
        price_per_item=price,
        review_price=price // 10,
    )
    if price:
        from dure.payments.selectors import unit_cost
        from dure.payments.services import deposit

        deposit(project=created, amount=unit_cost(created) * items * 2, actor=crew.manager)
    ProjectMember.objects.bulk_create(
        [ProjectMember(project=created, user=u, role=ProjectRole.WORKER) for u, _ in crew.workers[:workers]]
        + [
            ProjectMember(project=created, user=u, role=ProjectRole.REVIEWER)
            for u, _ in crew.reviewers[:reviewers]
        ],
        batch_size=1000,
    )
    insert_items(created, items)
    created.status = ProjectStatus.OPEN
    created.save(update_fields=["status", "updated_at"])
    return created


def _rows(project: Project, start: int, stop: int) -> list[tuple[Any, ...]]:
    now = timezone.now()
    rows = []
    for n in range(start, stop):
        data = {"text": f"벤치마크 문장 {n}: 이 문장은 긍정입니까, 부정입니까?"}
        digest = hashlib.sha256(
            json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
        ).hexdigest()
        rows.append((project.pk, None, digest, json.dumps(data, ensure_ascii=False), "open", 0, now))
    return rows


def insert_items(project: Project, count: int, batch: int = 50_000) -> None:
    """Items with one slot each (overlap 1), as ``add_items`` would make them, in a few big statements."""
    assert project.overlap == 1
    columns = "project_id, external_id, content_hash, data, state, approved_count, created_at"
    item_table, slot_table = Item._meta.db_table, Slot._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, count, batch):
            rows = _rows(project, start, min(count, start + batch))
            if connection.vendor == "postgresql":
                buffer = io.StringIO()
                for row in rows:
                    buffer.write(
                        "\t".join(
                            r"\N" if v is None else str(v).replace("\\", "\\\\").replace("\t", r"\t")
                            for v in row
                        )
                        + "\n"
                    )
                with cursor.cursor.copy(f"COPY {item_table} ({columns}) FROM STDIN") as copy:
                    copy.write(buffer.getvalue())
            else:
                cursor.executemany(
                    f"INSERT INTO {item_table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s, %s)", rows
                )
        cursor.execute(
            f"INSERT INTO {slot_table} (item_id, project_id, {connection.ops.quote_name('index')}, state,"
            f" rework_round, review_priority, updated_at) SELECT id, project_id, 0, 'open', 0, 0, created_at"
            f" FROM {item_table}"
            " WHERE project_id = %s ORDER BY id",
            [project.pk],
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def check(project: Project) -> dict[str, Any]:
    """What the database says after a run: duplicates (must be 0) and whether the approved counts agree."""
    assignments_per_slot = (
        Assignment.objects.filter(project=project).values("slot_id").annotate(n=Count("id")).filter(n__gt=1)
    )
    workers_per_slot = (
        Assignment.objects.filter(project=project)
        .values("slot_id")
        .annotate(n=Count("worker_id", distinct=True))
        .filter(n__gt=1)
    )
    submissions = Submission.objects.filter(project=project)
    decided = Review.objects.filter(project=project, state=ReviewState.DECIDED)
    approved_reviews = decided.filter(decision="approve").count()
    approved_slots = Slot.objects.filter(project=project, state=SlotState.APPROVED).count()
    approved_submissions = submissions.filter(state=SubmissionState.APPROVED).count()
    approved_items = sum(Item.objects.filter(project=project).values_list("approved_count", flat=True))
    return {
        # the same slot leased more than once (no lease expired or was released in these runs)
        "slots_leased_twice": assignments_per_slot.count(),
        "slots_with_two_workers": workers_per_slot.count(),
        "submissions_by_other_worker": submissions.exclude(assignment__worker_id=F("worker_id")).count(),
        "slots_with_two_submissions": submissions.values("slot_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count(),
        "submissions_decided_twice": decided.values("submission_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count(),
        "self_reviews": decided.filter(reviewer_id=F("submission__worker_id")).count(),
        "assignments": Assignment.objects.filter(project=project).count(),
        "submissions": submissions.count(),
        "approved_reviews": approved_reviews,
        "approved_slots": approved_slots,
        "approved_submissions": approved_submissions,
        "approved_count_sum": approved_items,
        "approved_consistent": approved_reviews == approved_slots == approved_submissions == approved_items,
        "open_slots_left": Slot.objects.filter(project=project, state=SlotState.OPEN).count(),
        "leases_left": Slot.objects.filter(
            Q(state=SlotState.LEASED) | Q(state=SlotState.IN_REVIEW), project=project
        ).count(),
    }

"""Reads for the pages: a worker's and a reviewer's home, a project's dashboard, item lists and histories.

Each function answers one page section with a fixed number of grouped queries, whatever the number of
projects or items, so a home page or a dashboard costs the same for a large project as for a small one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch
from django.db.models.functions import TruncHour
from django.utils import timezone

from dure.accounts.models import User
from dure.projects.models import Project
from dure.work.models import (
    Assignment,
    AssignmentState,
    Decision,
    Event,
    Item,
    ItemState,
    Review,
    ReviewState,
    Slot,
    SlotState,
    Submission,
    SubmissionState,
)
from dure.work.selectors import pseudonym

#: how many recent rejections the "top reasons" list is counted over
REASON_SAMPLE = 5000


def _by_project(rows: Iterable[tuple[int, int]]) -> dict[int, int]:
    return dict(rows)


def worker_overview(*, user: User, projects: list[Project]) -> dict[int, dict[str, Any]]:
    """Per project: what waits for this worker (rework first), what is open, what they did and how well."""
    ids = [p.pk for p in projects]
    if not ids:
        return {}
    rework = _by_project(
        Slot.objects.filter(project_id__in=ids, worker=user, state=SlotState.REJECTED)
        .values_list("project_id")
        .annotate(n=Count("id"))
    )
    open_slots = _by_project(
        Slot.objects.filter(project_id__in=ids, state=SlotState.OPEN)
        .values_list("project_id")
        .annotate(n=Count("id"))
    )
    leased = _by_project(
        Assignment.objects.filter(
            project_id__in=ids, worker=user, state=AssignmentState.ACTIVE, expires_at__gt=timezone.now()
        )
        .values_list("project_id")
        .annotate(n=Count("id"))
    )
    outcomes: dict[int, Counter[str]] = {}
    for project_id, state, n in (
        Submission.objects.filter(project_id__in=ids, worker=user)
        .values_list("project_id", "state")
        .annotate(n=Count("id"))
    ):
        outcomes.setdefault(project_id, Counter())[state] = n
    overview = {}
    for project_id in ids:
        counts = outcomes.get(project_id, Counter())
        approved = counts[SubmissionState.APPROVED]
        decided = approved + counts[SubmissionState.REJECTED]
        overview[project_id] = {
            "rework": rework.get(project_id, 0),
            "open": open_slots.get(project_id, 0),
            "in_hand": leased.get(project_id, 0),
            "done": approved,
            "rejected": counts[SubmissionState.REJECTED],
            "pending": counts[SubmissionState.PENDING],
            "approval_rate": approved / decided if decided else None,
        }
    return overview


def review_overview(*, projects: list[Project]) -> dict[int, dict[str, int]]:
    """Per project: submissions waiting for a reviewer, and those being reviewed now."""
    ids = [p.pk for p in projects]
    counts: dict[int, Counter[str]] = {}
    for project_id, state, n in (
        Slot.objects.filter(project_id__in=ids, state__in=_REVIEW_STATES)
        .values_list("project_id", "state")
        .annotate(n=Count("id"))
    ):
        counts.setdefault(project_id, Counter())[state] = n
    return {
        project_id: {
            "waiting": counts.get(project_id, Counter())[SlotState.SUBMITTED]
            + counts.get(project_id, Counter())[SlotState.SECOND_REVIEW],
            "in_review": counts.get(project_id, Counter())[SlotState.IN_REVIEW]
            + counts.get(project_id, Counter())[SlotState.IN_SECOND_REVIEW],
        }
        for project_id in ids
    }


_REVIEW_STATES = [
    SlotState.SUBMITTED,
    SlotState.IN_REVIEW,
    SlotState.SECOND_REVIEW,
    SlotState.IN_SECOND_REVIEW,
]


def throughput(*, project: Project, now: datetime, hours: int = 24) -> list[dict[str, Any]]:
    """Submissions and approvals per hour over the last ``hours`` hours, oldest first, in local time."""
    end = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    start = end - timedelta(hours=hours)
    counts: dict[tuple[datetime, str], int] = {}
    for hour, kind, n in (
        Event.objects.filter(project=project, created_at__gte=start, kind__in=["submitted", "approved"])
        .annotate(hour=TruncHour("created_at"))
        .values_list("hour", "kind")
        .annotate(n=Count("id"))
    ):
        counts[(timezone.localtime(hour).replace(minute=0, second=0, microsecond=0), kind)] = n
    buckets = []
    for step in range(hours):
        hour = timezone.localtime(start + timedelta(hours=step)).replace(minute=0, second=0, microsecond=0)
        buckets.append(
            {
                "hour": hour,
                "label": hour.strftime("%H"),
                "submitted": counts.get((hour, "submitted"), 0),
                "approved": counts.get((hour, "approved"), 0),
            }
        )
    return buckets


def project_dashboard(*, project: Project, now: datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    by_state = dict(
        Slot.objects.filter(project=project)
        .values_list("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
    slots = [
        {"state": state.value, "label": state.label, "count": by_state.get(state.value, 0)}
        for state in SlotState
    ]
    items = dict(
        Item.objects.filter(project=project)
        .values_list("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
    decided = Review.objects.filter(project=project, state=ReviewState.DECIDED)
    decisions = Counter(
        dict(decided.values_list("decision").annotate(n=Count("id")).values_list("decision", "n"))
    )
    first = Counter(
        dict(
            decided.filter(submission__version=1)
            .values_list("decision")
            .annotate(n=Count("id"))
            .values_list("decision", "n")
        )
    )
    first_total = first[Decision.APPROVE] + first[Decision.REJECT]
    total = decisions[Decision.APPROVE] + decisions[Decision.REJECT]
    reasons: Counter[str] = Counter()
    for reason_list in (
        decided.filter(decision=Decision.REJECT)
        .order_by("-decided_at")
        .values_list("reasons", flat=True)[:REASON_SAMPLE]
    ):
        for reason in reason_list or []:
            if isinstance(reason, str) and reason.strip():
                reasons[reason.strip()] += 1
    active_workers = (
        Assignment.objects.filter(project=project, state=AssignmentState.ACTIVE, expires_at__gt=now)
        .values("worker_id")
        .distinct()
        .count()
    )
    active_reviewers = (
        Review.objects.filter(project=project, state=ReviewState.ACTIVE, expires_at__gt=now)
        .values("reviewer_id")
        .distinct()
        .count()
    )
    item_total = sum(items.values())
    return {
        "items": {
            "total": item_total,
            "done": items.get(ItemState.DONE, 0),
            "open": items.get(ItemState.OPEN, 0),
        },
        "done_share": items.get(ItemState.DONE, 0) / item_total if item_total else 0.0,
        "slots": slots,
        "slot_total": sum(by_state.values()),
        "decisions": {"approved": decisions[Decision.APPROVE], "rejected": decisions[Decision.REJECT]},
        "first_pass_rate": first[Decision.APPROVE] / first_total if first_total else None,
        "rework_rate": decisions[Decision.REJECT] / total if total else None,
        "top_reasons": reasons.most_common(8),
        "active_workers": active_workers,
        "active_reviewers": active_reviewers,
        "throughput": throughput(project=project, now=now),
    }


#: filters of the item list: an item's own state, or "has a slot in this state"
ITEM_FILTERS = ["open", "done", *[s.value for s in SlotState if s != SlotState.OPEN]]


def item_page(
    *, project: Project, state: str | None, before: int | None = None, limit: int = 50
) -> tuple[list[dict[str, Any]], int | None]:
    """Newest items first with their slots' states, ``limit`` at a time; answers (rows, next cursor)."""
    items = Item.objects.filter(project=project)
    if state in {ItemState.OPEN, ItemState.DONE}:
        items = items.filter(state=state)
    elif state in ITEM_FILTERS:
        items = items.filter(Exists(Slot.objects.filter(item_id=OuterRef("pk"), state=state)))
    if before:
        items = items.filter(pk__lt=before)
    page = list(
        items.order_by("-pk").prefetch_related(Prefetch("slots", queryset=Slot.objects.order_by("index")))[
            : limit + 1
        ]
    )
    more = len(page) > limit
    page = page[:limit]
    versions = dict(
        Submission.objects.filter(item__in=page)
        .values_list("item_id")
        .annotate(n=Count("id"))
        .values_list("item_id", "n")
    )
    rows = [
        {
            "item": item,
            "slots": [slot.state for slot in item.slots.all()],
            "versions": versions.get(item.pk, 0),
            "preview": _preview(item.data),
        }
        for item in page
    ]
    return rows, (page[-1].pk if more and page else None)


def _preview(data: Any) -> str:
    if not isinstance(data, dict):
        return str(data)[:120]
    for value in data.values():
        if isinstance(value, str) and value.strip():
            return value[:120]
    return ", ".join(sorted(data))[:120]


def _person(user: User | None, user_id: int | None, names: bool) -> str:
    if user_id is None:
        return "—"
    if names and user is not None:
        return str(user)
    return pseudonym(user_id) or "—"


def item_timeline(*, item: Item, names: bool) -> dict[str, Any]:
    """The full history of an item: per slot every version with its answer and decisions, and all events.

    ``names``: show people's display names (the project's managers) instead of pseudonyms.
    """
    decided = Review.objects.filter(state=ReviewState.DECIDED).select_related("reviewer")
    submissions = list(
        Submission.objects.filter(item=item)
        .select_related("worker")
        .prefetch_related(Prefetch("reviews", queryset=decided))
        .order_by("slot_id", "version")
    )
    slots = list(Slot.objects.filter(item=item).select_related("worker").order_by("index"))
    versions: dict[int, list[dict[str, Any]]] = {}
    for submission in submissions:
        versions.setdefault(submission.slot_id, []).append(
            {
                "version": submission.version,
                "state": submission.state,
                "state_label": submission.get_state_display(),
                "worker": _person(submission.worker, submission.worker_id, names),
                "answer": submission.answer,
                "submitted_at": submission.created_at,
                "active_seconds": round(submission.active_seconds),
                "reviews": [
                    {
                        "decision": review.decision,
                        "decision_label": review.get_decision_display(),
                        "reviewer": _person(review.reviewer, review.reviewer_id, names),
                        "reasons": review.reasons,
                        "comment": review.comment,
                        "region_comments": review.region_comments,
                        "decided_at": review.decided_at,
                    }
                    for review in submission.reviews.all()
                ],
            }
        )
    events = list(Event.objects.filter(item=item).select_related("actor").order_by("created_at", "id"))
    slot_index = {slot.pk: slot.index for slot in slots}
    return {
        "slots": [
            {
                "index": slot.index,
                "number": slot.index + 1,
                "state": slot.state,
                "state_label": slot.get_state_display(),
                "holder": _person(slot.worker, slot.worker_id, names) if slot.worker_id else None,
                "rework_round": slot.rework_round,
                "versions": versions.get(slot.pk, []),
            }
            for slot in slots
        ],
        "events": [
            {
                "at": event.created_at,
                "kind": event.kind,
                "slot": slot_index.get(event.slot_id, -1) + 1 if event.slot_id else None,
                "actor": _person(event.actor, event.actor_id, names) if event.actor_id else None,
                "data": event.data,
            }
            for event in events
        ],
    }

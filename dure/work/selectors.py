"""Reads for the work loop: what a worker or reviewer sees, progress counts, history and export rows."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db.models import Count, Prefetch
from django.utils import timezone

from dure.accounts.models import User
from dure.assist.selectors import review_flags
from dure.assist.services import suggestion_for
from dure.projects.models import Project
from dure.work.errors import ItemNotFound
from dure.work.models import (
    Assignment,
    AssignmentState,
    Decision,
    Event,
    Item,
    Review,
    ReviewState,
    Slot,
    SlotState,
    Submission,
    SubmissionState,
)


def pseudonym(user_id: int | None) -> str | None:
    """A stable pseudonymous worker id for exports: clients never see who a worker is."""
    if user_id is None:
        return None
    digest = hashlib.blake2b(
        str(user_id).encode(), key=settings.SECRET_KEY.encode()[:64], digest_size=8
    ).hexdigest()
    return f"w_{digest}"


def item_payload(item: Item) -> dict[str, Any]:
    return {"id": item.pk, "external_id": item.external_id, "data": item.data}


def _review_payload(review: Review) -> dict[str, Any]:
    return {
        "id": review.pk,
        "stage": review.stage,
        "decision": review.decision,
        "reasons": review.reasons,
        "comment": review.comment,
        "region_comments": review.region_comments,
        "decided_at": review.decided_at,
    }


def _faq_links(project_id: int, reasons: list[str]) -> list[dict[str, Any]]:
    """The FAQ entries the reviewer linked (reasons ``faq:<id>``); no query when none was linked."""
    if not any(reason.startswith("faq:") for reason in reasons):
        return []
    from dure.notices.selectors import faq_links

    return faq_links(project_id=project_id, reasons=reasons)


def assignment_payload(assignment: Assignment) -> dict[str, Any]:
    item = (
        assignment.item
        if "item" in assignment._state.fields_cache
        else Item.objects.get(pk=assignment.item_id)
    )
    rework = None
    if assignment.rework_round:
        last = (
            Submission.objects.filter(slot_id=assignment.slot_id, worker_id=assignment.worker_id)
            .order_by("-version")
            .prefetch_related(Prefetch("reviews", queryset=Review.objects.filter(state=ReviewState.DECIDED)))
            .first()
        )
        # With a 2nd review the deciding (rejecting) decision is the later stage's.
        decided = max(last.reviews.all(), key=lambda r: r.stage, default=None) if last else None
        reasons, comment = (decided.reasons, decided.comment) if decided else ([], "")
        if decided is not None and decided.decision == Decision.APPROVE:
            # Approved, then returned by the client's acceptance inspection: the reasons are the client's.
            returned = (
                Event.objects.filter(slot_id=assignment.slot_id, kind="returned").order_by("-id").first()
            )
            if returned is not None:
                reasons = list(returned.data.get("reasons") or [])
                comment = str(returned.data.get("comment") or "")
        rework = {
            "round": assignment.rework_round,
            "reasons": reasons,
            "faq": _faq_links(assignment.project_id, reasons),
            "comment": comment,
            "comments": decided.region_comments if decided else [],
            "previous_answer": last.answer if last else None,
        }
    return {
        "id": assignment.pk,
        "project_id": assignment.project_id,
        "item": item_payload(item),
        "expires_at": assignment.expires_at,
        "active_seconds": round(assignment.active_seconds, 1),
        "rework": rework,
        # a rework starts from the worker's own answer, not from the model's
        "suggestion": None if rework else suggestion_for(project_id=assignment.project_id, item=item),
    }


def slot_history(slot_id: int) -> list[dict[str, Any]]:
    """Every version on the slot with its decision, oldest first."""
    submissions = (
        Submission.objects.filter(slot_id=slot_id)
        .order_by("version")
        .prefetch_related(Prefetch("reviews", queryset=Review.objects.filter(state=ReviewState.DECIDED)))
    )
    return [
        {
            "submission_id": s.pk,
            "version": s.version,
            "worker": pseudonym(s.worker_id),
            "answer": s.answer,
            "state": s.state,
            "submitted_at": s.created_at,
            "active_seconds": round(s.active_seconds, 1),
            "reviews": [_review_payload(r) for r in s.reviews.all()],
        }
        for s in submissions
    ]


def review_payload(review: Review) -> dict[str, Any]:
    cached = review._state.fields_cache.get("submission")
    submission = (
        cached
        if cached is not None and "item" in cached._state.fields_cache
        else Submission.objects.select_related("item").get(pk=review.submission_id)
    )
    return {
        "id": review.pk,
        "project_id": review.project_id,
        "stage": review.stage,
        "expires_at": review.expires_at,
        "submission": {
            "id": submission.pk,
            "version": submission.version,
            "answer": submission.answer,
            "worker": pseudonym(submission.worker_id),
            "submitted_at": submission.created_at,
            "active_seconds": round(submission.active_seconds, 1),
        },
        "item": item_payload(submission.item),
        "assist": review_flags(
            submission_id=submission.pk, project_id=review.project_id, item=submission.item
        ),
        # Version 1 is the slot's first answer, so there is no earlier one to show: skip the queries.
        "history": (
            [h for h in slot_history(review.slot_id) if h["submission_id"] != submission.pk]
            if submission.version > 1
            else []
        ),
    }


def progress(*, project: Project) -> dict[str, Any]:
    now = timezone.now()
    by_state = dict(
        Slot.objects.filter(project=project)
        .values_list("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
    slots = {state.value: by_state.get(state.value, 0) for state in SlotState}
    items = dict(
        Item.objects.filter(project=project)
        .values_list("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
    open_leases = Assignment.objects.filter(
        project=project, state=AssignmentState.ACTIVE, expires_at__gt=now
    ).count()
    active_reviews = Review.objects.filter(
        project=project, state=ReviewState.ACTIVE, expires_at__gt=now
    ).count()
    return {
        "items": {"total": sum(items.values()), "done": items.get("done", 0)},
        "slots": slots,
        "open_leases": open_leases,
        "active_reviews": active_reviews,
        "queues": {
            "work": slots[SlotState.OPEN],
            "review": slots[SlotState.SUBMITTED] + slots[SlotState.SECOND_REVIEW],
            "rework": slots[SlotState.REJECTED],
        },
    }


def item_for_manager(*, project: Project, item_id: int) -> Item:
    item = Item.objects.filter(project=project, pk=item_id).first()
    if item is None:
        raise ItemNotFound()
    return item


def item_history(*, item: Item) -> list[dict[str, Any]]:
    return [
        {
            "at": e.created_at,
            "kind": e.kind,
            "slot": e.slot_id,
            "actor": pseudonym(e.actor_id),
            "data": e.data,
        }
        for e in Event.objects.filter(item=item).order_by("created_at", "id")
    ]


def export_rows(*, project: Project, chunk: int = 1000) -> Iterator[dict[str, Any]]:
    """One row per item with at least one approved answer, streamed by primary key ranges."""
    last_id = 0
    while True:
        items = list(
            Item.objects.filter(project=project, approved_count__gt=0, pk__gt=last_id).order_by("pk")[:chunk]
        )
        if not items:
            return
        last_id = items[-1].pk
        approved = (
            Submission.objects.filter(item__in=items, state=SubmissionState.APPROVED)
            .order_by("item_id", "slot_id")
            .prefetch_related(Prefetch("reviews", queryset=Review.objects.filter(state=ReviewState.DECIDED)))
        )
        by_item: dict[int, list[dict[str, Any]]] = {}
        for submission in approved:
            review = next(iter(submission.reviews.all()), None)
            by_item.setdefault(submission.item_id, []).append(
                {
                    "slot": submission.slot_id,
                    "version": submission.version,
                    "worker": pseudonym(submission.worker_id),
                    "answer": submission.answer,
                    "active_seconds": round(submission.active_seconds, 1),
                    "submitted_at": submission.created_at.isoformat(),
                    "approved_at": review.decided_at.isoformat() if review and review.decided_at else None,
                    "reviewer": pseudonym(review.reviewer_id) if review else None,
                }
            )
        for item in items:
            yield {
                "id": item.pk,
                "external_id": item.external_id,
                "data": item.data,
                "state": item.state,
                "answers": by_item.get(item.pk, []),
            }


def worker_can_see_assignment(*, user: User, assignment_id: int) -> Assignment | None:
    return Assignment.objects.filter(pk=assignment_id, worker=user).select_related("item").first()

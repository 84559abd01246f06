"""Reads: jobs as their callers may see them, and export rows with their full provenance."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from django.db.models import Avg, Count, Exists, OuterRef, Q, QuerySet

from dure.accounts.models import User
from dure.core import bulkread
from dure.core.lookups import ids_lookup
from dure.datasets.errors import JobNotFound
from dure.datasets.exporters import parse_when
from dure.datasets.models import DatasetJob, JobKind
from dure.projects.errors import ProjectNotFound
from dure.projects.models import Project
from dure.projects.selectors import Access, project_access
from dure.quality.models import AggregatedAnswer
from dure.work.models import Item, ItemState, Review, ReviewState, Slot, Submission, SubmissionState
from dure.work.selectors import pseudonym

if TYPE_CHECKING:  # the certificate imports scipy: only the export job needs it
    from dure.quality.certificate import FormatChecks


def may_see_job(access: Access, job: DatasetJob) -> bool:
    return access.can_manage or (job.kind == JobKind.EXPORT and access.can_export)


def job_for_user(*, user: User, job_id: int) -> tuple[DatasetJob, Access]:
    """The job when the caller may see it: 404 when they have no role in its project, 403 when their role
    does not cover the job's kind."""
    job = DatasetJob.objects.select_related("project").filter(pk=job_id).first()
    if job is None:
        raise JobNotFound()
    try:
        access = project_access(user=user, project_id=job.project_id)
    except ProjectNotFound:
        raise JobNotFound() from None
    access.require(may_see_job(access, job))
    return job, access


def project_jobs(*, access: Access, limit: int = 50) -> QuerySet[DatasetJob]:
    jobs = DatasetJob.objects.filter(project=access.project).select_related("created_by")
    if not access.can_manage:
        jobs = jobs.filter(kind=JobKind.EXPORT)
    return jobs.order_by("-created_at", "-id")[:limit]


# --- exports ---------------------------------------------------------------------------------------------


def _items(project: Project, filters: dict[str, Any]) -> QuerySet[Item]:
    items = Item.objects.filter(project=project)
    state = filters.get("state", "approved")
    if state == "approved":
        items = items.filter(approved_count__gt=0)
    elif state == "done":
        items = items.filter(state=ItemState.DONE)
    for key, lookup in [
        ("created_from", "created_at__gte"),
        ("created_to", "created_at__lt"),
        ("done_from", "done_at__gte"),
        ("done_to", "done_at__lt"),
    ]:
        if filters.get(key):
            items = items.filter(**{lookup: parse_when(filters[key])})
    if filters.get("worker_level") is not None:
        workers = filters.get("_workers")
        if workers is None:
            workers = workers_at_level(project=project, rank=filters["worker_level"])
        approved = Submission.objects.filter(item=OuterRef("pk"), state=SubmissionState.APPROVED)
        # Every approved answer of the item is by a worker at the level (or above), and there is one.
        items = items.filter(Exists(approved.filter(worker_id__in=workers))).exclude(
            Exists(approved.exclude(worker_id__in=workers))
        )
    return items


def workers_at_level(*, project: Project, rank: int) -> list[int]:
    """The people who answered on the project and whose level (over all their work) is ``rank`` or higher.

    Levels are computed now from the scores, not read from the matching features, which may be a day old."""
    from dure.quality.selectors import worker_scores

    ids = Submission.objects.filter(project=project).values_list("worker_id", flat=True).distinct()
    qualified = []
    for worker_id in ids.order_by("worker_id"):
        level = worker_scores(user=worker_id)["level"]
        if level is not None and level["rank"] >= rank:
            qualified.append(worker_id)
    return qualified


def resolve_export_filters(*, project: Project, filters: dict[str, Any]) -> dict[str, Any]:
    """The filters with the workers at the asked level computed once, for the several reads of one export."""
    if filters.get("worker_level") is None:
        return filters
    return {**filters, "_workers": workers_at_level(project=project, rank=filters["worker_level"])}


def export_items(*, project: Project, filters: dict[str, Any]) -> QuerySet[Item]:
    return _items(project, filters)


def export_count(*, project: Project, filters: dict[str, Any]) -> int:
    return _items(project, filters).count()


def quality_summary(*, project: Project, filters: dict[str, Any]) -> dict[str, Any]:
    """What a client reads first: how much was inspected, how often work was sent back, time spent."""
    submissions = Submission.objects.filter(item__in=_items(project, filters))
    counts = submissions.aggregate(
        versions=Count("id"),
        approved=Count("id", filter=Q(state=SubmissionState.APPROVED)),
        rejected=Count("id", filter=Q(state=SubmissionState.REJECTED)),
        mean_active_seconds=Avg("active_seconds", filter=Q(state=SubmissionState.APPROVED)),
        workers=Count("worker", distinct=True),
    )
    versions = counts["versions"] or 0
    return {
        "items": export_count(project=project, filters=filters),
        "answer_versions": versions,
        "approved_answers": counts["approved"],
        "rejected_answers": counts["rejected"],
        "rejection_rate": round(counts["rejected"] / versions, 4) if versions else 0.0,
        "mean_active_seconds": round(counts["mean_active_seconds"] or 0.0, 1),
        "workers": counts["workers"],
        "inspection": "every answer reviewed before approval",
    }


def export_rows(
    *, project: Project, filters: dict[str, Any], chunk: int = 2000, checks: FormatChecks | None = None
) -> Iterator[dict[str, Any]]:
    """One row per item, in id order: the item, every answer version with its reviews, and ``answer`` — the
    aggregated (or adjudicated) answer when several workers answered the item, else the approved answer of
    the first approved slot (None when nothing is approved).

    Items are walked a chunk at a time (``bulkread.chunks``: one server-side cursor on PostgreSQL); each
    chunk's answers, reviews and aggregates are read by id range (or list) through indexes the planner uses
    with or without statistics: reviews by their submission ids, never joined to the items. Rows come as
    plain tuples, JSON decoded once by orjson. ``checks``, when given, sees every approved answer on the
    way (the certificate's format checks), so the export does not read the answers twice."""
    names: dict[int | None, str | None] = {}

    def who(user_id: int | None) -> str | None:
        if user_id not in names:
            names[user_id] = pseudonym(user_id)
        return names[user_id]

    load, aware = bulkread.json_value, bulkread.aware()
    approved_state, decided = SubmissionState.APPROVED, ReviewState.DECIDED
    items = (
        _items(project, filters)
        .order_by("pk")
        .values_list("id", "external_id", "data", "state", "created_at", "done_at")
    )
    for chunk_items in bulkread.chunks(items, size=chunk):
        ids = [item[0] for item in chunk_items]
        submissions = bulkread.rows(
            Submission.objects.filter(ids_lookup("item_id", ids))
            .order_by("item_id", "slot_id", "version")
            .values_list(
                "id",
                "item_id",
                "slot_id",
                "version",
                "worker_id",
                "answer",
                "state",
                "created_at",
                "active_seconds",
            )
        )
        reviews: dict[int, list[dict[str, Any]]] = {}
        slot_index: dict[int, int] = {}
        if submissions:
            # by the slots' own ids, not a join: PostgreSQL planned the join as a parallel query per chunk
            slot_index = dict(
                bulkread.rows(
                    Slot.objects.filter(ids_lookup("id", sorted({s[2] for s in submissions}))).values_list(
                        "id", "index"
                    )
                )
            )
            for submission_id, reviewer_id, decision, reasons, comment, decided_at, seconds in bulkread.rows(
                Review.objects.filter(
                    ids_lookup("submission_id", sorted(s[0] for s in submissions)), state=decided
                )
                .order_by("submission_id", "decided_at", "id")
                .values_list(
                    "submission_id",
                    "reviewer_id",
                    "decision",
                    "reasons",
                    "comment",
                    "decided_at",
                    "active_seconds",
                )
            ):
                reviews.setdefault(submission_id, []).append(
                    {
                        "reviewer": who(reviewer_id),
                        "decision": decision,
                        "reasons": load(reasons),
                        "comment": comment,
                        "decided_at": aware(decided_at),
                        "active_seconds": round(seconds, 1),
                    }
                )
        # item id -> slot id -> the slot with its versions in order (the query's order)
        slots: dict[int, dict[int, dict[str, Any]]] = {}
        # item id -> (submission id, slot id, answer) of every approved version, for ``checks``
        approved_answers: dict[int, list[tuple[int, int, Any]]] = {}
        for (submission_id, item_id, slot_id, version, worker_id, answer, state, created_at,
             seconds) in submissions:  # fmt: skip
            of_item = slots.get(item_id)
            if of_item is None:
                of_item = slots[item_id] = {}
            of_slot = of_item.get(slot_id)
            if of_slot is None:
                of_slot = of_item[slot_id] = {"index": slot_index[slot_id], "versions": []}
            answer = load(answer)
            of_slot["versions"].append(
                {
                    "version": version,
                    "worker": who(worker_id),
                    "answer": answer,
                    "state": state,
                    "submitted_at": aware(created_at),
                    "active_seconds": round(seconds, 1),
                    "reviews": reviews.get(submission_id, []),
                }
            )
            if checks is not None and state == approved_state:
                approved_answers.setdefault(item_id, []).append((submission_id, slot_id, answer))
        # Items several workers answered have one aggregated (or adjudicated) answer: that is "the" answer.
        final = {
            item_id: load(adjudicated) if state == "done" else load(answer)
            for item_id, state, answer, adjudicated in bulkread.rows(
                AggregatedAnswer.objects.filter(ids_lookup("item_id", ids)).values_list(
                    "item_id", "state", "answer", "adjudicated_answer"
                )
            )
        }
        for item_id, external_id, data, state, created_at, done_at in chunk_items:
            data = load(data)
            by_slot = slots.get(item_id, {})
            item_slots: list[dict[str, Any]] = list(by_slot.values())
            if len(item_slots) > 1:
                item_slots.sort(key=lambda slot: slot["index"])
            approved = []
            for slot in item_slots:
                for version in slot["versions"]:
                    if version["state"] == approved_state:
                        decision = next((r for r in version["reviews"] if r["decision"] == "approve"), None)
                        approved.append(
                            {
                                "slot": slot["index"],
                                "version": version["version"],
                                "worker": version["worker"],
                                "answer": version["answer"],
                                "active_seconds": version["active_seconds"],
                                "submitted_at": version["submitted_at"],
                                "approved_at": decision["decided_at"] if decision else None,
                                "reviewer": decision["reviewer"] if decision else None,
                            }
                        )
            if checks is not None and item_id in approved_answers:
                # the order the certificate's own walk checks them in: by item, then by answer id
                for _submission_id, slot_id, answer in sorted(approved_answers[item_id]):
                    checks.add(item_id=item_id, project_id=project.pk, data=data, slot_id=slot_id,
                               answer=answer)  # fmt: skip
            yield {
                "id": item_id,
                "external_id": external_id,
                "data": data,
                "state": state,
                "created_at": aware(created_at),
                "done_at": aware(done_at),
                "answer": final.get(item_id, approved[0]["answer"] if approved else None),
                "approved": approved,
                "slots": item_slots,
            }

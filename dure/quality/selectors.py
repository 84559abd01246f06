"""Reads for quality: who may take a project's fresh items (cached for dispatch), and every score.

Scores are computed from the work tables (submissions, reviews, gold results, audits), never kept in
counters the work loop would have to update.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import connection
from django.db.models import Avg, Count, Exists, Max, OuterRef, Q
from django.db.models.functions import TruncWeek
from django.utils import timezone

from dure.accounts.models import User
from dure.core.errors import DureError
from dure.projects.models import Project
from dure.quality.errors import PausedLowAccuracy, RoutedAway
from dure.quality.models import (
    Audit,
    AuditState,
    GoldItem,
    GoldResult,
    Level,
    Pause,
    PauseState,
    QualitySettings,
)
from dure.work.models import (
    Assignment,
    Decision,
    Review,
    ReviewState,
    Slot,
    SlotState,
    Submission,
    SubmissionState,
)

ROUTING_WINDOW = timedelta(days=30)


def settings_of(project: Project | int) -> QualitySettings:
    """The project's quality settings; the defaults (unsaved) when its managers never changed them."""
    project_id = project if isinstance(project, int) else project.pk
    found = QualitySettings.objects.filter(project_id=project_id).first()
    return found or QualitySettings(project_id=project_id)


# --- dispatch --------------------------------------------------------------------------------------------


@dataclass
class DispatchProfile:
    """What dispatch needs to know about one worker on one project, computed once per few seconds."""

    blocked: DureError | None
    gold_items: int
    #: fresh items this worker has taken on the project (counted up in this process between refreshes)
    fresh_taken: int
    initial_rate: float
    initial_items: int
    rate: float
    expires: float = field(default=0.0)

    def gold_rate(self) -> float:
        return self.initial_rate if self.fresh_taken < self.initial_items else self.rate

    def gold_slot(self, *, worker: User, project: Project, rng: random.Random | None = None) -> Slot | None:
        """A fresh slot of a gold item, at the project's rate (None most of the time: take a normal item).

        Each draw counts one fresh dispatch towards the worker's "first items".
        """
        draw = (rng or random).random()
        rate = self.gold_rate()
        self.fresh_taken += 1
        if not self.gold_items or draw >= rate:
            return None
        from dure.quality.services import open_gold_slot

        return open_gold_slot(worker=worker, project=project)


#: (worker, project) → profile; the same few seconds of staleness as ``project_access``. Saves of
#: requirements, certifications, gold items, pauses and settings clear it in this process (apps.py).
PROFILE_CACHE_SECONDS = 5.0
_profiles: dict[tuple[int, int], DispatchProfile] = {}


def forget_profiles() -> None:
    _profiles.clear()
    _gold_projects.clear()


#: project id → (valid until, whether it has gold items): every submit asks, gold is added rarely. A save or
#: delete of a gold item in this process clears it at once (apps.py); other processes see it within
#: PROFILE_CACHE_SECONDS.
_gold_projects: dict[int, tuple[float, bool]] = {}


def project_has_gold(project_id: int) -> bool:
    now = time.monotonic()
    hit = _gold_projects.get(project_id)
    if hit is None or hit[0] <= now:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM quality_golditem WHERE project_id = %s LIMIT 1", [project_id])
            found = cursor.fetchone() is not None
        if len(_gold_projects) > 50_000:
            _gold_projects.clear()
        hit = _gold_projects[project_id] = (now + PROFILE_CACHE_SECONDS, found)
    return hit[1]


def dispatch_profile(*, worker: User, project: Project) -> DispatchProfile:
    """Raises the typed reason when the worker may not take fresh items here; else how to mix gold in."""
    key = (worker.pk, project.pk)
    profile = _profiles.get(key)
    if profile is None or profile.expires <= time.monotonic():
        profile = _build_profile(worker=worker, project=project)
        if len(_profiles) > 50_000:
            _profiles.clear()
        _profiles[key] = profile
    if profile.blocked is not None:
        raise profile.blocked
    return profile


def _build_profile(*, worker: User, project: Project) -> DispatchProfile:
    from dure.academy.selectors import requirement_block

    quality = settings_of(project)
    blocked = requirement_block(user=worker, project_id=project.pk) or _quality_block(
        worker, project, quality
    )
    gold_items = GoldItem.objects.filter(project=project).count() if blocked is None else 0
    fresh = (
        Assignment.objects.filter(worker=worker, project=project, rework_round=0).count() if gold_items else 0
    )
    return DispatchProfile(
        blocked=blocked,
        gold_items=gold_items,
        fresh_taken=fresh,
        initial_rate=quality.gold_initial_rate,
        initial_items=quality.gold_initial_items,
        rate=quality.gold_rate,
        expires=time.monotonic() + PROFILE_CACHE_SECONDS,
    )


def _quality_block(worker: User, project: Project, quality: QualitySettings) -> DureError | None:
    pause = Pause.objects.filter(project=project, worker=worker, state=PauseState.ACTIVE).first()
    if pause is not None:
        return PausedLowAccuracy(
            pause=pause.pk,
            gold_accuracy=pause.gold_accuracy,
            threshold=pause.threshold,
            results=pause.results_counted,
        )
    decided = Review.objects.filter(
        project=project,
        submission__worker=worker,
        state=ReviewState.DECIDED,
        decided_at__gte=timezone.now() - ROUTING_WINDOW,
    ).aggregate(total=Count("id"), rejected=Count("id", filter=Q(decision=Decision.REJECT)))
    total, rejected = decided["total"], decided["rejected"]
    if total and rejected >= quality.max_rejections and rejected / total >= quality.max_rejection_rate:
        return RoutedAway(rejected=rejected, decided=total, days=ROUTING_WINDOW.days)
    return None


# --- scores ----------------------------------------------------------------------------------------------


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def deciding(reviews: Any) -> Any:
    """The reviews that decided an answer: with a 2nd review, a 1st-stage approval is not the decision (the
    2nd stage's is, or none yet while it waits), so a worker's answer is counted once."""
    checked = Review.objects.filter(
        submission_id=OuterRef("submission_id"), stage=2, state=ReviewState.DECIDED
    )
    return reviews.exclude(
        Q(stage=1, decision=Decision.APPROVE)
        & (Q(submission__state=SubmissionState.PENDING) | Exists(checked))
    )


def worker_scores(*, user: User | int, project: Project | int | None = None) -> dict[str, Any]:
    """Gold accuracy, first-pass approval, rework rate, speed and volume; per project or over all projects."""
    user_id = user if isinstance(user, int) else user.pk
    scope: dict[str, Any] = {}
    if project is not None:
        scope["project_id"] = project if isinstance(project, int) else project.pk
    gold = GoldResult.objects.filter(worker_id=user_id, **scope).aggregate(
        total=Count("id"), passed=Count("id", filter=Q(passed=True))
    )
    reviews = deciding(
        Review.objects.filter(submission__worker_id=user_id, state=ReviewState.DECIDED, **scope)
    ).aggregate(
        total=Count("id"),
        rejected=Count("id", filter=Q(decision=Decision.REJECT)),
        first=Count("id", filter=Q(submission__version=1)),
        first_approved=Count("id", filter=Q(submission__version=1, decision=Decision.APPROVE)),
    )
    submissions = Submission.objects.filter(worker_id=user_id, **scope).aggregate(
        total=Count("id"),
        approved=Count("id", filter=Q(state=SubmissionState.APPROVED)),
        seconds=Avg("active_seconds"),
    )
    audits = Audit.objects.filter(reviewer_id=user_id, state=AuditState.DONE, **scope).aggregate(
        total=Count("id"), agreed=Count("id", filter=Q(agrees=True))
    )
    reviewed = Review.objects.filter(reviewer_id=user_id, state=ReviewState.DECIDED, **scope).count()
    scores = {
        "gold_accuracy": _rate(gold["passed"], gold["total"]),
        "gold_results": gold["total"],
        "first_pass_approval": _rate(reviews["first_approved"], reviews["first"]),
        "rework_rate": _rate(reviews["rejected"], reviews["total"]),
        "decisions": reviews["total"],
        "submitted": submissions["total"],
        "approved": submissions["approved"],
        "average_seconds": round(submissions["seconds"], 1) if submissions["seconds"] is not None else None,
        "reviews": reviewed,
        "audit_agreement": _rate(audits["agreed"], audits["total"]),
        "audits": audits["total"],
    }
    scores["level"] = level_for(scores)
    return scores


def level_for(scores: dict[str, Any]) -> dict[str, Any] | None:
    """The highest level whose every threshold the scores meet (levels are rows an operator edits)."""
    level = highest_level(Level.objects.order_by("-rank"), scores)
    return None if level is None else {"rank": level.rank, "name": level.name}


def highest_level(levels: Iterable[Level], scores: Mapping[str, Any]) -> Level | None:
    """The first of ``levels`` (ordered highest rank first) whose every threshold the scores meet; callers
    scoring many people load the levels once."""
    for level in levels:
        if scores["approved"] < level.min_approved:
            continue
        if level.min_gold_accuracy is not None and (scores["gold_accuracy"] or 0) < level.min_gold_accuracy:
            continue
        if (
            level.min_approval_rate is not None
            and (scores["first_pass_approval"] or 0) < level.min_approval_rate
        ):
            continue
        if level.max_rework_rate is not None and (scores["rework_rate"] or 0) > level.max_rework_rate:
            continue
        return level
    return None


def project_worker_scores(*, project: Project) -> list[dict[str, Any]]:
    """Every person who submitted on the project, with their scores there (for its managers)."""
    workers = (
        Submission.objects.filter(project=project)
        .values("worker_id", "worker__username", "worker__display_name")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    rows = []
    for row in workers[:500]:
        scores = worker_scores(user=row["worker_id"], project=project)
        paused = Pause.objects.filter(
            project=project, worker_id=row["worker_id"], state=PauseState.ACTIVE
        ).exists()
        rows.append(
            {
                "user_id": row["worker_id"],
                "username": row["worker__username"],
                "display_name": row["worker__display_name"],
                "paused": paused,
                **scores,
            }
        )
    return rows


def weekly_history(*, user: User, weeks: int = 12) -> list[dict[str, Any]]:
    """First-pass approval and gold accuracy per week, oldest first (weeks without work are gaps)."""
    since = timezone.now() - timedelta(weeks=weeks)
    approvals = (
        deciding(
            Review.objects.filter(
                submission__worker=user,
                submission__version=1,
                state=ReviewState.DECIDED,
                decided_at__gte=since,
            )
        )
        .annotate(week=TruncWeek("decided_at"))
        .values("week")
        .annotate(total=Count("id"), approved=Count("id", filter=Q(decision=Decision.APPROVE)))
    )
    golds = (
        GoldResult.objects.filter(worker=user, created_at__gte=since)
        .annotate(week=TruncWeek("created_at"))
        .values("week")
        .annotate(total=Count("id"), passed=Count("id", filter=Q(passed=True)))
    )
    by_week: dict[Any, dict[str, Any]] = {}
    for row in approvals:
        week = row["week"].date() if hasattr(row["week"], "date") else row["week"]
        by_week.setdefault(week, {})["approval"] = _rate(row["approved"], row["total"])
    for gold_row in golds:
        week = gold_row["week"].date() if hasattr(gold_row["week"], "date") else gold_row["week"]
        by_week.setdefault(week, {})["gold"] = _rate(gold_row["passed"], gold_row["total"])
    start = timezone.localdate() - timedelta(weeks=weeks - 1)
    start -= timedelta(days=start.weekday())
    out = []
    for n in range(weeks):
        week = start + timedelta(weeks=n)
        values = by_week.get(week, {})
        out.append({"week": week, "approval": values.get("approval"), "gold": values.get("gold")})
    return out


def history_by_data_type(*, user: User) -> list[dict[str, Any]]:
    """Submitted and approved work grouped by the kind of data (the project's first input type)."""
    rows = (
        Submission.objects.filter(worker=user)
        .values("project_id", "project__spec")
        .annotate(total=Count("id"), approved=Count("id", filter=Q(state=SubmissionState.APPROVED)))
    )
    kinds: dict[str, dict[str, Any]] = {}
    for row in rows:
        spec = row["project__spec"] or {}
        inputs = [i.get("type", "?") for i in spec.get("inputs", [])] if isinstance(spec, dict) else []
        outputs = [o.get("type", "?") for o in spec.get("outputs", [])] if isinstance(spec, dict) else []
        kind = f"{inputs[0] if inputs else '?'} → {outputs[0] if outputs else '?'}"
        entry = kinds.setdefault(kind, {"kind": kind, "projects": 0, "submitted": 0, "approved": 0})
        entry["projects"] += 1
        entry["submitted"] += row["total"]
        entry["approved"] += row["approved"]
    return sorted(kinds.values(), key=lambda k: -k["submitted"])


def review_queue_wait(*, project: Project) -> dict[str, Any]:
    """Queue length, decisions per hour over the last day, and the expected wait for the newest item."""
    waiting = [SlotState.SUBMITTED, SlotState.SECOND_REVIEW]
    queued = Slot.objects.filter(project=project, state__in=waiting).count()
    since = timezone.now() - timedelta(hours=24)
    decided = Review.objects.filter(project=project, state=ReviewState.DECIDED, decided_at__gte=since).count()
    oldest = Slot.objects.filter(project=project, state__in=waiting).aggregate(m=Max("queued_at"))
    per_hour = decided / 24.0
    if queued == 0:
        wait = 0.0
    elif per_hour == 0:
        wait = float("inf")
    else:
        wait = queued / per_hour * 3600
    return {
        "queued": queued,
        "decisions_per_hour": round(per_hour, 2),
        "expected_wait_seconds": wait,
        "newest": oldest["m"],
    }


def pending_gold_free(*, worker: User, project: Project) -> Any:
    touched = Assignment.objects.filter(item_id=OuterRef("item_id"), worker=worker)
    return GoldItem.objects.filter(project=project).filter(~Exists(touched))


# --- adjudication ----------------------------------------------------------------------------------------


def adjudication_view(aggregated: Any) -> dict[str, Any]:
    """An item in the adjudication queue: its data, the aggregate, and every worker's answer side by side
    (under pseudonyms: the senior judges answers, not people), most skilled first."""
    from dure.quality.aggregation import worker_skills
    from dure.work.models import Item
    from dure.work.selectors import pseudonym

    item = Item.objects.get(pk=aggregated.item_id)
    answers = list(
        Submission.objects.filter(item_id=item.pk, state=SubmissionState.APPROVED)
        .order_by("worker_id")
        .values("worker_id", "answer", "created_at")
    )
    skills = worker_skills(project_id=item.project_id, worker_ids=[a["worker_id"] for a in answers])
    answers.sort(key=lambda a: (-skills[a["worker_id"]], a["worker_id"]))
    return {
        "item": {"id": item.pk, "external_id": item.external_id, "data": item.data},
        "state": aggregated.state,
        "method": aggregated.method,
        "answer": aggregated.answer,
        "confidence": aggregated.confidence,
        "outputs": (aggregated.detail or {}).get("outputs", {}),
        "final_answer": aggregated.final_answer,
        "lease_expires_at": aggregated.lease_expires_at.isoformat() if aggregated.lease_expires_at else None,
        "answers": [
            {
                "worker": pseudonym(a["worker_id"]),
                "skill": round(skills[a["worker_id"]], 3),
                "answer": a["answer"],
                "submitted_at": a["created_at"].isoformat(),
            }
            for a in answers
        ],
    }


def item_aggregate(*, item: Any) -> dict[str, Any] | None:
    """One item's aggregated answer for its page: the final answer (the senior's once adjudicated), the
    method that reached it and how sure it is, per output too; None when the item has none (overlap 1, or
    not done yet). The item is already scoped to the caller's project."""
    from dure.quality.models import AdjudicationState, AggregatedAnswer

    row = AggregatedAnswer.objects.filter(item=item).first()
    if row is None:
        return None
    adjudicated = row.state == AdjudicationState.DONE
    return {
        "answer": row.final_answer,
        "aggregated_answer": row.answer,
        "changed": adjudicated and row.adjudicated_answer != row.answer,
        "method": row.get_method_display(),
        "confidence": row.confidence,
        "outputs": (row.detail or {}).get("outputs", {}),
        "state": row.state,
        "state_label": row.get_state_display(),
        "adjudicated": adjudicated,
        "computed_at": row.computed_at,
        "adjudicated_at": row.adjudicated_at,
        "note": row.note,
    }


def adjudication_summary(*, project: Project) -> dict[str, Any]:
    """Counts of aggregated items by adjudication state, and the mean confidence."""
    from dure.quality.models import AggregatedAnswer

    rows = AggregatedAnswer.objects.filter(project=project).values("state").annotate(n=Count("id"))
    counts = {row["state"]: row["n"] for row in rows}
    mean = AggregatedAnswer.objects.filter(project=project).aggregate(m=Avg("confidence"))["m"]
    return {
        "aggregated": sum(counts.values()),
        "confident": counts.get("none", 0),
        "pending": counts.get("pending", 0),
        "adjudicated": counts.get("done", 0),
        "mean_confidence": round(mean, 4) if mean is not None else None,
        "threshold": settings_of(project).adjudication_threshold,
    }

"""Writes for quality: gold items and their results, pauses and appeals, audits, the platform's reviewers.

Gold submissions go through human review like every other submission: that keeps them indistinguishable
(to reviewers too), pays them the same way, and a reviewer who approves a failed gold answer is a signal.
The gold score is recorded at submit time (``record_gold_result``), so a pause takes effect at once.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, Exists, Max, OuterRef, Q
from django.utils import timezone

from dure.accounts.models import User
from dure.core.fastsql import fetch_one
from dure.projects.models import Project, ProjectMember, ProjectRole
from dure.projects.selectors import spec_of
from dure.projects.services import set_project_member
from dure.projects.spec import answer_errors
from dure.quality.aggregation import (
    Aggregate,
    aggregate_answer,
    approved_votes,
    project_class_results,
    worker_skills,
)
from dure.quality.errors import (
    AdjudicationClosed,
    AdjudicationNotFound,
    AdjudicationNotHeld,
    AppealDecided,
    AppealExists,
    AppealNotFound,
    AuditDecided,
    AuditNotFound,
    GoldItemWorkedOn,
    GoldNotFound,
    InvalidAdjudication,
    InvalidGoldAnswer,
    PauseNotFound,
)
from dure.quality.models import (
    AdjudicationState,
    AggregatedAnswer,
    AggregationMethod,
    Appeal,
    AppealState,
    Audit,
    AuditState,
    GoldItem,
    GoldResult,
    Pause,
    PauseState,
    QualitySettings,
    ReviewerGrant,
)
from dure.quality.scoring import score_answer
from dure.quality.selectors import project_has_gold, review_queue_wait, settings_of, worker_scores
from dure.work.errors import ItemNotFound
from dure.work.models import Assignment, Item, Review, ReviewState, Slot, SlotState, Submission

#: the certification that makes a reviewer a senior who may audit other reviewers and adjudicate items
SENIOR_CERTIFICATION = "review-master"

# --- gold ------------------------------------------------------------------------------------------------


def mark_gold(*, project: Project, item_id: int, answer: Any, actor: User, explanation: str = "") -> GoldItem:
    """Makes an untouched item gold with its known answer; its open slots leave the normal queue."""
    item = Item.objects.filter(pk=item_id, project=project).first()
    if item is None:
        raise ItemNotFound()
    problems = answer_errors(spec_of(project), answer, item.data)
    if problems:
        raise InvalidGoldAnswer(errors=problems)
    with transaction.atomic():
        gold = GoldItem.objects.filter(item=item).first()
        if gold is None:
            if Assignment.objects.filter(item=item).exists():
                raise GoldItemWorkedOn()
            # Dispatch gives each worker a fresh slot of a gold item when it mixes one in (open_gold_slot),
            # so the item's own slots must not also be handed out as ordinary work.
            Slot.objects.filter(item=item, state=SlotState.OPEN).delete()
            gold = GoldItem.objects.create(
                item=item, project=project, answer=answer, explanation=explanation, created_by=actor
            )
        else:
            gold.answer, gold.explanation = answer, explanation
            gold.save(update_fields=["answer", "explanation"])
    return gold


def unmark_gold(*, project: Project, item_id: int) -> None:
    with transaction.atomic():
        gold = GoldItem.objects.filter(item_id=item_id, project=project).first()
        if gold is None:
            raise GoldNotFound()
        gold.delete()
        if not Slot.objects.filter(item_id=item_id).exists():
            Slot.objects.bulk_create(
                Slot(item_id=item_id, project=project, index=n) for n in range(project.overlap)
            )


def open_gold_slot(*, worker: User, project: Project) -> Slot | None:
    """A new open slot on a gold item this worker never saw, inside dispatch's transaction.

    Two workers racing for one gold item both pick the next index; the unique (item, index) constraint
    refuses one and dispatch retries (it catches IntegrityError).
    """
    from dure.quality.selectors import pending_gold_free

    gold = pending_gold_free(worker=worker, project=project).select_related("item").order_by("?").first()
    if gold is None:
        return None
    index = (Slot.objects.filter(item_id=gold.item_id).aggregate(m=Max("index"))["m"] or -1) + 1
    slot = Slot.objects.create(item=gold.item, project=project, index=index, state=SlotState.OPEN)
    slot.item = gold.item
    return slot


def record_gold_result(*, submission: Any, project: Project) -> GoldResult | None:
    """Called by submit, in its transaction: scores a gold answer and pauses the worker when they fall short."""
    if not project_has_gold(project.pk):
        return None
    gold = fetch_one(GoldItem, "m.item_id = %s", [submission.item_id])  # every submit: no query compiler
    if gold is None:
        return None
    result = score_answer(spec_of(project), gold.answer, submission.answer)
    recorded = GoldResult.objects.create(
        gold=gold,
        project=project,
        worker_id=submission.worker_id,
        submission_id=submission.pk,
        score=result.score,
        passed=result.correct,
        feedback=result.as_dict(),
        created_at=submission.created_at,
    )
    check_gold_pause(project=project, worker_id=submission.worker_id)
    return recorded


def check_gold_pause(*, project: Project, worker_id: int) -> Pause | None:
    """Pauses the worker here when gold accuracy since their last pause ended is below the threshold."""
    quality = settings_of(project)
    lifted = Pause.objects.filter(project=project, worker_id=worker_id, state=PauseState.LIFTED).aggregate(
        m=Max("lifted_at")
    )["m"]
    results = GoldResult.objects.filter(project=project, worker_id=worker_id)
    if lifted is not None:
        results = results.filter(created_at__gt=lifted)
    counts = results.aggregate(total=Count("id"), passed=Count("id", filter=Q(passed=True)))
    if counts["total"] < quality.gold_min_results:
        return None
    accuracy = counts["passed"] / counts["total"]
    if accuracy >= quality.gold_threshold:
        return None
    if Pause.objects.filter(project=project, worker_id=worker_id, state=PauseState.ACTIVE).exists():
        return None
    return Pause.objects.create(
        project=project,
        worker_id=worker_id,
        gold_accuracy=round(accuracy, 4),
        results_counted=counts["total"],
        threshold=quality.gold_threshold,
        created_at=timezone.now(),
    )


# --- pauses and appeals ----------------------------------------------------------------------------------


def appeal(*, worker: User, pause_id: int, message: str) -> Appeal:
    pause = Pause.objects.filter(pk=pause_id, worker=worker).first()
    if pause is None:
        raise PauseNotFound()
    if pause.state != PauseState.ACTIVE:
        raise AppealDecided()
    if Appeal.objects.filter(pause=pause).exists():
        raise AppealExists()
    return Appeal.objects.create(pause=pause, message=message.strip()[:5000], created_at=timezone.now())


def decide_appeal(*, appeal_id: int, actor: User, accept: bool, note: str = "", project: Project) -> Appeal:
    """A manager accepts (the pause is lifted; accuracy counts afresh from now) or rejects the appeal."""
    now = timezone.now()
    with transaction.atomic():
        found = (
            Appeal.objects.select_for_update(of=("self",))
            .select_related("pause")
            .filter(pk=appeal_id, pause__project=project)
            .first()
        )
        if found is None:
            raise AppealNotFound()
        if found.state != AppealState.PENDING:
            raise AppealDecided()
        found.state = AppealState.ACCEPTED if accept else AppealState.REJECTED
        found.decided_by, found.decided_at, found.note = actor, now, note.strip()[:5000]
        found.save()
        if accept:
            pause = found.pause
            pause.state, pause.lifted_at = PauseState.LIFTED, now
            pause.save(update_fields=["state", "lifted_at"])
    return found


# --- audits ----------------------------------------------------------------------------------------------


def sample_audits(*, project: Project, rng: random.Random | None = None) -> int:
    """Puts a share (``audit_rate``) of the project's new decisions in the audit queue; returns how many.

    Each decision is considered once: the sweep looks at decisions after the newest one already considered
    (kept as the watermark of the last sampled review id per project in ``Audit``; unsampled ones are
    simply passed over, which is what sampling means).
    """
    rng = rng or random.Random()
    quality = settings_of(project)
    last = _audit_watermark.get(project.pk)
    if last is None:
        last = Audit.objects.filter(project=project).aggregate(m=Max("review_id"))["m"] or 0
    decided = list(
        Review.objects.filter(project=project, state=ReviewState.DECIDED, pk__gt=last)
        .order_by("pk")
        .values_list("pk", "reviewer_id")[:5000]
    )
    if not decided:
        return 0
    chosen = [
        Audit(review_id=pk, project=project, reviewer_id=reviewer, created_at=timezone.now())
        for pk, reviewer in decided
        if rng.random() < quality.audit_rate
    ]
    Audit.objects.bulk_create(chosen, ignore_conflicts=True)
    _audit_watermark[project.pk] = decided[-1][0]
    return len(chosen)


#: project → the last review id sampled in this process (the database keeps the last audited one)
_audit_watermark: dict[int, int] = {}


def next_audit(*, auditor: User, project: Project) -> Audit | None:
    """The oldest pending audit of someone else's decision (a senior never audits themselves)."""
    return (
        Audit.objects.filter(project=project, state=AuditState.PENDING)
        .exclude(reviewer=auditor)
        .exclude(review__submission__worker=auditor)
        .select_related("review__submission")
        .order_by("id")
        .first()
    )


def decide_audit(*, auditor: User, audit_id: int, agrees: bool, note: str = "", project: Project) -> Audit:
    with transaction.atomic():
        audit = (
            Audit.objects.select_for_update()
            .filter(pk=audit_id, project=project)
            .exclude(reviewer=auditor)
            .first()
        )
        if audit is None:
            raise AuditNotFound()
        if audit.state != AuditState.PENDING:
            raise AuditDecided()
        audit.state, audit.agrees, audit.auditor = AuditState.DONE, agrees, auditor
        audit.note, audit.decided_at = note.strip()[:5000], timezone.now()
        audit.save()
    return audit


# --- aggregation and adjudication (overlap > 1) ----------------------------------------------------------


def _store_aggregates(
    *, project: Project, results: dict[int, Aggregate], method: str, threshold: float
) -> int:
    """Writes (or rewrites) the items' aggregated answers; adjudicated ones are never touched."""
    now = timezone.now()
    with transaction.atomic():
        existing = {
            a.item_id: a
            for a in AggregatedAnswer.objects.select_for_update().filter(item_id__in=list(results))
        }
        fresh: list[AggregatedAnswer] = []
        changed: list[AggregatedAnswer] = []
        for item_id, result in results.items():
            found = existing.get(item_id)
            if found is not None and found.state == AdjudicationState.DONE:
                continue
            state = AdjudicationState.PENDING if result.confidence < threshold else AdjudicationState.NONE
            row = found or AggregatedAnswer(item_id=item_id, project=project)
            row.method, row.answer, row.detail = method, result.value, result.detail
            row.confidence, row.computed_at, row.state = round(float(result.confidence), 4), now, state
            if state == AdjudicationState.NONE:
                row.adjudicator, row.lease_expires_at = None, None
            (changed if found is not None else fresh).append(row)
        # the item job and the project job may both create an item's first row: either result will do
        AggregatedAnswer.objects.bulk_create(fresh, batch_size=500, ignore_conflicts=True)
        AggregatedAnswer.objects.bulk_update(
            changed,
            [
                "method",
                "answer",
                "detail",
                "confidence",
                "computed_at",
                "state",
                "adjudicator",
                "lease_expires_at",
            ],
            batch_size=500,
        )
    return len(fresh) + len(changed)


def aggregate_item(*, item_id: int) -> AggregatedAnswer | None:
    """The quick result when an item is done: a skill-weighted vote per output (None below overlap 2)."""
    item = Item.objects.select_related("project").filter(pk=item_id).first()
    if item is None:
        return None
    votes = approved_votes(item_ids=[item_id]).get(item_id)
    if not votes:
        return None
    skills = worker_skills(project_id=item.project_id, worker_ids=[v.worker_id for v in votes])
    for vote in votes:
        vote.skill = skills[vote.worker_id]
    result = aggregate_answer(spec_of(item.project), votes)
    quality = settings_of(item.project)
    _store_aggregates(
        project=item.project,
        results={item_id: result},
        method=AggregationMethod.MAJORITY,
        threshold=quality.adjudication_threshold,
    )
    return AggregatedAnswer.objects.filter(item_id=item_id).first()


#: items aggregated per round trip by ``aggregate_project``
AGGREGATION_CHUNK = 2000


def aggregate_project(*, project: Project, method: str = AggregationMethod.DAWID_SKENE) -> dict[str, int]:
    """Recomputes every done item with two or more approved answers: class outputs by Dawid-Skene (or
    Wawa) over the whole project, the other outputs per item weighted by skill."""
    from dure.work.models import ItemState

    spec = spec_of(project)
    quality = settings_of(project)
    item_ids = list(
        Item.objects.filter(project=project, state=ItemState.DONE, approved_count__gte=2)
        .order_by("id")
        .values_list("id", flat=True)
    )
    votes = approved_votes(item_ids=item_ids)
    skills = worker_skills(
        project_id=project.pk, worker_ids=[v.worker_id for group in votes.values() for v in group]
    )
    for group in votes.values():
        for vote in group:
            vote.skill = skills[vote.worker_id]
    classes = project_class_results(spec, votes, method=method)
    results = {
        item_id: aggregate_answer(spec, group, classes=classes[item_id]) for item_id, group in votes.items()
    }
    stored = 0
    ids = list(results)
    for start in range(0, len(ids), AGGREGATION_CHUNK):
        chunk = {i: results[i] for i in ids[start : start + AGGREGATION_CHUNK]}
        stored += _store_aggregates(
            project=project, results=chunk, method=method, threshold=quality.adjudication_threshold
        )
    pending = AggregatedAnswer.objects.filter(project=project, state=AdjudicationState.PENDING).count()
    return {"items": len(results), "stored": stored, "pending_adjudication": pending}


def _aggregation_stale(project: Project) -> bool:
    """An item finished after the last project-wide aggregation (the per-item job may have been lost)."""
    from dure.work.models import ItemState

    newest_done = Item.objects.filter(project=project, state=ItemState.DONE).aggregate(m=Max("done_at"))["m"]
    if newest_done is None:
        return False
    last = AggregatedAnswer.objects.filter(project=project, method=AggregationMethod.DAWID_SKENE).aggregate(
        m=Max("computed_at")
    )["m"]
    return last is None or newest_done > last


def may_adjudicate(*, user: User, project: Project, can_manage: bool, can_review: bool) -> bool:
    """The people who audit reviewers adjudicate too: managers, and reviewers certified as senior."""
    from dure.academy.models import UserCertification

    return can_manage or (
        can_review
        and UserCertification.objects.filter(user=user, certification__slug=SENIOR_CERTIFICATION).exists()
    )


def _adjudicable(*, adjudicator: User, project: Project) -> Any:
    # A senior never settles an item they answered themselves.
    answered = Submission.objects.filter(item_id=OuterRef("item_id"), worker=adjudicator)
    return AggregatedAnswer.objects.filter(project=project, state=AdjudicationState.PENDING).exclude(
        Exists(answered)
    )


def held_adjudication(*, adjudicator: User, project: Project) -> AggregatedAnswer | None:
    """The item the adjudicator holds now, if any (a page reload shows it again)."""
    return (
        _adjudicable(adjudicator=adjudicator, project=project)
        .filter(adjudicator=adjudicator, lease_expires_at__gt=timezone.now())
        .order_by("id")
        .first()
    )


def lease_next_adjudication(*, adjudicator: User, project: Project) -> AggregatedAnswer | None:
    """The adjudicator's current item, else the oldest pending one nobody holds (or whose hold expired)."""
    now = timezone.now()
    held = held_adjudication(adjudicator=adjudicator, project=project)
    if held is not None:
        return held
    for _attempt in range(5):
        candidate = (
            _adjudicable(adjudicator=adjudicator, project=project)
            .filter(Q(adjudicator__isnull=True) | Q(lease_expires_at__lte=now))
            .order_by("id")
            .values_list("pk", flat=True)
            .first()
        )
        if candidate is None:
            return None
        # conditional update: when two seniors race for one item, one of them takes it
        taken = (
            AggregatedAnswer.objects.filter(pk=candidate, state=AdjudicationState.PENDING)
            .filter(Q(adjudicator__isnull=True) | Q(lease_expires_at__lte=now))
            .update(adjudicator=adjudicator, lease_expires_at=now + timedelta(seconds=project.lease_seconds))
        )
        if taken:
            return AggregatedAnswer.objects.get(pk=candidate)
    return None


def adjudicate(
    *, adjudicator: User, project: Project, item_id: int, answer: Any, note: str = ""
) -> AggregatedAnswer:
    """The senior's final answer for an item they hold: validated against the interface, then final."""
    with transaction.atomic():
        found = (
            AggregatedAnswer.objects.select_for_update(of=("self",))
            .select_related("item")
            .filter(project=project, item_id=item_id)
            .first()
        )
        if found is None or Submission.objects.filter(item_id=item_id, worker=adjudicator).exists():
            raise AdjudicationNotFound()
        if found.state != AdjudicationState.PENDING:
            raise AdjudicationClosed()
        if found.adjudicator_id != adjudicator.pk or (
            found.lease_expires_at is not None and found.lease_expires_at <= timezone.now()
        ):
            raise AdjudicationNotHeld()
        problems = answer_errors(spec_of(project), answer, found.item.data)
        if problems:
            raise InvalidAdjudication(errors=problems)
        found.adjudicated_answer, found.adjudicated_at = answer, timezone.now()
        found.state, found.note, found.lease_expires_at = AdjudicationState.DONE, note.strip()[:5000], None
        found.save(
            update_fields=["adjudicated_answer", "adjudicated_at", "state", "note", "lease_expires_at"]
        )
    return found


def release_adjudication(*, adjudicator: User, project: Project, item_id: int) -> None:
    AggregatedAnswer.objects.filter(
        project=project, item_id=item_id, adjudicator=adjudicator, state=AdjudicationState.PENDING
    ).update(adjudicator=None, lease_expires_at=None)


# --- the platform's reviewers ----------------------------------------------------------------------------


@dataclass
class ReviewerChanges:
    wait_seconds: float
    target_seconds: int
    granted: list[int] = field(default_factory=list)
    revoked: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        wait = None if self.wait_seconds == float("inf") else round(self.wait_seconds, 1)
        return {
            "expected_wait_seconds": wait,
            "target_seconds": self.target_seconds,
            "granted": self.granted,
            "revoked": self.revoked,
        }


def eligible_reviewers(*, project: Project, quality: QualitySettings | None = None) -> list[dict[str, Any]]:
    """Workers of the project who may be made reviewers, best first: certified when the project asks for
    it, enough approved work, high first-pass approval, gold accuracy at the threshold, not paused."""
    from dure.academy.models import UserCertification

    quality = quality or settings_of(project)
    candidates = list(
        ProjectMember.objects.filter(project=project, role=ProjectRole.WORKER).values_list(
            "user_id", flat=True
        )
    )
    if quality.reviewer_certification_id is not None:
        certified = set(
            UserCertification.objects.filter(
                user_id__in=candidates, certification_id=quality.reviewer_certification_id
            ).values_list("user_id", flat=True)
        )
        candidates = [c for c in candidates if c in certified]
    paused = set(
        Pause.objects.filter(project=project, state=PauseState.ACTIVE).values_list("worker_id", flat=True)
    )
    # Someone the platform demoted here is not promoted again by the same rule.
    demoted = set(
        ReviewerGrant.objects.filter(project=project, revoked_at__isnull=False).values_list(
            "user_id", flat=True
        )
    )
    rows = []
    for user_id in candidates:
        if user_id in paused or user_id in demoted:
            continue
        scores = worker_scores(user=user_id, project=project)
        if scores["approved"] < quality.reviewer_min_approved:
            continue
        if (scores["first_pass_approval"] or 0) < quality.reviewer_min_approval_rate:
            continue
        if scores["gold_accuracy"] is not None and scores["gold_accuracy"] < quality.gold_threshold:
            continue
        rows.append({"user_id": user_id, **scores})
    rows.sort(key=lambda r: (-(r["first_pass_approval"] or 0), -(r["gold_accuracy"] or 0), -r["approved"]))
    return rows


def maintain_reviewers(*, project: Project) -> ReviewerChanges:
    """Grants the reviewer role to the best workers while the review wait exceeds its target, and takes it
    back from platform-made reviewers whose audit agreement fell below the threshold."""
    quality = settings_of(project)
    wait = review_queue_wait(project=project)
    changes = ReviewerChanges(
        wait_seconds=wait["expected_wait_seconds"], target_seconds=quality.review_wait_target_seconds
    )
    now = timezone.now()
    for grant in ReviewerGrant.objects.filter(project=project, revoked_at__isnull=True):
        scores = worker_scores(user=grant.user_id, project=project)
        if (
            scores["audits"] >= quality.audit_min_count
            and (scores["audit_agreement"] or 0) < quality.audit_agreement_threshold
        ):
            with transaction.atomic():
                member = ProjectMember.objects.filter(project=project, user_id=grant.user_id).first()
                if member is not None and member.role == ProjectRole.REVIEWER:
                    set_project_member(project=project, user=member.user, role=ProjectRole.WORKER)
                grant.revoked_at = now
                grant.revoke_reason = {
                    "audit_agreement": scores["audit_agreement"],
                    "audits": scores["audits"],
                    "threshold": quality.audit_agreement_threshold,
                }
                grant.save(update_fields=["revoked_at", "revoke_reason"])
            changes.revoked.append(grant.user_id)
    if wait["expected_wait_seconds"] > quality.review_wait_target_seconds:
        for row in eligible_reviewers(project=project, quality=quality)[: quality.reviewers_per_grant]:
            with transaction.atomic():
                user = User.objects.get(pk=row["user_id"])
                set_project_member(project=project, user=user, role=ProjectRole.REVIEWER)
                ReviewerGrant.objects.create(
                    project=project,
                    user=user,
                    granted_at=now,
                    reason={
                        "expected_wait_seconds": None
                        if wait["expected_wait_seconds"] == float("inf")
                        else round(wait["expected_wait_seconds"]),
                        "first_pass_approval": row["first_pass_approval"],
                        "gold_accuracy": row["gold_accuracy"],
                        "approved": row["approved"],
                    },
                )
            changes.granted.append(row["user_id"])
    return changes


def update_settings(*, project: Project, changes: dict[str, Any]) -> QualitySettings:
    quality, _created = QualitySettings.objects.get_or_create(project=project)
    for name, value in changes.items():
        setattr(quality, name, value)
    quality.save()
    return quality


def run_quality_sweep() -> dict[str, int]:
    """The periodic job: audit sampling and reviewer capacity for every open project."""
    from dure.projects.models import ProjectStatus

    totals = {"audits": 0, "granted": 0, "revoked": 0, "aggregated": 0}
    for project in Project.objects.filter(status=ProjectStatus.OPEN):
        totals["audits"] += sample_audits(project=project)
        if project.overlap > 1 and _aggregation_stale(project):
            totals["aggregated"] += aggregate_project(project=project)["stored"]
        changes = maintain_reviewers(project=project)
        totals["granted"] += len(changes.granted)
        totals["revoked"] += len(changes.revoked)
    return totals

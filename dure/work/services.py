"""The full-inspection loop: dispatch, heartbeats, submit, release, review, decide, lease expiry.

Each public function is one short transaction. Dispatch never hands a slot to two people:
on PostgreSQL the candidate row is taken with ``SELECT … FOR UPDATE SKIP LOCKED``; on SQLite every
transaction begins IMMEDIATE (see settings), which serialises writers. On both, the state change is a
conditional ``UPDATE … WHERE state = …`` whose row count is checked, and a partial unique index forbids
one worker from holding two slots of one item.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef
from django.db.models.signals import post_save
from django.utils import timezone
from django.utils.translation import gettext as _

from dure.accounts.models import User
from dure.assist.services import assess_submission
from dure.core.errors import Conflict, InvalidInput
from dure.core.fastsql import (
    Write,
    db_value,
    fetch,
    fetch_one,
    insert_computed,
    insert_row,
    insert_statement,
    update_rows,
    update_statement,
    write_together,
)
from dure.payments.errors import BudgetExhausted
from dure.payments.selectors import can_afford_next
from dure.payments.services import record_decision_pay
from dure.projects.errors import ProjectNotOpen
from dure.projects.models import Project, ProjectStatus
from dure.projects.selectors import spec_of
from dure.projects.spec import InterfaceSpec, item_data_errors
from dure.quality.checks import check_answer, problems_as_errors, uploaded_digests
from dure.quality.errors import AnswerChecksFailed
from dure.quality.models import Audit, AuditState
from dure.quality.selectors import dispatch_profile
from dure.quality.services import record_gold_result
from dure.work.errors import (
    AssignmentClosed,
    AssignmentNotFound,
    InvalidItems,
    LeaseExpired,
    ReasonRequired,
    ReviewClosed,
    ReviewNotFound,
)
from dure.work.item_writer import item_json, write_items
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
    SubmittedFile,
)

#: the current lease plus one preloaded next item
MAX_ACTIVE_LEASES = 2
_DISPATCH_ATTEMPTS = 5


def _conf(name: str) -> Any:
    return settings.DURE[name]


# --- items -----------------------------------------------------------------------------------------------


def content_hash(data: Any) -> str:
    return hashlib.sha256(
        json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    ).hexdigest()


@dataclass(frozen=True)
class ItemsAdded:
    created: int
    skipped: int


def add_items(*, project: Project, records: Iterable[Any]) -> ItemsAdded:
    """Adds items whole or not at all. Records already present are skipped: the same external id, or for a
    record without one, the same content as an item without one (the import job's identity).

    A record is ``{"data": {...}, "external_id": "..."}`` or, shorter, the data object itself.
    """
    spec = spec_of(project)
    errors: list[dict[str, Any]] = []
    # keyed by external id when given, else by content: the identity used to skip re-imports
    parsed: dict[tuple[str, str], tuple[str | None, str, dict[str, Any]]] = {}
    skipped = 0
    for number, record in enumerate(records, start=1):
        if isinstance(record, dict) and isinstance(record.get("data"), dict):
            data, external_id = record["data"], record.get("external_id")
        else:
            data, external_id = record, None
        if external_id is not None and not (isinstance(external_id, str | int) and str(external_id).strip()):
            errors.append(
                {"record": number, "path": "external_id", "error": "external_id must be a non-empty string"}
            )
            continue
        external_id = str(external_id)[:200] if external_id is not None else None
        problems = item_data_errors(spec, data)
        if problems:
            errors.extend({"record": number, **p} for p in problems[: 100 - len(errors)])
            if len(errors) >= 100:
                break
            continue
        digest = content_hash(data)
        key = ("id", external_id) if external_id is not None else ("hash", digest)
        if key in parsed:
            skipped += 1
            continue
        parsed[key] = (external_id, digest, data)
    if errors:
        raise InvalidItems(errors=errors[:100])

    # The import job's writer: plain rows, the items' unique constraints skipping what the project has.
    created, written = write_items(
        project=project, entries=((e, h, item_json(data)) for e, h, data in parsed.values())
    )
    skipped += written - created
    return ItemsAdded(created=created, skipped=skipped)


# --- dispatch --------------------------------------------------------------------------------------------


def _ensure_open(project: Project) -> None:
    if project.status != ProjectStatus.OPEN:
        raise ProjectNotOpen(status=project.status)


_last_sweep: dict[int, float] = {}


def _maybe_sweep(project_id: int, *, force: bool = False) -> int:
    """Reopen expired leases now and then while dispatching, so no scheduler is needed to keep work moving."""
    now = time.monotonic()
    if not force and now - _last_sweep.get(project_id, 0.0) < _conf("LEASE_SWEEP_INTERVAL_SECONDS"):
        return 0
    _last_sweep[project_id] = now
    return reclaim_expired(project_id=project_id)


def lease_next_item(*, worker: User, project: Project) -> Assignment | None:
    """Lease one slot for ``worker``: their own rework first, then the oldest open slot they may take."""
    _ensure_open(project)
    _maybe_sweep(project.pk)
    for attempt in range(_DISPATCH_ATTEMPTS):
        try:
            assignment = _lease_once(worker=worker, project=project)
        except IntegrityError:
            # The same worker raced themselves for two slots of one item; the index refused the second.
            continue
        if assignment is not None or attempt > 0:
            return assignment
        # Nothing open: maybe leases ran out since the last sweep. Sweep once, then look again.
        if not _maybe_sweep(project.pk, force=True):
            return None
    return None


def _lease_once(*, worker: User, project: Project) -> Assignment | None:
    now = timezone.now()
    with transaction.atomic():
        active = fetch(
            Assignment,
            "m.worker_id = %s AND m.project_id = %s AND m.state = 'active' AND m.expires_at > %s",
            [worker.pk, project.pk, db_value(Assignment, "expires_at", now)],
            order_by="m.started_at",
            limit=MAX_ACTIVE_LEASES,
        )
        if len(active) >= MAX_ACTIVE_LEASES:
            # Reloading the page or asking twice resumes the current work instead of hoarding slots.
            return active[0]
        # The item comes along in the same query (the payload needs it); only the slot row is locked.
        slot = fetch_one(
            Slot,
            "m.project_id = %s AND m.worker_id = %s AND m.state = 'rejected'",
            [project.pk, worker.pk],
            related=("item",),
            order_by="m.id",
            lock="skip",
        )
        rework = slot is not None
        if slot is None:
            # Certifications, qualification test, pauses (one cached lookup); gold mixed in at the project's rate.
            eligible = dispatch_profile(worker=worker, project=project)
            slot = eligible.gold_slot(worker=worker, project=project) or fetch_one(
                Slot,
                "m.project_id = %s AND m.state = 'open' AND NOT EXISTS (SELECT 1 FROM work_assignment a "
                "WHERE a.item_id = m.item_id AND a.worker_id = %s)",
                [project.pk, worker.pk],
                related=("item",),
                order_by="m.id",
                lock="skip",
            )
        if slot is None:
            return None
        if not rework and not can_afford_next(project=project):
            raise BudgetExhausted()
        expires_at = now + timedelta(seconds=project.lease_seconds)
        values = {
            "slot_id": slot.pk,
            "item_id": slot.item_id,
            "project_id": project.pk,
            "worker_id": worker.pk,
            "state": AssignmentState.ACTIVE,
            "rework_round": slot.rework_round if rework else 0,
            "started_at": now,
            "expires_at": expires_at,
            "last_heartbeat_at": now,
            "active_seconds": 0.0,
            "ended_at": None,
        }
        assignment = _loaded(Assignment(id=insert_row(Assignment, values), **values))
        expected = SlotState.REJECTED if rework else SlotState.OPEN
        updated, _logged = write_together(
            update_statement(
                Slot,
                {"state": SlotState.LEASED, "worker_id": worker.pk, "assignment_id": assignment.pk,
                 "expires_at": expires_at, "updated_at": now},
                id=slot.pk, state=expected,
            ),
            _event(slot, worker, "leased", now, assignment=assignment.pk, rework_round=assignment.rework_round),
        )  # fmt: skip
        if updated != 1:
            raise Conflict()  # unreachable under the locks above; refuse rather than hand out twice
        assignment.slot = slot
        assignment.item = slot.item
    return assignment


def _item_approval(*, item_id: int, overlap: int, now: datetime) -> Write:
    """One approved slot more on the item, in one row-level increment (no key lock, so it never waits on
    dispatch's foreign-key checks); the item is done when its last slot is approved."""
    return Write(
        "UPDATE work_item SET approved_count = approved_count + 1, "
        "state = CASE WHEN approved_count >= %s AND state = 'open' THEN 'done' ELSE state END, "
        "done_at = CASE WHEN approved_count >= %s AND state = 'open' THEN %s ELSE done_at END "
        "WHERE id = %s",
        [overlap - 1, overlap - 1, db_value(Item, "done_at", now), item_id],
    )


def _item_done(item_id: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT state FROM work_item WHERE id = %s", [item_id])
        row = cursor.fetchone()
    return row is not None and row[0] == ItemState.DONE


def _loaded(instance: Any) -> Any:
    """A model instance built from a row this code just wrote: the ORM treats it as loaded from the database."""
    instance._state.adding = False
    instance._state.db = "default"
    return instance


def _record_event(slot: Slot, actor: User | None, kind: str, at: datetime, **data: Any) -> None:
    write_together(_event(slot, actor, kind, at, **data))


def _event(slot: Slot, actor: User | None, kind: str, at: datetime, **data: Any) -> Write:
    """The INSERT of one history event, to run with the writes it records (``write_together``)."""
    values = _event_fields(slot, actor, kind, at, **data)
    values["actor_id"] = actor.pk if actor is not None else None
    del values["actor"]
    return insert_statement(Event, values)


def _event_fields(slot: Slot, actor: User | None, kind: str, at: datetime, **data: Any) -> dict[str, Any]:
    return {
        "project_id": slot.project_id,
        "item_id": slot.item_id,
        "slot_id": slot.pk,
        "actor": actor,
        "kind": kind,
        "data": data,
        "created_at": at,
    }


#: a project's long columns, which submit and decide do not read (the spec is parsed once per version, see
#: ``spec_of``): left out of their queries
_PROJECT_TEXTS = ("description", "guideline", "spec")


def _own_assignment(worker: User, assignment_id: int) -> Assignment:
    # Locks only the assignment; locking the project row would serialise every submit.
    assignment = fetch_one(
        Assignment,
        "m.id = %s AND m.worker_id = %s",
        [assignment_id, worker.pk],
        related=("project", "item"),
        lock="update",
        defer={"project": _PROJECT_TEXTS},
    )
    if assignment is None:
        raise AssignmentNotFound()
    return assignment


def _check_live(assignment: Assignment, now: datetime) -> None:
    if assignment.state == AssignmentState.EXPIRED or (
        assignment.state == AssignmentState.ACTIVE and assignment.expires_at <= now
    ):
        raise LeaseExpired(expired_at=assignment.expires_at.isoformat())
    if assignment.state != AssignmentState.ACTIVE:
        raise AssignmentClosed(state=assignment.state)


def _counted_seconds(*, last: datetime, now: datetime, so_far: float, cap: int) -> float:
    gap = max(0.0, (now - last).total_seconds())
    return min(so_far + min(gap, _conf("HEARTBEAT_MAX_GAP_SECONDS")), float(cap))


def _check_uploads_belong(spec: InterfaceSpec, answer: dict[str, Any], assignment: Assignment) -> None:
    """Uploaded files in an answer must be this worker's uploads for this slot (any round of it): a path
    copied from someone else's answer is refused, so nobody is paid for another person's recording."""
    references = [
        (f"{output.name}[{index}].path", entry["path"])
        for output in spec.outputs
        if output.type == "file_upload"
        for index, entry in enumerate(answer.get(output.name) or [])
        if isinstance(entry, dict) and isinstance(entry.get("path"), str)
    ]
    if not references:
        return
    own = {
        str(pk)
        for pk in Assignment.objects.filter(
            slot_id=assignment.slot_id, worker_id=assignment.worker_id
        ).values_list("id", flat=True)
    }
    errors = []
    for where, path in references:
        parts = path.split("/")
        if not (
            len(parts) >= 4
            and parts[0] == "uploads"
            and parts[1] == str(assignment.project_id)
            and parts[2] in own
        ):
            errors.append({"path": where, "error": str(_("This file was not uploaded for this item."))})
    if errors:
        raise InvalidInput(_("The answer does not match the project's interface."), errors=errors)


def heartbeat(*, worker: User, assignment_id: int, active: bool = True) -> Assignment:
    """Extends the lease; when the person is acting in a visible tab, adds the time since the last beat."""
    now = timezone.now()
    with transaction.atomic():
        assignment = _own_assignment(worker, assignment_id)
        _check_live(assignment, now)
        if active:
            assignment.active_seconds = _counted_seconds(
                last=assignment.last_heartbeat_at,
                now=now,
                so_far=assignment.active_seconds,
                cap=assignment.project.max_active_seconds,
            )
        assignment.last_heartbeat_at = now
        assignment.expires_at = now + timedelta(seconds=assignment.project.lease_seconds)
        # Every open workspace beats every few seconds: written without the query compiler.
        update_rows(
            Assignment,
            {"active_seconds": assignment.active_seconds, "last_heartbeat_at": now,
             "expires_at": assignment.expires_at},
            id=assignment.pk,
        )  # fmt: skip
        update_rows(
            Slot, {"expires_at": assignment.expires_at}, id=assignment.slot_id, assignment_id=assignment.pk
        )
    return assignment


def submit(*, worker: User, assignment_id: int, answer: Any) -> Submission:
    now = timezone.now()
    with transaction.atomic():
        assignment = _own_assignment(worker, assignment_id)
        _check_live(assignment, now)
        spec = spec_of(assignment.project)
        # The automatic checks run before anything is written: a refused answer leaves no trace, the lease
        # stays live and the worker fixes the marked fields at once.
        problems = check_answer(spec=spec, answer=answer, item=assignment.item, slot_id=assignment.slot_id)
        if problems:
            raise AnswerChecksFailed(
                errors=problems_as_errors(problems), problems=[p.as_dict() for p in problems[:100]]
            )
        _check_uploads_belong(spec, answer, assignment)
        assignment.active_seconds = _counted_seconds(
            last=assignment.last_heartbeat_at,
            now=now,
            so_far=assignment.active_seconds,
            cap=assignment.project.max_active_seconds,
        )
        values = {
            "slot_id": assignment.slot_id,
            "item_id": assignment.item_id,
            "project_id": assignment.project_id,
            "assignment_id": assignment.pk,
            "worker_id": worker.pk,
            "answer": answer,
            "active_seconds": assignment.active_seconds,
            "state": SubmissionState.PENDING,
            "created_at": now,
            "checks_passed": True,
        }
        # The version is counted in the INSERT itself: the slot's answers so far, plus one.
        submission_id, version = insert_computed(
            Submission,
            values,
            (("version", "(SELECT COUNT(*) + 1 FROM work_submission WHERE slot_id = %s)"),),
            [assignment.slot_id],
            returning=("id", "version"),
        )
        submission = _loaded(Submission(id=submission_id, version=version, **values))
        files = uploaded_digests(spec, answer)
        if files:
            SubmittedFile.objects.bulk_create(
                SubmittedFile(project_id=assignment.project_id, item_id=assignment.item_id,
                              slot_id=assignment.slot_id, submission_id=submission.pk, worker_id=worker.pk,
                              sha256=digest, created_at=now)
                for digest in dict.fromkeys(digest for _where, digest in files)
            )  # fmt: skip
        priority = assess_submission(
            submission=submission, spec=spec, item=assignment.item, rework=assignment.rework_round > 0
        )
        assignment.state = AssignmentState.SUBMITTED
        assignment.ended_at = now
        assignment.last_heartbeat_at = now
        updated, _ended, _logged = write_together(
            update_statement(
                Slot,
                {"state": SlotState.SUBMITTED, "submission_id": submission.pk, "queued_at": now,
                 "expires_at": None, "updated_at": now, "review_priority": priority},
                id=assignment.slot_id, assignment_id=assignment.pk, state=SlotState.LEASED,
            ),
            update_statement(
                Assignment,
                {"state": AssignmentState.SUBMITTED, "ended_at": now, "last_heartbeat_at": now,
                 "active_seconds": assignment.active_seconds},
                id=assignment.pk,
            ),
            _event(
                Slot(id=assignment.slot_id, project_id=assignment.project_id, item_id=assignment.item_id),
                worker, "submitted", now,
                submission=submission.pk, version=version, active_seconds=round(assignment.active_seconds, 1),
            ),
        )  # fmt: skip
        if updated != 1:
            raise LeaseExpired()  # the transaction rolls the other writes back
        record_gold_result(submission=submission, project=assignment.project)
    return submission


def release(*, worker: User, assignment_id: int) -> Assignment:
    """The worker gives the slot back (skips the item). A released rework reopens the slot for others."""
    now = timezone.now()
    with transaction.atomic():
        assignment = _own_assignment(worker, assignment_id)
        _check_live(assignment, now)
        Slot.objects.filter(pk=assignment.slot_id, assignment=assignment, state=SlotState.LEASED).update(
            state=SlotState.OPEN, worker=None, assignment=None, expires_at=None, rework_round=0
        )
        assignment.state = AssignmentState.RELEASED
        assignment.ended_at = now
        assignment.save(update_fields=["state", "ended_at"])
        Event.objects.create(
            project_id=assignment.project_id,
            item_id=assignment.item_id,
            slot_id=assignment.slot_id,
            actor=worker,
            kind="released",
            data={"assignment": assignment.pk},
            created_at=now,
        )
    return assignment


# --- review ----------------------------------------------------------------------------------------------


def lease_next_review(*, reviewer: User, project: Project) -> Review | None:
    """Lease the oldest submitted slot the reviewer may inspect (never their own work)."""
    _ensure_open(project)
    _maybe_sweep(project.pk)
    now = timezone.now()
    if not _anything_to_review(reviewer, project, now):
        return None
    with transaction.atomic():
        current = fetch(
            Review,
            "m.reviewer_id = %s AND m.project_id = %s AND m.state = 'active' AND m.expires_at > %s",
            [reviewer.pk, project.pk, db_value(Review, "expires_at", now)],
            order_by="m.started_at",
            limit=MAX_ACTIVE_LEASES,
        )
        if len(current) >= MAX_ACTIVE_LEASES:
            # Like workers, a reviewer holds the submission on screen and one preloaded; asking again resumes.
            return current[0]
        # 2nd reviews first: the slot is final (and its worker paid) only once they are done.
        slot, stage = (_second_review_slot(reviewer, project), 2) if project.has_second_review else (None, 1)
        if slot is None:
            stage = 1
            # The submission and its item come along for the payload; only the slot row is locked. Flagged
            # submissions first: the partial index slot_review_queue_flagged has this order.
            slot = fetch_one(
                Slot,
                "m.project_id = %s AND m.state = 'submitted' AND (m.worker_id IS NULL OR m.worker_id <> %s)",
                [project.pk, reviewer.pk],
                related=("submission", "submission__item"),
                order_by="m.review_priority DESC, m.queued_at ASC, m.id ASC",
                lock="skip",
            )
        if slot is None:
            return None
        expires_at = now + timedelta(seconds=_conf("REVIEW_LEASE_SECONDS"))
        values: dict[str, Any] = {
            "submission_id": slot.submission_id,
            "slot_id": slot.pk,
            "project_id": project.pk,
            "reviewer_id": reviewer.pk,
            "stage": stage,
            "state": ReviewState.ACTIVE,
            "decision": "",
            "reasons": [],
            "comment": "",
            "region_comments": [],
            "started_at": now,
            "expires_at": expires_at,
            "last_heartbeat_at": now,
            "active_seconds": 0.0,
            "decided_at": None,
        }
        review = _loaded(Review(id=insert_row(Review, values), **values))
        updated, _logged = write_together(
            update_statement(
                Slot,
                {
                    "state": SlotState.IN_REVIEW if stage == 1 else SlotState.IN_SECOND_REVIEW,
                    "review_id": review.pk,
                    "expires_at": expires_at,
                    "updated_at": now,
                },
                id=slot.pk,
                state=SlotState.SUBMITTED if stage == 1 else SlotState.SECOND_REVIEW,
            ),
            _event(slot, reviewer, "review_started", now, review=review.pk)
            if stage == 1
            else _event(slot, reviewer, "review_started", now, review=review.pk, stage=2),
        )
        if updated != 1:
            raise Conflict()
        review.submission = slot.submission  # set whenever the state is submitted
    return review


def _anything_to_review(reviewer: User, project: Project, now: datetime) -> bool:
    """Whether a review lease could find anything: a read, outside any transaction. Reviewers who find the
    queue empty ask again and again; on SQLite every lease attempt takes the database's one write lock, so an
    empty answer must not. A submission that arrives just after this look is found on the next ask."""
    waiting = ["EXISTS (SELECT 1 FROM work_slot WHERE project_id = %s AND state = 'submitted' "
               "AND (worker_id IS NULL OR worker_id <> %s))"]  # fmt: skip
    params: list[Any] = [project.pk, reviewer.pk]
    if project.has_second_review:
        waiting.append(
            "EXISTS (SELECT 1 FROM work_slot WHERE project_id = %s AND state = 'review_2' "
            "AND (worker_id IS NULL OR worker_id <> %s))"
        )
        params += [project.pk, reviewer.pk]
    # their own live reviews are resumed
    waiting.append(
        "EXISTS (SELECT 1 FROM work_review WHERE reviewer_id = %s AND project_id = %s AND state = 'active' "
        "AND expires_at > %s)"
    )
    params += [reviewer.pk, project.pk, db_value(Review, "expires_at", now)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + " OR ".join(waiting), params)
        return bool(cursor.fetchone()[0])


def _second_review_slot(reviewer: User, project: Project) -> Slot | None:
    """The oldest slot waiting for its 2nd review that this reviewer neither answered nor reviewed before."""
    reviewed = Review.objects.filter(submission_id=OuterRef("submission_id"), reviewer=reviewer)
    return (
        Slot.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("submission__item")
        .filter(project=project, state=SlotState.SECOND_REVIEW)
        .exclude(worker=reviewer)
        .filter(~Exists(reviewed))
        .order_by("queued_at", "id")
        .first()
    )


def _needs_second_review(project: Project, review: Review) -> bool:
    """Whether a 1st-stage approval waits for a 2nd review: a sampled share of approvals, and every approval
    of a reviewer still new on the project. The sample is a hash of the submission, so it is uniform,
    independent of who reviews, and the same answer whichever process decides."""
    if not project.has_second_review:
        return False
    if project.second_review_rate > 0:
        digest = hashlib.sha256(f"second-review:{project.pk}:{review.submission_id}".encode()).digest()
        if int.from_bytes(digest[:8], "big") / 2**64 < project.second_review_rate:
            return True
    limit = project.second_review_new_reviewer_decisions
    if limit > 0:
        decided = Review.objects.filter(
            reviewer_id=review.reviewer_id, project_id=project.pk, state=ReviewState.DECIDED
        ).exclude(pk=review.pk)
        return decided[:limit].count() < limit
    return False


def _own_review(reviewer: User, review_id: int) -> Review:
    review = fetch_one(
        Review,
        "m.id = %s AND m.reviewer_id = %s",
        [review_id, reviewer.pk],
        related=("project", "submission"),
        lock="update",
        defer={"project": _PROJECT_TEXTS},
    )
    if review is None:
        raise ReviewNotFound()
    return review


def _check_review_live(review: Review, now: datetime) -> None:
    if review.state != ReviewState.ACTIVE or review.expires_at <= now:
        raise ReviewClosed(state=review.state if review.state != ReviewState.ACTIVE else ReviewState.EXPIRED)


def review_heartbeat(*, reviewer: User, review_id: int, active: bool = True) -> Review:
    now = timezone.now()
    with transaction.atomic():
        review = _own_review(reviewer, review_id)
        _check_review_live(review, now)
        if active:
            review.active_seconds = _counted_seconds(
                last=review.last_heartbeat_at,
                now=now,
                so_far=review.active_seconds,
                cap=review.project.max_active_seconds,
            )
        review.last_heartbeat_at = now
        review.expires_at = now + timedelta(seconds=_conf("REVIEW_LEASE_SECONDS"))
        update_rows(
            Review,
            {
                "active_seconds": review.active_seconds,
                "last_heartbeat_at": now,
                "expires_at": review.expires_at,
            },
            id=review.pk,
        )
        update_rows(Slot, {"expires_at": review.expires_at}, id=review.slot_id, review_id=review.pk)
    return review


def decide(
    *,
    reviewer: User,
    review_id: int,
    decision: str,
    reasons: list[str] | None = None,
    comment: str = "",
    region_comments: list[dict[str, Any]] | None = None,
) -> Review:
    reasons = [r.strip() for r in (reasons or []) if r and r.strip()]
    comment = comment.strip()
    region_comments = region_comments or []
    if decision == Decision.REJECT and not (reasons or comment or region_comments):
        raise ReasonRequired()
    now = timezone.now()
    with transaction.atomic():
        review = _own_review(reviewer, review_id)
        _check_review_live(review, now)
        project = review.project
        if decision == Decision.REJECT and any(reason.startswith("faq:") for reason in reasons):
            from dure.notices.selectors import check_faq_reasons

            check_faq_reasons(project_id=project.pk, reasons=reasons)
        slot = fetch_one(Slot, "m.id = %s", [review.slot_id], lock="update")
        assert slot is not None  # a review's slot is deleted only with the review
        reviewing = SlotState.IN_REVIEW if review.stage == 1 else SlotState.IN_SECOND_REVIEW
        if slot.state != reviewing or slot.review_id != review.pk:
            raise ReviewClosed()
        review.active_seconds = _counted_seconds(
            last=review.last_heartbeat_at,
            now=now,
            so_far=review.active_seconds,
            cap=project.max_active_seconds,
        )
        review.state = ReviewState.DECIDED
        review.decision = decision
        review.reasons = reasons
        review.comment = comment
        review.region_comments = region_comments
        review.decided_at = now
        second = decision == Decision.APPROVE and review.stage == 1 and _needs_second_review(project, review)
        # Read by the webhook signal: a 1st approval that waits for a 2nd review is not an approved item yet.
        review.awaits_second_review = second  # type: ignore[attr-defined]
        writes = [
            update_statement(
                Review,
                {"state": review.state, "decision": decision, "reasons": reasons, "comment": comment,
                 "region_comments": region_comments, "decided_at": now, "active_seconds": review.active_seconds},
                id=review.pk,
            )
        ]  # fmt: skip
        submission = review.submission
        event_data: dict[str, Any] = {
            "review": review.pk,
            "submission": submission.pk,
            "version": submission.version,
        }
        if review.stage == 2:
            event_data["stage"] = 2
            _audit_first_review(review=review, agrees=decision == Decision.APPROVE, at=now)
        if second:
            # Not final: no pay for the worker, no progress; the slot queues again for a different reviewer.
            slot.state = SlotState.SECOND_REVIEW
            slot.expires_at = None
            slot.review = None
            kind = "approved_first_stage"
        elif decision == Decision.APPROVE:
            submission.state = SubmissionState.APPROVED
            slot.state = SlotState.APPROVED
            slot.expires_at = None
            kind = "approved"
            writes.append(_item_approval(item_id=slot.item_id, overlap=project.overlap, now=now))
        else:
            submission.state = SubmissionState.REJECTED
            kind = "rejected"
            event_data |= {"reasons": reasons, "comment": comment}
            if slot.rework_round + 1 > project.max_rework_rounds:
                # Too many rounds: someone else gets a fresh start; this worker is excluded by their history.
                slot.state = SlotState.OPEN
                slot.worker = None
                slot.rework_round = 0
                slot.expires_at = None
                event_data["reopened"] = True
            else:
                slot.state = SlotState.REJECTED
                slot.rework_round += 1
                slot.expires_at = now + timedelta(hours=project.rework_hours)
                event_data["rework_round"] = slot.rework_round
            slot.assignment = None
        if not second:
            writes.append(update_statement(Submission, {"state": submission.state}, id=submission.pk))
        slot.queued_at = now if second else None
        slot.updated_at = now
        writes.append(
            update_statement(
                Slot,
                {"state": slot.state, "worker_id": slot.worker_id, "rework_round": slot.rework_round,
                 "expires_at": slot.expires_at, "assignment_id": slot.assignment_id,
                 "review_id": slot.review_id, "queued_at": slot.queued_at, "updated_at": now},
                id=slot.pk,
            )
        )  # fmt: skip
        writes.append(_event(slot, reviewer, kind, now, **event_data))
        write_together(*writes)
        # Webhooks and notifications listen for the saved review (dure.webhooks.signals, dure.notices.signals).
        post_save.send(
            sender=Review, instance=review, created=False, update_fields=None, raw=False, using="default"
        )
        if kind == "approved" and project.overlap > 1 and _item_done(slot.item_id):
            from dure.quality.jobs import enqueue_item_aggregation

            enqueue_item_aggregation(slot.item_id)
        # Pay is written in the same transaction as the decision: both happen, or neither. The worker is paid
        # on the last required stage only (the ledger key ``approval:<slot>`` would refuse a second time).
        # Last, because every decision of the project updates its budget account: that row stays locked
        # until the commit, so the less work after it, the less other reviewers wait.
        record_decision_pay(
            project=project,
            review_id=review.pk,
            slot_id=slot.pk,
            reviewer=reviewer,
            worker_id=submission.worker_id if decision == Decision.APPROVE and not second else None,
            at=now,
        )
    review.slot = slot  # the caller answers with the slot's new state without asking the database again
    return review


def send_back_approved(
    *, slot_ids: list[int], actor: User, reasons: list[str], comment: str = "", **data: Any
) -> list[int]:
    """Client acceptance returned approved answers: each slot goes back to its worker for rework, like a
    rejection (the worker sees the reasons; a review follows the rework), and its item is no longer done.

    Runs inside the caller's transaction. The approval's pay stays: it was paid once per slot and a later
    approval of the rework pays nothing more. Returns the slots actually sent back (approved ones only).
    """
    now = timezone.now()
    returned = []
    slots = (
        Slot.objects.select_for_update(of=("self",))
        .select_related("project")
        .filter(pk__in=slot_ids, state=SlotState.APPROVED)
        .order_by("pk")
    )
    for slot in slots:
        if slot.worker_id is None:
            # The author is gone (account deleted): somebody else takes the item afresh.
            slot.state, slot.rework_round, slot.expires_at = SlotState.OPEN, 0, None
        else:
            slot.state, slot.rework_round = SlotState.REJECTED, slot.rework_round + 1
            slot.expires_at = now + timedelta(hours=slot.project.rework_hours)
        slot.assignment = None
        slot.save(update_fields=["state", "rework_round", "expires_at", "assignment", "updated_at"])
        Submission.objects.filter(id__in=[slot.submission_id]).update(state=SubmissionState.REJECTED)
        Item.objects.filter(pk=slot.item_id, approved_count__gt=0).update(
            approved_count=F("approved_count") - 1, state=ItemState.OPEN, done_at=None
        )
        _record_event(slot, actor, "returned", now, reasons=reasons, comment=comment, **data)
        returned.append(slot.pk)
    return returned


def _audit_first_review(*, review: Review, agrees: bool, at: datetime) -> None:
    """A 2nd review is an audit of the 1st: it counts in the 1st reviewer's audit agreement."""
    first = (
        Review.objects.filter(submission_id=review.submission_id, stage=1, state=ReviewState.DECIDED)
        .values_list("pk", "reviewer_id")
        .first()
    )
    if first is None:
        return
    note = "2nd review"
    done = {"state": AuditState.DONE, "agrees": agrees, "auditor": review.reviewer_id, "decided_at": at}
    if not Audit.objects.filter(review_id=first[0], state=AuditState.PENDING).update(**done, note=note):
        Audit.objects.bulk_create(
            [Audit(review_id=first[0], project_id=review.project_id, reviewer_id=first[1], auditor_id=review.reviewer_id,
                   state=AuditState.DONE, agrees=agrees, note=note, created_at=at, decided_at=at)],
            ignore_conflicts=True,
        )  # fmt: skip


def release_review(*, reviewer: User, review_id: int) -> Review:
    now = timezone.now()
    with transaction.atomic():
        review = _own_review(reviewer, review_id)
        _check_review_live(review, now)
        waiting, reviewing = (
            (SlotState.SUBMITTED, SlotState.IN_REVIEW)
            if review.stage == 1
            else (SlotState.SECOND_REVIEW, SlotState.IN_SECOND_REVIEW)
        )
        Slot.objects.filter(pk=review.slot_id, review=review, state=reviewing).update(
            state=waiting, review=None, expires_at=None
        )
        review.state = ReviewState.RELEASED
        review.save(update_fields=["state"])
    return review


# --- expiry ----------------------------------------------------------------------------------------------


def reclaim_expired(*, project_id: int | None = None) -> int:
    """Reopen slots whose lease, review lease or rework window ran out. Returns how many changed."""
    now = timezone.now()
    changed = 0
    with transaction.atomic():
        candidates = Slot.objects.select_for_update(skip_locked=True).filter(
            state__in=[SlotState.LEASED, SlotState.IN_REVIEW, SlotState.IN_SECOND_REVIEW, SlotState.REJECTED],
            expires_at__lte=now,
        )
        if project_id is not None:
            candidates = candidates.filter(project_id=project_id)
        events = []
        rework_hours: dict[int, int] = {}  # project id → its rework window, read once per sweep
        for slot in candidates[:1000]:
            if slot.state == SlotState.LEASED:
                Assignment.objects.filter(id__in=[slot.assignment_id], state=AssignmentState.ACTIVE).update(
                    state=AssignmentState.EXPIRED, ended_at=now
                )
                if slot.rework_round:
                    # An expired rework lease stays reserved for its worker until the rework window closes.
                    window = rework_hours.get(slot.project_id)
                    if window is None:
                        window = rework_hours[slot.project_id] = Project.objects.values_list(
                            "rework_hours", flat=True
                        ).get(pk=slot.project_id)
                    slot.state, slot.expires_at = SlotState.REJECTED, now + timedelta(hours=window)
                else:
                    slot.state, slot.worker, slot.expires_at = SlotState.OPEN, None, None
                slot.assignment = None
                kind = "lease_expired"
            elif slot.state in (SlotState.IN_REVIEW, SlotState.IN_SECOND_REVIEW):
                Review.objects.filter(id__in=[slot.review_id], state=ReviewState.ACTIVE).update(
                    state=ReviewState.EXPIRED
                )
                waiting = (
                    SlotState.SUBMITTED if slot.state == SlotState.IN_REVIEW else SlotState.SECOND_REVIEW
                )
                slot.state, slot.review, slot.expires_at = waiting, None, None
                kind = "review_expired"
            else:
                slot.state, slot.worker, slot.expires_at, slot.rework_round = SlotState.OPEN, None, None, 0
                kind = "rework_expired"
            slot.save(
                update_fields=[
                    "state",
                    "worker",
                    "assignment",
                    "review",
                    "expires_at",
                    "rework_round",
                    "updated_at",
                ]
            )
            events.append(Event(**_event_fields(slot, None, kind, now)))
            changed += 1
        Event.objects.bulk_create(events)
    return changed

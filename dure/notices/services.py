"""Writes for notifications. The event builders run in jobs, after the event's own transaction committed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Min
from django.utils import timezone

from dure.accounts.models import User
from dure.notices.errors import AnnouncementNotFound, ItemNotInProject, NotificationNotFound
from dure.notices.models import (
    Announcement,
    AnnouncementRead,
    Answer,
    EmailMode,
    EmailPreference,
    Episode,
    Kind,
    Notification,
    Question,
)
from dure.notices.selectors import faq_links
from dure.projects.models import Project


def notify(*, recipient_id: int, kind: str, key: str, data: dict[str, Any], link: str = "") -> None:
    """One notification per (recipient, key): a job that runs twice does not notify twice."""
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                recipient_id=recipient_id, kind=kind, key=key, data=data, link=link
            )
    except IntegrityError:
        return
    from dure.notices import mail

    if mail.wanted(notification) == EmailMode.IMMEDIATE:
        from dure.notices.jobs import send_email

        transaction.on_commit(lambda: send_email.enqueue(notification.pk))


def mark_read(*, user: User, notification_id: int) -> Notification:
    notification = Notification.objects.filter(pk=notification_id, recipient=user).first()
    if notification is None:
        raise NotificationNotFound()
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def set_email_preference(*, user: User, mode: str, muted: list[str]) -> None:
    EmailPreference.objects.update_or_create(user=user, defaults={"mode": mode, "muted": sorted(set(muted))})


def mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


# --- events, each from a committed object (see signals.py) -------------------------------------------------


def rejection(review_id: int) -> None:
    from dure.work.models import Review

    review = Review.objects.select_related("submission", "project", "slot").filter(pk=review_id).first()
    if review is None or review.decision != "reject":
        return
    slot = review.slot
    reopened = slot.worker_id != review.submission.worker_id
    notify(
        recipient_id=review.submission.worker_id,
        kind=Kind.SUBMISSION_REJECTED,
        key=f"review:{review.pk}",
        data={
            "project": review.project.name,
            "project_id": review.project_id,
            "reasons": review.reasons,
            "comment": review.comment,
            "reopened": reopened,
            "faq": faq_links(project_id=review.project_id, reasons=review.reasons),
        },
        link="" if reopened else f"/projects/{review.project_id}/work/",
    )


def payout(payout_id: int) -> None:
    from dure.payments.models import Payout, PayoutState

    found = Payout.objects.filter(pk=payout_id).first()
    if found is None or found.state not in {PayoutState.PAID, PayoutState.FAILED}:
        return
    paid = found.state == PayoutState.PAID
    notify(
        recipient_id=found.user_id,
        kind=Kind.PAYOUT_PAID if paid else Kind.PAYOUT_FAILED,
        key=f"payout:{found.pk}:{found.state}",
        data={"net": found.net, "reason": found.failure_reason},
        link="/earnings/",
    )


def reviewer_grant(grant_id: int) -> None:
    from dure.projects.models import Project
    from dure.quality.models import ReviewerGrant

    grant = ReviewerGrant.objects.filter(pk=grant_id).first()
    if grant is None:
        return
    name = Project.objects.filter(pk=grant.project_id).values_list("name", flat=True).first() or ""
    revoked = grant.revoked_at is not None
    notify(
        recipient_id=grant.user_id,
        kind=Kind.REVIEWER_REMOVED if revoked else Kind.REVIEWER_GRANTED,
        key=f"grant:{grant.pk}:{'revoked' if revoked else 'granted'}",
        data={"project": name, "project_id": grant.project_id},
        link=f"/projects/{grant.project_id}/" if revoked else f"/projects/{grant.project_id}/review/",
    )


def exam_result(attempt_id: int) -> None:
    from dure.academy.models import AttemptState, ExamAttempt

    attempt = ExamAttempt.objects.select_related("exam").filter(pk=attempt_id).first()
    if attempt is None or attempt.state not in {AttemptState.PASSED, AttemptState.FAILED}:
        return
    notify(
        recipient_id=attempt.user_id,
        kind=Kind.EXAM_RESULT,
        key=f"attempt:{attempt.pk}",
        data={
            "exam": str(attempt.exam),
            "passed": attempt.state == AttemptState.PASSED,
            "score": attempt.score,
        },
        link=f"/academy/exams/{attempt.exam_id}/",
    )


def certification(user_certification_id: int) -> None:
    from dure.academy.models import UserCertification

    held = UserCertification.objects.select_related("certification").filter(pk=user_certification_id).first()
    if held is None:
        return
    notify(
        recipient_id=held.user_id,
        kind=Kind.CERTIFICATION_GAINED,
        key=f"certification:{held.pk}",
        data={"certification": str(held.certification)},
        link="/profile/",
    )


def dataset_job(job_id: int) -> None:
    from dure.datasets.models import DatasetJob, JobState

    job = DatasetJob.objects.select_related("project").filter(pk=job_id).first()
    if job is None or job.created_by_id is None or job.state not in {JobState.SUCCEEDED, JobState.FAILED}:
        return
    succeeded = job.state == JobState.SUCCEEDED
    notify(
        recipient_id=job.created_by_id,
        kind=Kind.JOB_FINISHED if succeeded else Kind.JOB_FAILED,
        key=f"dataset_job:{job.pk}:{job.state}",
        data={
            "project": job.project.name,
            "job_kind": job.kind,
            "format": job.format,
            "error": job.error_message[:300],
        },
        link=f"/projects/{job.project_id}/datasets/",
    )


def delivery(delivery_id: int) -> None:
    """A batch was delivered (the client's inspectors and the managers hear of it), accepted or returned."""
    from dure.accounts.models import MANAGING_ROLES, Membership, Role
    from dure.projects.models import ProjectMember, ProjectRole
    from dure.quality.models import Delivery

    found = Delivery.objects.select_related("project").filter(pk=delivery_id).first()
    if found is None:
        return
    project = found.project
    readers = set(
        Membership.objects.filter(
            organization_id=project.organization_id, role__in=[*MANAGING_ROLES, Role.VIEWER]
        ).values_list("user_id", flat=True)
    ) | set(
        ProjectMember.objects.filter(project=project, role=ProjectRole.MANAGER).values_list(
            "user_id", flat=True
        )
    )
    base = f"/projects/{project.pk}/deliveries/{found.pk}/"
    for user_id in sorted(readers):
        notify(
            recipient_id=user_id,
            kind=Kind.BATCH_DELIVERED,
            key=f"delivery:{found.pk}:{found.state}",
            data={
                "project": project.name,
                "project_id": project.pk,
                "number": found.number,
                "state": found.state,
                "items": found.lot_size,
                "sample_size": found.sample_size,
                "defects": found.defects,
            },
            link=base if found.state == "inspecting" else f"{base}certificate/",
        )
    if found.state != "returned":
        return
    from dure.work.models import Slot

    # The workers whose approved answers the client found wrong hear it like a rejection: rework waits.
    for check in found.samples.filter(result="failed"):
        for slot in Slot.objects.filter(pk__in=check.wrong_slots, worker__isnull=False):
            notify(
                recipient_id=slot.worker_id,  # type: ignore[arg-type]
                kind=Kind.SUBMISSION_REJECTED,
                key=f"returned:{found.pk}:{slot.pk}",
                data={
                    "project": project.name,
                    "project_id": project.pk,
                    "reasons": [check.reason],
                    "comment": "",
                    "reopened": False,
                },
                link=f"/projects/{project.pk}/work/",
            )


EVENTS = {
    "rejection": rejection,
    "payout": payout,
    "reviewer_grant": reviewer_grant,
    "exam_result": exam_result,
    "certification": certification,
    "dataset_job": dataset_job,
    "delivery": delivery,
}


def handle(event: str, object_id: int) -> None:
    with transaction.atomic():
        EVENTS[event](object_id)


# --- announcements and guideline questions ----------------------------------------------------------------


def announce(*, actor: User, project: Project, title: str, body: str) -> Announcement:
    return Announcement.objects.create(project=project, author=actor, title=title.strip(), body=body.strip())


def mark_announcement_read(*, user: User, project: Project, announcement_id: int) -> None:
    announcement = Announcement.objects.filter(pk=announcement_id, project=project).first()
    if announcement is None:
        raise AnnouncementNotFound()
    AnnouncementRead.objects.get_or_create(announcement=announcement, user=user)


def ask(*, asker: User, project: Project, text: str, item_id: int | None = None) -> Question:
    if item_id is not None:
        from dure.work.models import Item

        if not Item.objects.filter(pk=item_id, project=project).exists():
            raise ItemNotInProject()
    return Question.objects.create(project=project, asker=asker, text=text.strip(), item_id=item_id)


def answer(*, author: User, question: Question, text: str, promote: bool = False) -> Answer:
    with transaction.atomic():
        given = Answer.objects.create(question=question, author=author, text=text.strip())
        if promote and not question.in_faq:
            question.in_faq = True
            question.save(update_fields=["in_faq"])
        if question.asker_id != author.pk:
            project_id = question.project_id
            transaction.on_commit(
                lambda: notify(
                    recipient_id=question.asker_id,
                    kind=Kind.QUESTION_ANSWERED,
                    key=f"answer:{given.pk}",
                    data={"project": question.project.name, "project_id": project_id},
                    link=f"/projects/{project_id}/questions/#question-{question.pk}",
                )
            )
    return given


def set_in_faq(*, question: Question, in_faq: bool) -> Question:
    question.in_faq = in_faq
    question.save(update_fields=["in_faq"])
    return question


# --- budget ------------------------------------------------------------------------------------------------

#: how often the worker's sweep looks at open projects' budgets
BUDGET_CHECK_SECONDS = 300


def managers_of(project: Project) -> set[int]:
    """Who is told about a project's money and queues: the organization's owners and managers, and the
    project's own managers."""
    from dure.accounts.models import MANAGING_ROLES, Membership
    from dure.projects.models import ProjectMember, ProjectRole

    return set(
        Membership.objects.filter(
            organization_id=project.organization_id, role__in=MANAGING_ROLES
        ).values_list("user_id", flat=True)
    ) | set(
        ProjectMember.objects.filter(project=project, role=ProjectRole.MANAGER).values_list(
            "user_id", flat=True
        )
    )


def budget_low() -> int:
    """Tells a project's managers once when its budget can no longer pay for a fresh item (dispatch paused);
    a new deposit starts a new episode. Returns how many projects were newly found paused."""
    from dure.payments.models import EntryKind, JournalEntry
    from dure.payments.selectors import budget, unit_cost
    from dure.projects.models import ProjectStatus

    found = 0
    for project in Project.objects.filter(status=ProjectStatus.OPEN).order_by("id"):
        if not unit_cost(project):
            continue
        state = budget(project=project)
        if not state["dispatch_paused"]:
            continue
        deposit = (
            JournalEntry.objects.filter(project=project, kind=EntryKind.DEPOSIT)
            .order_by("-id")
            .values_list("id", flat=True)
            .first()
        )
        managers = managers_of(project)
        key = f"budget_low:{project.pk}:{deposit or 0}"
        if Notification.objects.filter(key=key).exists():
            continue
        found += 1
        with transaction.atomic():
            for user_id in sorted(managers):
                notify(
                    recipient_id=user_id,
                    kind=Kind.BUDGET_LOW,
                    key=key,
                    data={"project": project.name, "project_id": project.pk},
                    link=f"/projects/{project.pk}/budget/",
                )
            _budget_low_webhook(project, episode=key, state=state)
    return found


def _budget_low_webhook(project: Project, *, episode: str, state: dict[str, Any]) -> None:
    """The client's pipeline hears of the same episode once (sent after this transaction commits)."""
    from dure.webhooks.models import Delivery, Event
    from dure.webhooks.services import emit

    # The managers' notifications mark the episode as told; without any manager the deliveries do.
    told = Delivery.objects.filter(
        event=Event.BUDGET_LOW,
        webhook__organization_id=project.organization_id,
        payload__data__episode=episode,
    )
    if told.exists():
        return
    emit(
        event=Event.BUDGET_LOW,
        organization_id=project.organization_id,
        project_id=project.pk,
        data={
            "episode": episode,
            "project": project.name,
            "balance": state["balance"],
            "committed": state["committed"],
            "unit_cost": state["unit_cost"],
            "dispatch_paused": True,
        },
    )


# --- rework deadlines and the review queue (the worker's sweep) -------------------------------------------

#: how often the worker's sweep looks for rework deadlines and review queues backing up
QUEUE_CHECK_SECONDS = 300
#: the warning comes when this share of the project's rework time is left (72 h → 18 h before)
REWORK_WARNING_SHARE = 0.25
#: ... but never earlier than this before the deadline
REWORK_WARNING_MAX = timedelta(days=7)


def rework_warning(rework_hours: int) -> timedelta:
    return min(timedelta(hours=rework_hours * REWORK_WARNING_SHARE), REWORK_WARNING_MAX)


def rework_deadlines() -> int:
    """Tells each worker once per deadline that a rejected answer waiting for their fix will go to someone
    else soon. A rework lease that runs out starts a new deadline (see ``reclaim_expired``), so the key names
    the deadline itself. Returns how many were told."""
    from dure.work.models import Slot, SlotState

    now = timezone.now()
    # The slot_expiry partial index serves this; only slots within the longest warning are read.
    waiting = list(
        Slot.objects.filter(
            state=SlotState.REJECTED,
            expires_at__gt=now,
            expires_at__lte=now + REWORK_WARNING_MAX,
            worker__isnull=False,
        )
        .select_related("project")
        .only("id", "worker_id", "expires_at", "rework_round", "project__id", "project__name",
              "project__rework_hours")[:5000]
    )  # fmt: skip
    due = [s for s in waiting if s.expires_at is not None and s.expires_at - now <= rework_warning(
        s.project.rework_hours)]  # fmt: skip
    keys = {s.pk: f"rework_deadline:{s.pk}:{int(s.expires_at.timestamp())}" for s in due if s.expires_at}
    told = set(Notification.objects.filter(key__in=keys.values()).values_list("key", flat=True))
    count = 0
    for slot in due:
        if keys[slot.pk] in told or slot.worker_id is None or slot.expires_at is None:
            continue
        with transaction.atomic():
            notify(
                recipient_id=slot.worker_id,
                kind=Kind.REWORK_DEADLINE,
                key=keys[slot.pk],
                data={
                    "project": slot.project.name,
                    "project_id": slot.project_id,
                    "deadline": slot.expires_at.isoformat(),
                    "round": slot.rework_round,
                },
                link=f"/projects/{slot.project_id}/work/",
            )
        count += 1
    return count


def review_backlog() -> int:
    """Tells a project's managers once per episode that its review queue is backing up: the oldest
    submission waited longer than ``REVIEW_BACKLOG_HOURS`` or more than ``REVIEW_BACKLOG_COUNT`` wait. The
    episode ends when both are back under half (so a queue hovering at the line does not flap).
    Returns how many episodes began."""
    from django.conf import settings

    from dure.projects.models import ProjectStatus
    from dure.work.models import Slot, SlotState

    now = timezone.now()
    wait = timedelta(hours=float(settings.DURE["REVIEW_BACKLOG_HOURS"]))
    limit = int(settings.DURE["REVIEW_BACKLOG_COUNT"])
    queues = {
        row["project_id"]: row
        for row in Slot.objects.filter(state=SlotState.SUBMITTED, project__status=ProjectStatus.OPEN)
        .values("project_id")
        .annotate(waiting=Count("id"), oldest=Min("queued_at"))
    }
    began = 0
    for row in queues.values():
        oldest = row["oldest"]
        backed_up = row["waiting"] >= limit or (oldest is not None and now - oldest >= wait)
        if not backed_up:
            continue
        with transaction.atomic():
            episode, _created = Episode.objects.select_for_update().get_or_create(
                project_id=row["project_id"], kind=Kind.REVIEW_BACKLOG
            )
            if episode.open:
                continue
            episode.number += 1
            episode.open = True
            episode.save(update_fields=["number", "open", "changed_at"])
            project = Project.objects.get(pk=row["project_id"])
            hours = (now - oldest).total_seconds() / 3600 if oldest is not None else 0
            for user_id in sorted(managers_of(project)):
                notify(
                    recipient_id=user_id,
                    kind=Kind.REVIEW_BACKLOG,
                    key=f"review_backlog:{project.pk}:{episode.number}",
                    data={
                        "project": project.name,
                        "project_id": project.pk,
                        "waiting": row["waiting"],
                        "oldest_hours": round(hours, 1),
                    },
                    link=f"/projects/{project.pk}/",
                )
        began += 1
    for episode in Episode.objects.filter(kind=Kind.REVIEW_BACKLOG, open=True):
        current = queues.get(episode.project_id)
        oldest = current["oldest"] if current else None
        over = current is None or (
            current["waiting"] < limit / 2 and (oldest is None or now - oldest < wait / 2)
        )
        if over:
            Episode.objects.filter(pk=episode.pk, open=True).update(open=False, changed_at=now)
    return began


# --- email preferences ------------------------------------------------------------------------------------


def update_email_preference(
    *, user: User, mode: str | None = None, muted: list[str] | None = None
) -> EmailPreference:
    """Changes what the person gets by email; unknown modes or kinds are refused, not stored."""
    from dure.notices.errors import UnknownEmailMode, UnknownNotificationKind

    current = EmailPreference.objects.filter(user=user).first() or EmailPreference(user=user)
    if mode is not None:
        if mode not in EmailMode.values:
            raise UnknownEmailMode(mode=mode, allowed=list(EmailMode.values))
        current.mode = mode
    if muted is not None:
        unknown = sorted(set(muted) - set(Kind.values))
        if unknown:
            raise UnknownNotificationKind(kinds=unknown, allowed=list(Kind.values))
        current.muted = sorted(set(muted))
    current.save()
    return current

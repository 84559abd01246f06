"""Reads for notifications, always the caller's own; the words are chosen here, in the reader's language."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from dure.accounts.models import User
from dure.notices.errors import FaqEntryNotFound, QuestionNotFound
from dure.notices.models import Announcement, AnnouncementRead, Kind, Notification, Question


def notifications_for(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user).order_by("-id")


def unread_count(user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


@dataclass(frozen=True)
class Wording:
    title: str
    body: str


def _job_kind(data: dict[str, Any]) -> str:
    return _("Import") if data.get("job_kind") == "import" else _("Export")


def _when(data: dict[str, Any]) -> str:
    """The stored UTC deadline in the reader's time zone and format."""
    moment = parse_datetime(str(data.get("deadline") or ""))
    if moment is None:
        return ""
    return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def wording(kind: str, data: dict[str, Any]) -> Wording:
    """Title and body in the active language, from the data stored when the event happened."""
    if kind == Kind.SUBMISSION_REJECTED:
        reasons = [str(r) for r in data.get("reasons") or [] if not str(r).startswith(FAQ_REASON_PREFIX)]
        if data.get("comment"):
            reasons.append(str(data["comment"]))
        for entry in data.get("faq") or []:
            reasons.append(_("see the FAQ: %(question)s") % {"question": entry.get("text", "")})
        if data.get("reopened"):
            title = _("Your submission in %(project)s was rejected and given to someone else") % data
        else:
            title = _("Your submission in %(project)s was rejected and waits for rework") % data
        return Wording(title, _("Reasons: %(reasons)s") % {"reasons": "; ".join(reasons)} if reasons else "")
    if kind == Kind.PAYOUT_PAID:
        return Wording(_("Your payout of %(net)s won was paid") % {"net": f"{data.get('net', 0):,}"}, "")
    if kind == Kind.PAYOUT_FAILED:
        return Wording(
            _("Your payout of %(net)s won failed and returned to your balance")
            % {"net": f"{data.get('net', 0):,}"},
            str(data.get("reason") or ""),
        )
    if kind == Kind.REVIEWER_GRANTED:
        return Wording(_("You are now a reviewer in %(project)s") % data, "")
    if kind == Kind.REVIEWER_REMOVED:
        return Wording(_("Your reviewer role in %(project)s was removed") % data, "")
    if kind == Kind.EXAM_RESULT:
        if data.get("passed"):
            return Wording(_("You passed the exam %(exam)s") % data, "")
        return Wording(_("You did not pass the exam %(exam)s") % data, "")
    if kind == Kind.CERTIFICATION_GAINED:
        return Wording(_("You gained the certification %(certification)s") % data, "")
    if kind == Kind.JOB_FINISHED:
        return Wording(
            _("%(job)s of %(project)s (%(format)s) finished") % {**data, "job": _job_kind(data)}, ""
        )
    if kind == Kind.JOB_FAILED:
        return Wording(
            _("%(job)s of %(project)s (%(format)s) failed") % {**data, "job": _job_kind(data)},
            str(data.get("error") or ""),
        )
    if kind == Kind.BUDGET_LOW:
        return Wording(
            _("The budget of %(project)s is used up: no new items are handed out") % data,
            _("Deposit more budget to let work continue. Rework already promised goes on."),
        )
    if kind == Kind.BATCH_DELIVERED:
        if data.get("state") == "accepted":
            return Wording(_("Delivery #%(number)s of %(project)s was accepted") % data, "")
        if data.get("state") == "returned":
            return Wording(
                _("Delivery #%(number)s of %(project)s was returned for rework") % data,
                _("%(defects)s of %(sample_size)s sampled items were defective.") % data,
            )
        return Wording(
            _("Delivery #%(number)s of %(project)s waits for inspection") % data,
            _("%(items)s items; %(sample_size)s of them are sampled for inspection.") % data,
        )
    if kind == Kind.REWORK_DEADLINE:
        return Wording(
            _("Your rework in %(project)s is due by %(deadline)s") % {**data, "deadline": _when(data)},
            _("After that the item goes to someone else."),
        )
    if kind == Kind.REVIEW_BACKLOG:
        return Wording(
            _("The review queue of %(project)s is backing up") % data,
            _("%(waiting)s submissions wait; the oldest for %(hours)s hours.")
            % {"waiting": data.get("waiting", 0), "hours": data.get("oldest_hours", 0)},
        )
    if kind == Kind.QUESTION_ANSWERED:
        return Wording(_("Your question in %(project)s was answered") % data, "")
    if kind == Kind.PROJECT_INVITATION:
        if data.get("qualification"):
            return Wording(_("You are invited to the qualification test of %(project)s") % data, "")
        return Wording(_("You are invited to work on %(project)s") % data, str(data.get("message") or ""))
    if kind == Kind.PROJECT_MATCH:
        return Wording(
            _("A project that matches you opened: %(project)s") % data,
            _("%(price)s won per item") % {"price": f"{data.get('price', 0):,}"},
        )
    return Wording(str(kind), "")


def unread_announcements(*, user: User, project_id: int) -> list[Announcement]:
    return list(
        Announcement.objects.filter(project_id=project_id).exclude(reads__user=user).order_by("-id")[:5]
    )


def announcements(*, user: User, project_id: int) -> list[dict[str, Any]]:
    read = set(
        AnnouncementRead.objects.filter(user=user, announcement__project_id=project_id).values_list(
            "announcement_id", flat=True
        )
    )
    return [
        {"id": a.pk, "title": a.title, "body": a.body, "created_at": a.created_at, "read": a.pk in read}
        for a in Announcement.objects.filter(project_id=project_id).order_by("-id")[:100]
    ]


def questions(*, user: User, project_id: int, everyone: bool) -> QuerySet[Question]:
    """Those who answer see every question; a worker sees their own and the FAQ."""
    found = Question.objects.filter(project_id=project_id)
    if not everyone:
        found = found.filter(Q(asker=user) | Q(in_faq=True))
    return found.prefetch_related("answers").order_by("-id")


def faq(*, project_id: int) -> QuerySet[Question]:
    return (
        Question.objects.filter(project_id=project_id, in_faq=True).prefetch_related("answers").order_by("id")
    )


def question(*, project_id: int, question_id: int) -> Question:
    found = Question.objects.filter(pk=question_id, project_id=project_id).select_related("project").first()
    if found is None:
        raise QuestionNotFound()
    return found


#: a rejection reason that links an FAQ entry of the project: ``faq:<question id>``
FAQ_REASON_PREFIX = "faq:"


def faq_ids(reasons: list[str]) -> list[int]:
    found = []
    for reason in reasons:
        if reason.startswith(FAQ_REASON_PREFIX) and reason[len(FAQ_REASON_PREFIX) :].isdigit():
            found.append(int(reason[len(FAQ_REASON_PREFIX) :]))
    return found


def check_faq_reasons(*, project_id: int, reasons: list[str]) -> None:
    """A reviewer may link only entries of this project's FAQ (not a private question, not another
    project's)."""
    linked = [r for r in reasons if r.startswith(FAQ_REASON_PREFIX)]
    if not linked:
        return
    ids = faq_ids(linked)
    known = set(
        Question.objects.filter(pk__in=ids, project_id=project_id, in_faq=True).values_list("pk", flat=True)
    )
    if len(ids) != len(linked) or set(ids) - known:
        raise FaqEntryNotFound(reasons=linked)


def faq_links(*, project_id: int, reasons: list[str]) -> list[dict[str, Any]]:
    """The FAQ entries a rejection links, with their question and where to read the answer."""
    ids = faq_ids(reasons)
    if not ids:
        return []
    return [
        {"id": q.pk, "text": q.text[:200], "url": faq_url(project_id, q.pk)}
        for q in Question.objects.filter(pk__in=ids, project_id=project_id).order_by("id")
    ]


def faq_url(project_id: int, question_id: int) -> str:
    return f"/projects/{project_id}/questions/#question-{question_id}"


def faq_choices(*, project_id: int) -> list[dict[str, Any]]:
    """What the review workspace offers to link, and the rework view resolves ``faq:<id>`` with."""
    return [
        {"id": pk, "text": text[:200], "url": faq_url(project_id, pk)}
        for pk, text in Question.objects.filter(project_id=project_id, in_faq=True)
        .order_by("id")
        .values_list("pk", "text")[:200]
    ]

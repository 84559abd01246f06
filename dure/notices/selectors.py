"""Reads for notifications, always the caller's own; the words are chosen here, in the reader's language."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from dure.accounts.models import User
from dure.notices.models import Kind, Notification


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


def wording(kind: str, data: dict[str, Any]) -> Wording:
    """Title and body in the active language, from the data stored when the event happened."""
    if kind == Kind.SUBMISSION_REJECTED:
        reasons = [str(r) for r in data.get("reasons") or []]
        if data.get("comment"):
            reasons.append(str(data["comment"]))
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
    return Wording(str(kind), "")

"""Reading the audit log, scoped to one organization."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from dure.accounts.models import Membership, User
from dure.audit.models import AuditEvent


def events_of(
    *,
    organization_id: int,
    action: str = "",
    actor_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AuditEvent]:
    """The organization's own events, plus account-level events (sign-ins) of its current members."""
    members = Membership.objects.filter(organization_id=organization_id).values("user_id")
    events = AuditEvent.objects.filter(
        Q(organization_id=organization_id)
        | Q(organization_id__isnull=True, actor_id__in=members)
        | Q(organization_id__isnull=True, subject_id__in=members)
    )
    if action:
        events = events.filter(action=action)
    if actor_id is not None:
        events = events.filter(actor_id=actor_id)
    if since is not None:
        events = events.filter(at__gte=since)
    if until is not None:
        events = events.filter(at__lt=until)
    return events


def with_names(events: list[AuditEvent]) -> list[dict[str, Any]]:
    """Rows for display: actor names resolved now, so a deleted account shows only its pseudonym."""
    ids = {e.actor_id for e in events if e.actor_id is not None}
    names = dict(User.objects.filter(pk__in=ids).values_list("pk", "username"))
    return [
        {
            "id": e.pk,
            "at": e.at,
            "action": e.action,
            "actor_id": e.actor_id,
            "actor": names.get(e.actor_id, "") if e.actor_id is not None else "",
            "target_type": e.target_type,
            "target_id": e.target_id,
            "ip": e.ip,
            "details": e.details,
        }
        for e in events
    ]

"""The audit log for organization owners (and the platform operator): search it, export it as JSONL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, StreamingHttpResponse
from ninja import Query, Router, Schema
from pydantic import Field

from dure.accounts.provisioning import owned_organization
from dure.audit import selectors
from dure.audit.models import Action
from dure.audit.schemas import AuditPage
from dure.audit.services import record
from dure.core.http import user_of

router = Router(tags=["audit"])


class AuditFilter(Schema):
    action: str = Field(default="", max_length=32)
    actor_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    cursor: int | None = None
    limit: int = Field(default=100, ge=1, le=1000)


@router.get("/organizations/{organization_id}/audit", response=AuditPage)
def search(request: HttpRequest, organization_id: int, filters: Query[AuditFilter]) -> dict:
    owned_organization(actor=user_of(request), organization_id=organization_id)
    events = selectors.events_of(
        organization_id=organization_id,
        action=filters.action,
        actor_id=filters.actor_id,
        since=filters.since,
        until=filters.until,
    ).order_by("-pk")
    if filters.cursor is not None:
        events = events.filter(pk__lt=filters.cursor)
    page = list(events[: filters.limit + 1])
    more = len(page) > filters.limit
    page = page[: filters.limit]
    return {"items": selectors.with_names(page), "next": page[-1].pk if more and page else None}


@router.get("/organizations/{organization_id}/audit.jsonl", response={200: None})
def export(request: HttpRequest, organization_id: int, filters: Query[AuditFilter]) -> StreamingHttpResponse:
    organization = owned_organization(actor=user_of(request), organization_id=organization_id)
    events = selectors.events_of(
        organization_id=organization_id,
        action=filters.action,
        actor_id=filters.actor_id,
        since=filters.since,
        until=filters.until,
    ).order_by("pk")
    record(Action.AUDIT_EXPORTED, organization=organization, target=organization)

    def lines() -> Iterator[str]:
        batch = []
        for event in events.iterator(chunk_size=2000):
            batch.append(event)
            if len(batch) == 2000:
                yield from _lines(batch)
                batch = []
        yield from _lines(batch)

    response = StreamingHttpResponse(lines(), content_type="application/x-ndjson; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{organization.slug}.jsonl"'
    return response


def _lines(batch: list) -> Iterator[str]:
    for row in selectors.with_names(batch):
        yield json.dumps(row, cls=DjangoJSONEncoder, ensure_ascii=False) + "\n"

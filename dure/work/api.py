"""The work loop's HTTP contract. Integrations and the browser workspace rely on these paths."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.http import HttpRequest, StreamingHttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Status

from dure.audit import services as audit
from dure.core.errors import InvalidInput
from dure.core.http import user_of
from dure.projects.selectors import project_access
from dure.work import selectors, services
from dure.work.schemas import (
    DecisionIn,
    DecisionOut,
    HeartbeatIn,
    HeartbeatOut,
    ItemDetailOut,
    ItemsAddedOut,
    NextAssignmentOut,
    NextReviewOut,
    ProgressOut,
    SubmissionOut,
    SubmitIn,
)

router = Router(tags=["work"])


def _records(request: HttpRequest) -> list[Any]:
    """A JSON array, ``{"items": [...]}`` or JSON Lines (one record per line)."""
    body = request.body.decode("utf-8", errors="strict") if request.body else ""
    content_type = (request.content_type or "").lower()
    if "ndjson" in content_type or "jsonl" in content_type or "json-seq" in content_type:
        records = []
        for number, line in enumerate(body.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as error:
                raise InvalidInput(
                    _("Line %(line)d is not valid JSON.") % {"line": number}, line=number, error=error.msg
                ) from None
        return records
    try:
        document = json.loads(body)
    except json.JSONDecodeError as error:
        raise InvalidInput(_("The body is not valid JSON."), line=error.lineno, error=error.msg) from None
    if isinstance(document, dict) and isinstance(document.get("items"), list):
        document = document["items"]
    if not isinstance(document, list):
        raise InvalidInput(_("Send a JSON array of items or JSON Lines."))
    return document


@router.post(
    "/projects/{project_id}/items",
    response={201: ItemsAddedOut},
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
                "application/x-ndjson": {"schema": {"type": "string"}},
            }
        }
    },
)
def add_items(request: HttpRequest, project_id: int) -> Status:
    access = project_access(user=user_of(request), project_id=project_id)
    access.require(access.can_manage)
    try:
        records = _records(request)
    except UnicodeDecodeError:
        raise InvalidInput(_("The body is not valid UTF-8.")) from None
    limit = settings.DURE["MAX_ITEMS_PER_REQUEST"]
    if len(records) > limit:
        raise InvalidInput(_("Too many items in one request."), limit=limit)
    return Status(201, services.add_items(project=access.project, records=records))


@router.post("/projects/{project_id}/assignments/next", response={200: NextAssignmentOut, 204: None})
def next_assignment(request: HttpRequest, project_id: int) -> Status:
    access = project_access(user=user_of(request), project_id=project_id)
    access.require(access.can_work)
    assignment = services.lease_next_item(worker=user_of(request), project=access.project)
    if assignment is None:
        return Status(204, None)
    return Status(200, {"assignment": selectors.assignment_payload(assignment)})


@router.post("/assignments/{assignment_id}/heartbeat", response=HeartbeatOut)
def heartbeat(request: HttpRequest, assignment_id: int, body: HeartbeatIn | None = None) -> Any:
    active = body.active if body is not None else True
    return services.heartbeat(worker=user_of(request), assignment_id=assignment_id, active=active)


@router.post("/assignments/{assignment_id}/submit", response={201: SubmissionOut})
def submit(request: HttpRequest, assignment_id: int, body: SubmitIn) -> Status:
    return Status(
        201, services.submit(worker=user_of(request), assignment_id=assignment_id, answer=body.answer)
    )


@router.post("/assignments/{assignment_id}/release", response={204: None})
def release(request: HttpRequest, assignment_id: int) -> Status:
    services.release(worker=user_of(request), assignment_id=assignment_id)
    return Status(204, None)


@router.post("/projects/{project_id}/reviews/next", response={200: NextReviewOut, 204: None})
def next_review(request: HttpRequest, project_id: int) -> Status:
    access = project_access(user=user_of(request), project_id=project_id)
    access.require(access.can_review)
    review = services.lease_next_review(reviewer=user_of(request), project=access.project)
    if review is None:
        return Status(204, None)
    return Status(200, {"review": selectors.review_payload(review)})


@router.post("/reviews/{review_id}/heartbeat", response=HeartbeatOut)
def review_heartbeat(request: HttpRequest, review_id: int, body: HeartbeatIn | None = None) -> Any:
    active = body.active if body is not None else True
    return services.review_heartbeat(reviewer=user_of(request), review_id=review_id, active=active)


@router.post("/reviews/{review_id}/decision", response=DecisionOut)
def decide(request: HttpRequest, review_id: int, body: DecisionIn) -> dict[str, Any]:
    review = services.decide(
        reviewer=user_of(request),
        review_id=review_id,
        decision=body.decision,
        reasons=body.reasons,
        comment=body.comment,
        region_comments=[c.model_dump(exclude_none=True) for c in body.region_comments],
    )
    return {"review_id": review.pk, "decision": review.decision, "slot_state": review.slot.state}


@router.post("/reviews/{review_id}/release", response={204: None})
def release_review(request: HttpRequest, review_id: int) -> Status:
    services.release_review(reviewer=user_of(request), review_id=review_id)
    return Status(204, None)


@router.get("/projects/{project_id}/progress", response=ProgressOut)
def progress(request: HttpRequest, project_id: int) -> dict[str, Any]:
    access = project_access(user=user_of(request), project_id=project_id)
    access.require(access.can_view_progress)
    return selectors.progress(project=access.project)


@router.get("/projects/{project_id}/items/{item_id}", response=ItemDetailOut)
def item_detail(request: HttpRequest, project_id: int, item_id: int) -> dict[str, Any]:
    access = project_access(user=user_of(request), project_id=project_id)
    access.require(access.can_view_progress)
    item = selectors.item_for_manager(project=access.project, item_id=item_id)
    slots = [
        {
            "id": s.pk,
            "index": s.index,
            "state": s.state,
            "rework_round": s.rework_round,
            "history": selectors.slot_history(s.pk),
        }
        for s in item.slots.order_by("index")
    ]
    return {
        **selectors.item_payload(item),
        "state": item.state,
        "slots": slots,
        "history": selectors.item_history(item=item),
    }


@router.get(
    "/projects/{project_id}/export",
    response={200: None},
    openapi_extra={"responses": {200: {"content": {"application/x-ndjson": {}}}}},
)
def export(request: HttpRequest, project_id: int, format: str = "jsonl") -> StreamingHttpResponse:
    access = project_access(user=user_of(request), project_id=project_id)
    access.require(access.can_export)
    audit.record("export", organization=access.project.organization_id, target=access.project, format=format)
    if format != "jsonl":
        raise InvalidInput(_("Unknown export format."), format=format, supported=["jsonl"])

    def lines() -> Iterator[str]:
        for row in selectors.export_rows(project=access.project):
            yield json.dumps(row, ensure_ascii=False, default=str) + "\n"

    response = StreamingHttpResponse(lines(), content_type="application/x-ndjson; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="project-{project_id}.jsonl"'
    return response

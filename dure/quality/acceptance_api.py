"""Client acceptance over HTTP: deliver batches, inspect their samples, read and download certificates.

Roles (see ``dure.quality.acceptance``): managers deliver; the client's owners, managers and viewers inspect;
whoever may export the data reads deliveries and certificates. Another organization's delivery is a 404.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Status

from dure.core.http import user_of
from dure.projects.selectors import Access, project_access
from dure.quality import acceptance, certificate
from dure.quality.models import Delivery, SampleCheck
from dure.quality.schemas import DeliveryIn, SampleCheckIn
from dure.work.selectors import pseudonym

router = Router(tags=["acceptance"])


def _access(request: HttpRequest, project_id: int) -> Access:
    return project_access(user=user_of(request), project_id=project_id)


def _readable(request: HttpRequest, project_id: int, delivery_id: int) -> tuple[Access, Delivery]:
    access = _access(request, project_id)
    access.require(acceptance.can_read(access))
    return access, acceptance.delivery_of(project=access.project, delivery_id=delivery_id)


def sample_out(check: SampleCheck, *, with_answers: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "item_id": check.item_id,
        "position": check.position,
        "result": check.result,
        "reason": check.reason,
        "wrong_slots": check.wrong_slots,
        "checked_at": check.checked_at.isoformat() if check.checked_at else None,
    }
    if with_answers:
        out["item"] = {"id": check.item.pk, "external_id": check.item.external_id, "data": check.item.data}
        out["answers"] = [
            {
                "slot_id": slot.pk,
                "index": slot.index,
                "answer": slot.submission.answer if slot.submission else None,
                "worker": pseudonym(slot.worker_id),
            }
            for slot in acceptance.approved_slots(check.item_id)
        ]
    return out


@router.get("/projects/{project_id}/deliveries")
def list_deliveries(request: HttpRequest, project_id: int) -> list[dict[str, Any]]:
    access = _access(request, project_id)
    access.require(acceptance.can_read(access))
    return [
        acceptance.delivery_summary(d) for d in acceptance.project_deliveries(project=access.project)[:200]
    ]


@router.post("/projects/{project_id}/deliveries", response={201: dict})
def deliver(request: HttpRequest, project_id: int, body: DeliveryIn) -> Status:
    access = _access(request, project_id)
    access.require(access.can_manage)
    delivery = acceptance.deliver_batch(
        project=access.project,
        actor=user_of(request),
        item_ids=body.item_ids,
        done_before=body.done_before,
        limit=body.limit,
        method=body.method,
        aql=body.aql,
        target=body.target,
        defects=body.defects,
    )
    return Status(201, acceptance.delivery_summary(delivery))


@router.get("/projects/{project_id}/deliveries/{delivery_id}")
def get_delivery(request: HttpRequest, project_id: int, delivery_id: int) -> dict[str, Any]:
    _access, delivery = _readable(request, project_id, delivery_id)
    return {
        **acceptance.delivery_summary(delivery),
        "samples": [sample_out(s) for s in delivery.samples.order_by("position")],
    }


@router.post("/projects/{project_id}/deliveries/{delivery_id}/redeliver", response={201: dict})
def redeliver(request: HttpRequest, project_id: int, delivery_id: int) -> Status:
    access = _access(request, project_id)
    access.require(access.can_manage)
    delivery = acceptance.deliver_again(
        project=access.project, actor=user_of(request), delivery_id=delivery_id
    )
    return Status(201, acceptance.delivery_summary(delivery))


@router.post("/projects/{project_id}/deliveries/{delivery_id}/samples/next", response={200: dict, 204: None})
def next_sample(request: HttpRequest, project_id: int, delivery_id: int) -> Status:
    """The next unchecked sampled item the caller may inspect (204 when none is left for them)."""
    access = _access(request, project_id)
    access.require(acceptance.can_inspect(access))
    delivery = acceptance.delivery_of(project=access.project, delivery_id=delivery_id)
    check = acceptance.next_sample(delivery=delivery, user=user_of(request))
    if check is None:
        return Status(204, None)
    return Status(
        200, sample_out(acceptance.sample_of(delivery=delivery, item_id=check.item_id), with_answers=True)
    )


@router.get("/projects/{project_id}/deliveries/{delivery_id}/samples/{item_id}")
def get_sample(request: HttpRequest, project_id: int, delivery_id: int, item_id: int) -> dict[str, Any]:
    _access, delivery = _readable(request, project_id, delivery_id)
    return sample_out(acceptance.sample_of(delivery=delivery, item_id=item_id), with_answers=True)


@router.post("/projects/{project_id}/deliveries/{delivery_id}/samples/{item_id}/check")
def check_sample(
    request: HttpRequest, project_id: int, delivery_id: int, item_id: int, body: SampleCheckIn
) -> dict[str, Any]:
    access = _access(request, project_id)
    access.require(acceptance.can_inspect(access))
    check = acceptance.check_sample(
        project=access.project,
        actor=user_of(request),
        delivery_id=delivery_id,
        item_id=item_id,
        passed=body.passed,
        reason=body.reason,
        wrong_slots=body.wrong_slots,
    )
    delivery = acceptance.delivery_of(project=access.project, delivery_id=delivery_id)
    return {"sample": sample_out(check), "delivery": acceptance.delivery_summary(delivery)}


@router.get("/projects/{project_id}/deliveries/{delivery_id}/certificate")
def get_certificate(request: HttpRequest, project_id: int, delivery_id: int) -> dict[str, Any]:
    _access, delivery = _readable(request, project_id, delivery_id)
    return certificate.current(delivery)


@router.get("/projects/{project_id}/deliveries/{delivery_id}/certificate.pdf")
def certificate_pdf(request: HttpRequest, project_id: int, delivery_id: int) -> HttpResponse:
    _access, delivery = _readable(request, project_id, delivery_id)
    response = HttpResponse(certificate.pdf(certificate.current(delivery)), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="certificate-{delivery.project_id}-{delivery.number}.pdf"'
    )
    return response

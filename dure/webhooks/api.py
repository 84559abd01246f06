"""Webhooks for organization owners and managers: register, list, delete, test, read the delivery log."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from dure.accounts.errors import OrganizationNotFound
from dure.accounts.models import MANAGING_ROLES, Membership, Organization, User
from dure.core.errors import InvalidInput, PermissionDenied
from dure.core.http import user_of
from dure.core.pagination import CursorPagination
from dure.projects.models import Project
from dure.webhooks import services
from dure.webhooks.errors import WebhookNotFound
from dure.webhooks.models import Event, Webhook
from dure.webhooks.schemas import DeliveryOut, WebhookCreated, WebhookIn, WebhookOut

router = Router(tags=["webhooks"])


def _managed(user: User, organization_id: int) -> Organization:
    organization = Organization.objects.filter(pk=organization_id).first()
    role = (
        Membership.objects.filter(user=user, organization_id=organization_id)
        .values_list("role", flat=True)
        .first()
    )
    if organization is None or (role is None and not user.is_staff):
        raise OrganizationNotFound()
    if role not in MANAGING_ROLES and not user.is_staff:
        raise PermissionDenied()
    return organization


def _hook(user: User, webhook_id: int) -> Webhook:
    hook = Webhook.objects.filter(pk=webhook_id).first()
    if hook is None:
        raise WebhookNotFound()
    try:
        _managed(user, hook.organization_id)
    except OrganizationNotFound:
        raise WebhookNotFound() from None
    return hook


@router.get("/organizations/{organization_id}/webhooks", response=list[WebhookOut])
def list_webhooks(request: HttpRequest, organization_id: int) -> list[Webhook]:
    organization = _managed(user_of(request), organization_id)
    return list(organization.webhooks.order_by("id"))


@router.post("/organizations/{organization_id}/webhooks", response={201: WebhookCreated})
def create_webhook(request: HttpRequest, organization_id: int, body: WebhookIn) -> Status:
    actor = user_of(request)
    organization = _managed(actor, organization_id)
    unknown = set(body.events) - {e.value for e in Event}
    if unknown:
        raise InvalidInput(field="events", unknown=sorted(unknown), known=[e.value for e in Event])
    if (
        body.project_id is not None
        and not Project.objects.filter(pk=body.project_id, organization=organization).exists()
    ):
        raise InvalidInput(field="project_id", reason="not a project of this organization")
    hook, secret = services.create_webhook(
        actor=actor, organization=organization, project_id=body.project_id, url=body.url, events=body.events
    )
    hook.secret = secret
    return Status(201, hook)


@router.delete("/webhooks/{webhook_id}", response={204: None})
def delete_webhook(request: HttpRequest, webhook_id: int) -> Status:
    actor = user_of(request)
    services.delete_webhook(actor=actor, webhook=_hook(actor, webhook_id))
    return Status(204, None)


@router.post("/webhooks/{webhook_id}/test", response=DeliveryOut)
def test_webhook(request: HttpRequest, webhook_id: int) -> object:
    actor = user_of(request)
    return services.send_test(actor=actor, webhook=_hook(actor, webhook_id))


@router.get("/webhooks/{webhook_id}/deliveries", response=list[DeliveryOut])
@paginate(CursorPagination)
def deliveries(request: HttpRequest, webhook_id: int) -> object:
    return _hook(user_of(request), webhook_id).deliveries.all()

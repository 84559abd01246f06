"""Webhook events raised from other apps' signals, so their code needs no webhook calls."""

from __future__ import annotations

import time
from typing import Any

from django.apps import apps
from django.db.models.signals import post_save

from dure.webhooks.models import Event, Webhook

#: organization id → (valid until, events some active webhook listens to); a decision must not pay a query
#: for organizations without webhooks. New webhooks are seen within this many seconds.
SUBSCRIPTION_CACHE_SECONDS = 5.0
_subscriptions: dict[int, tuple[float, frozenset[str]]] = {}


def forget_subscriptions() -> None:
    _subscriptions.clear()


def subscribed(organization_id: int, event: str) -> bool:
    cached = _subscriptions.get(organization_id)
    if cached is None or cached[0] < time.monotonic():
        events: set[str] = set()
        for listened in Webhook.objects.filter(organization_id=organization_id, active=True).values_list(
            "events", flat=True
        ):
            events.update(listened)
        cached = (time.monotonic() + SUBSCRIPTION_CACHE_SECONDS, frozenset(events))
        _subscriptions[organization_id] = cached
    return event in cached[1]


def _review_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if instance.state != "decided" or instance.decision != "approve":
        return
    if getattr(instance, "awaits_second_review", False):
        return  # approved at the 1st stage only; the 2nd review's approval is the item's
    project = instance.project
    if not subscribed(project.organization_id, Event.ITEM_APPROVED):
        return
    from dure.webhooks.services import emit

    emit(
        event=Event.ITEM_APPROVED,
        organization_id=project.organization_id,
        project_id=project.pk,
        data={"slot_id": instance.slot_id, "review_id": instance.pk, "submission_id": instance.submission_id},
    )


def _dataset_job_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    update_fields = kwargs.get("update_fields")
    if instance.kind != "export" or instance.state not in {"succeeded", "failed"}:
        return
    if update_fields is not None and "state" not in update_fields:
        return  # a later save of a finished job is not a second finish
    project = instance.project
    if not subscribed(project.organization_id, Event.EXPORT_FINISHED):
        return
    from dure.webhooks.services import emit

    emit(
        event=Event.EXPORT_FINISHED,
        organization_id=project.organization_id,
        project_id=project.pk,
        data=export_data(instance),
    )


def export_data(job: Any) -> dict[str, Any]:
    """What a pipeline needs to fetch the file, or to know why there is none."""
    result = job.result or {}
    succeeded = job.state == "succeeded"
    return {
        "job_id": job.pk,
        "state": job.state,
        "format": job.format,
        "rows": result.get("rows") if succeeded else None,
        "file_name": result.get("file_name") if succeeded else None,
        "download_path": f"/api/v1/jobs/{job.pk}/download" if succeeded else None,
        "error_code": job.error_code or None,
        "error_message": job.error_message[:300] or None,
    }


def _delivery_saved(
    sender: Any, instance: Any, created: bool, update_fields: Any = None, **kwargs: Any
) -> None:
    """``batch.delivered`` at each step of a client delivery: handed over (state ``inspecting``), then
    ``accepted`` or ``returned``; the client's pipeline fetches the certificate from ``certificate_url``."""
    if not created and not (update_fields and "state" in update_fields):
        return
    project = instance.project
    if not subscribed(project.organization_id, Event.BATCH_DELIVERED):
        return
    from dure.webhooks.services import emit

    base = f"/api/v1/projects/{project.pk}/deliveries/{instance.pk}"
    emit(
        event=Event.BATCH_DELIVERED,
        organization_id=project.organization_id,
        project_id=project.pk,
        data={
            "delivery_id": instance.pk,
            "number": instance.number,
            "state": instance.state,
            "items": instance.lot_size,
            "sample_size": instance.sample_size,
            "defects": instance.defects,
            "accept_number": instance.accept_number,
            "delivery_url": base,
            "certificate_url": f"{base}/certificate",
        },
    )


def _webhook_saved(**kwargs: Any) -> None:
    forget_subscriptions()


def connect() -> None:
    post_save.connect(_review_saved, sender=apps.get_model("work", "Review"), dispatch_uid="webhook-review")
    post_save.connect(
        _dataset_job_saved,
        sender=apps.get_model("datasets", "DatasetJob"),
        dispatch_uid="webhook-dataset-job",
    )
    post_save.connect(
        _delivery_saved, sender=apps.get_model("quality", "Delivery"), dispatch_uid="webhook-delivery"
    )
    post_save.connect(_webhook_saved, sender=Webhook, dispatch_uid="webhook-forget")

"""Notifications raised from other apps' signals, so their code needs no notification calls.

A handler only registers an enqueue for after the commit: the work loop's transaction pays nothing, and a
rolled-back event notifies nobody.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import transaction
from django.db.models.signals import post_save


def _later(event: str, object_id: int) -> None:
    def enqueue() -> None:
        from dure.notices.jobs import deliver

        deliver.enqueue(event, object_id)

    transaction.on_commit(enqueue)


def _review_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if instance.state == "decided" and instance.decision == "reject":
        _later("rejection", instance.pk)


def _payout_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if instance.state in {"paid", "failed"}:
        _later("payout", instance.pk)


def _grant_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if created or instance.revoked_at is not None:
        _later("reviewer_grant", instance.pk)


def _attempt_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if instance.state in {"passed", "failed"}:
        _later("exam_result", instance.pk)


def _certification_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if created:
        _later("certification", instance.pk)


def _job_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if instance.state in {"succeeded", "failed"}:
        _later("dataset_job", instance.pk)


def _delivery_saved(
    sender: Any, instance: Any, created: bool, update_fields: Any = None, **kwargs: Any
) -> None:
    if created or (update_fields and "state" in update_fields):
        _later("delivery", instance.pk)


def connect() -> None:
    for model, handler in [
        ("work.Review", _review_saved),
        ("payments.Payout", _payout_saved),
        ("quality.ReviewerGrant", _grant_saved),
        ("academy.ExamAttempt", _attempt_saved),
        ("academy.UserCertification", _certification_saved),
        ("datasets.DatasetJob", _job_saved),
        ("quality.Delivery", _delivery_saved),
    ]:
        post_save.connect(handler, sender=apps.get_model(model), dispatch_uid=f"notices-{model}")

"""Audit events recorded from signals, so files owned by other apps need no audit code of their own."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models.signals import post_delete, post_save, pre_save

from dure.audit.models import Action
from dure.audit.services import record

PRICE_FIELDS = ("price_per_item", "review_price")


def _signed_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record(Action.SIGN_IN, actor=user, target=user, via="session")


def _sign_in_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    User = apps.get_model("accounts", "User")
    user_id = User.objects.filter(username__iexact=credentials.get("username", "")).values_list(
        "pk", flat=True
    )
    record(
        Action.SIGN_IN_FAILED,
        actor=None,
        target_type="accounts.user",
        target_id=user_id.first() or "",
        username=str(credentials.get("username", ""))[:150],
    )


def _membership_before(sender: Any, instance: Any, **kwargs: Any) -> None:
    instance._audit_old_role = (
        sender.objects.filter(pk=instance.pk).values_list("role", flat=True).first() if instance.pk else None
    )


def _membership_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    old = getattr(instance, "_audit_old_role", None)
    if created or old != instance.role:
        record(
            Action.ROLE_CHANGED,
            organization=instance.organization_id,
            target_type="accounts.user",
            target_id=instance.user_id,
            old=old,
            new=instance.role,
        )


def _membership_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    record(
        Action.MEMBER_REMOVED,
        organization=instance.organization_id,
        target_type="accounts.user",
        target_id=instance.user_id,
        old=instance.role,
    )


def _project_before(sender: Any, instance: Any, **kwargs: Any) -> None:
    if not instance.pk:
        return
    old = sender.objects.filter(pk=instance.pk).values(*PRICE_FIELDS).first()
    if old is None:
        return
    changes = {f: [old[f], getattr(instance, f)] for f in PRICE_FIELDS if old[f] != getattr(instance, f)}
    if changes:
        record(Action.PRICE_CHANGED, organization=instance.organization_id, target=instance, changes=changes)


def _payout_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    record(
        Action.PAYOUT,
        target=instance,
        state=instance.state,
        gross=instance.gross,
        net=instance.net,
        user_id=instance.user_id,
    )


def _dataset_job_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if created and instance.kind == "export":
        record(
            Action.EXPORT,
            organization=instance.project.organization_id,
            target=instance.project,
            format=instance.format,
            job_id=instance.pk,
        )


def connect() -> None:
    user_logged_in.connect(_signed_in, dispatch_uid="audit-signed-in")
    user_login_failed.connect(_sign_in_failed, dispatch_uid="audit-sign-in-failed")
    membership = apps.get_model("accounts", "Membership")
    pre_save.connect(_membership_before, sender=membership, dispatch_uid="audit-membership-pre")
    post_save.connect(_membership_saved, sender=membership, dispatch_uid="audit-membership-post")
    post_delete.connect(_membership_deleted, sender=membership, dispatch_uid="audit-membership-delete")
    pre_save.connect(
        _project_before, sender=apps.get_model("projects", "Project"), dispatch_uid="audit-price"
    )
    for label, handler in [("payments.Payout", _payout_saved), ("datasets.DatasetJob", _dataset_job_saved)]:
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        post_save.connect(handler, sender=model, dispatch_uid=f"audit-{label}")

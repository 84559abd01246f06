"""The audit log: one row per security-relevant event, never changed or deleted once written.

People are stored by id only (no foreign key, no copied name): deleting an account on request turns its
name into a pseudonym everywhere, the log included, while the log itself stays whole.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppendOnly(Exception):
    pass


class AuditQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnly("the audit log is append-only")

    def delete(self) -> NoReturn:
        raise AppendOnly("the audit log is append-only")


class Action(models.TextChoices):
    SIGN_IN = "sign_in", _("Signed in")
    SIGN_IN_FAILED = "sign_in_failed", _("Sign-in failed")
    LOCKED_OUT = "locked_out", _("Locked out after repeated failures")
    TOKEN_CREATED = "token_created", _("API token created")
    MFA_ENABLED = "mfa_enabled", _("Two-factor authentication enabled")
    ORG_CREATED = "org_created", _("Organization created")
    USER_CREATED = "user_created", _("User created")
    USER_DEACTIVATED = "user_deactivated", _("User deactivated")
    USER_DELETED = "user_deleted", _("Account deleted on request")
    ROLE_CHANGED = "role_changed", _("Role changed")
    MEMBER_REMOVED = "member_removed", _("Member removed")
    INVITATION_CREATED = "invitation_created", _("Invitation created")
    INVITATION_ACCEPTED = "invitation_accepted", _("Invitation accepted")
    EXPORT = "export", _("Export")
    MEDIA_DOWNLOAD = "media_download", _("Media downloaded")
    PRICE_CHANGED = "price_changed", _("Price changed")
    PAYOUT = "payout", _("Payout")
    WEBHOOK_CHANGED = "webhook_changed", _("Webhook changed")
    AUDIT_EXPORTED = "audit_exported", _("Audit log exported")


class AuditEvent(models.Model):
    at = models.DateTimeField(default=timezone.now, db_index=True)
    organization_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True)
    #: the person the event is about (a failed sign-in has no actor, but has a subject)
    subject_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    action = models.CharField(max_length=32, choices=Action.choices)
    target_type = models.CharField(max_length=40, blank=True, default="")
    target_id = models.CharField(max_length=64, blank=True, default="")
    ip = models.GenericIPAddressField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["organization_id", "-id"], name="audit_org_recent")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} by {self.actor_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnly("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnly("the audit log is append-only")

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from dure.core.models import TimeStampedModel


class User(AbstractUser):
    display_name = models.CharField(_("display name"), max_length=150, blank=True)
    locale = models.CharField(_("language"), max_length=8, default="ko", choices=settings.LANGUAGES)

    def __str__(self) -> str:
        return self.display_name or self.username


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    MANAGER = "manager", _("Manager")
    REVIEWER = "reviewer", _("Reviewer")
    WORKER = "worker", _("Worker")
    VIEWER = "viewer", _("Viewer")


#: Roles that may create and change projects, items and members.
MANAGING_ROLES = frozenset({Role.OWNER, Role.MANAGER})


class Organization(TimeStampedModel):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True, allow_unicode=True)

    def __str__(self) -> str:
        return self.name


class Membership(TimeStampedModel):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.WORKER)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "user"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization} ({self.role})"


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the secret is shown once at creation."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100, default="")
    prefix = models.CharField(max_length=16)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

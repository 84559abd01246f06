from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from dure.accounts.models import Organization
from dure.core.models import TimeStampedModel


class ProjectStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    PAUSED = "paused", _("Paused")
    CLOSED = "closed", _("Closed")


class ProjectVisibility(models.TextChoices):
    #: only people a manager added or invited (the default: nothing is published by accident)
    PRIVATE = "private", _("Private (invite-only)")
    #: every eligible worker on the platform may find it in their recommendations and join it
    PUBLIC = "public", _("Open to eligible workers")


class Project(TimeStampedModel):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="projects")
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    guideline = models.TextField(_("guideline"), blank=True, help_text=_("Markdown"))
    spec = models.JSONField(_("interface spec"))
    price_per_item = models.PositiveIntegerField(_("price per item (KRW)"), default=0)
    review_price = models.PositiveIntegerField(_("review price (KRW)"), default=0)
    overlap = models.PositiveSmallIntegerField(
        _("overlap"), default=1, validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    max_rework_rounds = models.PositiveSmallIntegerField(_("max rework rounds"), default=2)
    lease_seconds = models.PositiveIntegerField(_("lease length (seconds)"), default=30 * 60)
    #: how long a rejected answer waits for its worker's rework before the slot goes to someone else
    rework_hours = models.PositiveIntegerField(_("time for rework (hours)"), default=72)
    #: measured active time per assignment is capped at this (a tab left open is not work)
    max_active_seconds = models.PositiveIntegerField(_("active time cap per item (seconds)"), default=60 * 60)
    #: the country whose wage floor protects this project's workers (see payments.WageFloor)
    country = models.CharField(_("country"), max_length=2, default="KR")
    #: charged to the client on top of item and review pay, in basis points (1000 = 10%)
    platform_fee_bps = models.PositiveIntegerField(_("platform fee (basis points)"), default=1000)
    #: multi-stage review: the share of 1st-stage approvals a different reviewer checks again (0 to 1) …
    second_review_rate = models.FloatField(
        _("share of approvals reviewed a 2nd time"),
        default=0.0,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
    )
    #: … and every approval by a reviewer with fewer decisions on the project than this (0: nobody is new)
    second_review_new_reviewer_decisions = models.PositiveIntegerField(
        _("2nd review of every approval by reviewers with fewer decisions than"), default=0
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ProjectStatus.choices, default=ProjectStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    visibility = models.CharField(
        _("visibility"), max_length=8, choices=ProjectVisibility.choices, default=ProjectVisibility.PRIVATE
    )
    #: the language a worker must read or speak (ISO 639-1, e.g. "ko"); blank when any language will do
    language = models.CharField(_("language of the data"), max_length=8, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["organization", "status"])]

    def __str__(self) -> str:
        return self.name

    @property
    def has_second_review(self) -> bool:
        return self.second_review_rate > 0 or self.second_review_new_reviewer_decisions > 0


class ProjectRole(models.TextChoices):
    WORKER = "worker", _("Worker")
    REVIEWER = "reviewer", _("Reviewer")
    MANAGER = "manager", _("Manager")


class ProjectMember(TimeStampedModel):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="project_memberships"
    )
    role = models.CharField(_("role"), max_length=16, choices=ProjectRole.choices, default=ProjectRole.WORKER)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "user"], name="project_member_unique")]

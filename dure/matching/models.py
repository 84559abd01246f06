"""Matching: what a person says about themselves (talent profile), what the refresh job measured about
them (worker features, skills per data type) and about each project (project features), and invitations.

The feature tables are derived data: ``jobs.refresh_*`` rebuilds them from the work, quality and academy
tables, so ranking reads one row per worker and a cached matrix of open projects instead of the history.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dure.projects.models import Project


class Device(models.TextChoices):
    PHONE = "phone", _("Phone")
    COMPUTER = "computer", _("Computer")


class TalentProfile(models.Model):
    """The person's own settings; absent means the defaults (not searchable, languages from their locale)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="talent_profile"
    )
    #: managers of any organization on this installation may find them in talent search (off by default)
    opted_in = models.BooleanField(_("show me in talent search"), default=False)
    headline = models.CharField(_("a line about you for managers"), max_length=200, blank=True, default="")
    #: languages besides the interface language, ISO 639-1 codes
    languages = models.JSONField(_("languages"), default=list, blank=True)
    #: what the person says they work on; empty means learnt from the devices they sign in with
    devices = models.JSONField(_("devices"), default=list, blank=True)
    #: learnt from the user agent at sign-in (phone / computer)
    seen_devices = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["user"], condition=Q(opted_in=True), name="talent_opted_in")]


class WorkerFeatures(models.Model):
    """One row per person who did work (or set a profile): what ranking needs about them, precomputed."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    opted_in = models.BooleanField(default=False)
    level_rank = models.PositiveSmallIntegerField(null=True, blank=True)
    level_name = models.CharField(max_length=64, blank=True, default="")
    approved = models.PositiveIntegerField(default=0)
    #: blended gold accuracy and first-pass approval over all work, 0..1
    quality = models.FloatField(null=True, blank=True)
    certifications = models.JSONField(default=list)
    languages = models.JSONField(default=list)
    devices = models.JSONField(default=list)
    #: data type → [approved, quality, median active seconds, percentile (0 = best)]
    skills = models.JSONField(default=dict)
    refreshed_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["level_rank"], condition=Q(opted_in=True), name="features_level_opted"),
        ]


class WorkerSkill(models.Model):
    """One row per person and data type, for talent search by SQL (the same numbers as ``skills``)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    data_type = models.CharField(max_length=32)
    opted_in = models.BooleanField(default=False)
    approved = models.PositiveIntegerField(default=0)
    quality = models.FloatField(null=True)
    median_seconds = models.FloatField(null=True)
    #: share of measured workers on this data type who are better, 0..1 (0.05 = top 5%)
    percentile = models.FloatField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "data_type"], name="worker_skill_unique")]
        indexes = [
            models.Index(fields=["data_type", "-quality"], condition=Q(opted_in=True), name="skill_search")
        ]


class ProjectFeatures(models.Model):
    """What a project asks of a worker and pays, derived from its spec, settings, requirements and work."""

    project = models.OneToOneField(
        Project, primary_key=True, on_delete=models.CASCADE, related_name="matching_features"
    )
    organization_id = models.BigIntegerField()
    status = models.CharField(max_length=16)
    visibility = models.CharField(max_length=8)
    data_type = models.CharField(max_length=32)
    language = models.CharField(max_length=8, blank=True, default="")
    needs_microphone = models.BooleanField(default=False)
    needs_camera = models.BooleanField(default=False)
    phone_ok = models.BooleanField(default=False)
    certifications = models.JSONField(default=list)
    qualification_exam_id = models.BigIntegerField(null=True, blank=True)
    price_per_item = models.PositiveIntegerField(default=0)
    #: median measured active seconds per approved item, or the data type's typical time before any work
    expected_seconds = models.FloatField()
    open_slots = models.PositiveIntegerField(default=0)
    #: a short one-off job: few items, a few minutes, a phone is enough
    micro = models.BooleanField(default=False)
    refreshed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["status", "refreshed_at"], name="project_features_status")]


class InvitationKind(models.TextChoices):
    PROJECT = "project", _("Work on the project")
    QUALIFICATION = "qualification", _("Take the qualification test")


class InvitationState(models.TextChoices):
    PENDING = "pending", _("Waiting for an answer")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    REVOKED = "revoked", _("Withdrawn")


class ProjectInvitation(models.Model):
    """A manager asks one person to work on a project (or take its test); accepting makes them a member."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="project_invitations"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=InvitationKind.choices, default=InvitationKind.PROJECT)
    message = models.CharField(_("message"), max_length=500, blank=True, default="")
    state = models.CharField(max_length=10, choices=InvitationState.choices, default=InvitationState.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "user"], condition=Q(state="pending"), name="invitation_pending_unique"
            )
        ]
        indexes = [models.Index(fields=["user", "state"], name="invitation_user_state")]

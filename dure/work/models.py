"""Items, their slots, and the full-inspection loop: assignments, submissions, reviews and events.

An item with ``overlap`` N has N slots; each slot is answered by a different worker and every submission
on it is reviewed. The slot carries the state machine (see ``SlotState``); assignments, submissions and
reviews are the history of who did what, and ``Event`` records every state change.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dure.projects.models import Project


class ItemState(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")


class Item(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="items")
    external_id = models.CharField(max_length=200, null=True, blank=True)
    content_hash = models.CharField(max_length=64)
    data = models.JSONField()
    state = models.CharField(max_length=8, choices=ItemState.choices, default=ItemState.OPEN)
    approved_count = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "external_id"],
                condition=Q(external_id__isnull=False),
                name="item_external_id_unique",
            ),
            # Without an external id, the content is the identity: the same data twice is one item.
            models.UniqueConstraint(
                fields=["project", "content_hash"],
                condition=Q(external_id__isnull=True),
                name="item_content_hash_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["project", "state", "id"], name="item_project_state"),
            models.Index(fields=["project", "content_hash"], name="item_content_hash"),
        ]


class SlotState(models.TextChoices):
    OPEN = "open", _("Open")
    LEASED = "leased", _("Leased")
    SUBMITTED = "submitted", _("Submitted")
    IN_REVIEW = "in_review", _("In review")
    #: approved by the 1st reviewer and picked for the project's 2nd review; not final, not paid yet
    SECOND_REVIEW = "review_2", _("Waiting for 2nd review")
    IN_SECOND_REVIEW = "in_review_2", _("In 2nd review")
    REJECTED = "rejected", _("Rejected, waiting for rework")
    APPROVED = "approved", _("Approved")


class Slot(models.Model):
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="slots")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    index = models.PositiveSmallIntegerField(default=0)
    state = models.CharField(max_length=12, choices=SlotState.choices, default=SlotState.OPEN)
    #: who holds the slot: the leasing worker, the author under review, the worker owed a rework
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    assignment = models.ForeignKey("Assignment", null=True, on_delete=models.SET_NULL, related_name="+")
    submission = models.ForeignKey("Submission", null=True, on_delete=models.SET_NULL, related_name="+")
    review = models.ForeignKey("Review", null=True, on_delete=models.SET_NULL, related_name="+")
    #: lease end (leased), review lease end (in_review) or rework deadline (rejected)
    expires_at = models.DateTimeField(null=True, blank=True)
    #: rejections of the current holder's answer on this slot
    rework_round = models.PositiveSmallIntegerField(default=0)
    #: when the slot entered the review queue; the oldest is reviewed first
    queued_at = models.DateTimeField(null=True, blank=True)
    #: within the review queue, higher first: how much the assistance flags worry about the submission
    review_priority = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "index"], name="slot_item_index_unique"),
            # One worker never holds two slots of one item (overlap means different people).
            models.UniqueConstraint(
                fields=["item", "worker"], condition=Q(worker__isnull=False), name="slot_item_worker_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["project", "id"], condition=Q(state="open"), name="slot_open_queue"),
            models.Index(
                fields=["project", "-review_priority", "queued_at", "id"],
                condition=Q(state="submitted"),
                name="slot_review_queue_flagged",
            ),
            models.Index(
                fields=["project", "queued_at", "id"],
                condition=Q(state="review_2"),
                name="slot_second_review_queue",
            ),
            models.Index(
                fields=["worker", "project"], condition=Q(state="rejected"), name="slot_rework_queue"
            ),
            models.Index(
                fields=["expires_at"],
                condition=Q(state__in=["leased", "in_review", "in_review_2", "rejected"]),
                name="slot_lease_expiry",
            ),
            models.Index(fields=["project", "state"], name="slot_project_state"),
        ]


class AssignmentState(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUBMITTED = "submitted", _("Submitted")
    RELEASED = "released", _("Released")
    EXPIRED = "expired", _("Expired")


class Assignment(models.Model):
    """A worker's time-limited lease on one slot."""

    slot = models.ForeignKey(Slot, on_delete=models.CASCADE, related_name="assignments")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments")
    state = models.CharField(max_length=10, choices=AssignmentState.choices, default=AssignmentState.ACTIVE)
    rework_round = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    last_heartbeat_at = models.DateTimeField()
    #: server-measured active time, from heartbeats, capped per item
    active_seconds = models.FloatField(default=0)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # Dispatch excludes items the worker already touched.
            models.Index(fields=["item", "worker"], name="assignment_item_worker"),
            models.Index(
                fields=["worker", "project", "started_at"],
                condition=Q(state="active"),
                name="assignment_active",
            ),
        ]


class SubmissionState(models.TextChoices):
    PENDING = "pending", _("Waiting for review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class Submission(models.Model):
    """One version of a worker's answer on a slot; a rework makes a new version."""

    slot = models.ForeignKey(Slot, on_delete=models.CASCADE, related_name="submissions")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="submissions")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    assignment = models.OneToOneField(Assignment, on_delete=models.CASCADE, related_name="submission")
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="submissions")
    version = models.PositiveSmallIntegerField()
    answer = models.JSONField()
    active_seconds = models.FloatField(default=0)
    state = models.CharField(max_length=10, choices=SubmissionState.choices, default=SubmissionState.PENDING)
    created_at = models.DateTimeField()
    #: passed the automatic checks (dure.quality.checks) when submitted; None: submitted before they ran
    checks_passed = models.BooleanField(null=True, default=None)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["slot", "version"], name="submission_slot_version_unique")
        ]


class SubmittedFile(models.Model):
    """An uploaded file an answer referenced when it was submitted, by content hash.

    The automatic checks look a new answer's files up here (by the ``(project, sha256)`` index) to refuse
    the same recording or photo submitted twice in one project, by anyone.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+")
    slot = models.ForeignKey(Slot, on_delete=models.CASCADE, related_name="+")
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="files")
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["project", "sha256"], name="submitted_file_hash")]


class ReviewState(models.TextChoices):
    ACTIVE = "active", _("In progress")
    DECIDED = "decided", _("Decided")
    EXPIRED = "expired", _("Expired")
    RELEASED = "released", _("Released")


class Decision(models.TextChoices):
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")


class Review(models.Model):
    """A reviewer's lease on one submission and, once taken, the decision."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="reviews")
    slot = models.ForeignKey(Slot, on_delete=models.CASCADE, related_name="reviews")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews")
    #: 1 for the review every submission gets, 2 for the project's sampled 2nd review of a 1st approval
    stage = models.PositiveSmallIntegerField(default=1, db_default=1)
    state = models.CharField(max_length=10, choices=ReviewState.choices, default=ReviewState.ACTIVE)
    decision = models.CharField(max_length=10, choices=Decision.choices, blank=True, default="")
    reasons = models.JSONField(default=list)
    comment = models.TextField(blank=True, default="")
    region_comments = models.JSONField(default=list)
    started_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    last_heartbeat_at = models.DateTimeField()
    active_seconds = models.FloatField(default=0)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # The database itself guarantees a submission is decided once at each stage.
            models.UniqueConstraint(
                fields=["submission", "stage"],
                condition=Q(state="decided"),
                name="review_decided_once_per_stage",
            )
        ]
        indexes = [
            models.Index(
                fields=["reviewer", "project", "started_at"],
                condition=Q(state="active"),
                name="review_active",
            )
        ]


class Event(models.Model):
    """Append-only record of every state change: who, when, what."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="events")
    slot = models.ForeignKey(Slot, null=True, on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=32)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["item", "created_at"], name="event_item_time")]

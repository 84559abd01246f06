"""Quality: gold items, gold results, per-project quality settings, pauses and appeals, audits, levels.

Scores (gold accuracy, first-pass approval, rework rate, speed) are not stored: selectors compute them
from the work tables, so the work loop writes nothing extra for them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dure.projects.models import Project
from dure.work.models import Item, Review, Submission


class QualitySettings(models.Model):
    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="quality")
    #: gold share of a worker's first ``gold_initial_items`` items on the project, then ``gold_rate``
    gold_initial_rate = models.FloatField(_("gold share of a worker's first items"), default=0.10)
    gold_initial_items = models.PositiveIntegerField(_("first items"), default=20)
    gold_rate = models.FloatField(_("gold share afterwards"), default=0.02)
    #: below this gold accuracy (over at least ``gold_min_results`` results) a worker is paused here
    gold_threshold = models.FloatField(_("minimum gold accuracy"), default=0.7)
    gold_min_results = models.PositiveIntegerField(_("gold results before pausing"), default=5)
    #: review capacity: expected wait beyond this grants the reviewer role to top workers
    review_wait_target_seconds = models.PositiveIntegerField(_("target review wait (seconds)"), default=3600)
    reviewer_min_approved = models.PositiveIntegerField(_("approved items before reviewing"), default=20)
    reviewer_min_approval_rate = models.FloatField(_("first-pass approval before reviewing"), default=0.9)
    reviewer_certification = models.ForeignKey(
        "academy.Certification", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewers_per_grant = models.PositiveSmallIntegerField(_("reviewers added at a time"), default=2)
    audit_rate = models.FloatField(_("share of decisions audited"), default=0.10)
    audit_agreement_threshold = models.FloatField(_("minimum audit agreement"), default=0.8)
    audit_min_count = models.PositiveSmallIntegerField(_("audits before demotion"), default=5)
    #: rejections on this project (in the last 30 days) after which a worker is routed away from it
    max_rejections = models.PositiveSmallIntegerField(_("rejections before routing away"), default=10)
    max_rejection_rate = models.FloatField(_("rejection rate before routing away"), default=0.5)
    #: aggregated answers (overlap > 1) less confident than this go to a senior reviewer
    adjudication_threshold = models.FloatField(_("minimum aggregation confidence"), default=0.7)
    #: client acceptance: how a delivered batch's sample is sized (see ``dure.quality.sampling``)
    acceptance_method = models.CharField(_("acceptance sampling"), max_length=12, default="iso2859")
    acceptance_aql = models.CharField(_("acceptable quality level (AQL, %)"), max_length=6, default="1.0")
    acceptance_target = models.FloatField(_("accuracy the sample must prove"), default=0.99)
    acceptance_defects = models.PositiveSmallIntegerField(_("defects allowed in the sample"), default=0)


class GoldItem(models.Model):
    """An item with a known answer. The answer lives here, never in ``item.data``, so workers cannot see it."""

    item = models.OneToOneField(Item, on_delete=models.CASCADE, related_name="gold")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="gold_items")
    answer = models.JSONField()
    explanation = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["project", "id"], name="gold_project")]


class GoldResult(models.Model):
    gold = models.ForeignKey(GoldItem, on_delete=models.CASCADE, related_name="results")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="gold_results"
    )
    submission = models.OneToOneField(Submission, on_delete=models.CASCADE, related_name="gold_result")
    score = models.FloatField()
    passed = models.BooleanField()
    feedback = models.JSONField(default=dict)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["worker", "project", "created_at"], name="gold_result_worker")]


class PauseState(models.TextChoices):
    ACTIVE = "active", _("Paused")
    LIFTED = "lifted", _("Lifted")


class Pause(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pauses")
    reason = models.CharField(max_length=32, default="low_gold_accuracy")
    gold_accuracy = models.FloatField(null=True)
    results_counted = models.PositiveIntegerField(default=0)
    threshold = models.FloatField(null=True)
    state = models.CharField(max_length=8, choices=PauseState.choices, default=PauseState.ACTIVE)
    created_at = models.DateTimeField()
    lifted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "worker"], condition=Q(state="active"), name="pause_active_unique"
            )
        ]


class AppealState(models.TextChoices):
    PENDING = "pending", _("Waiting for a decision")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class Appeal(models.Model):
    pause = models.OneToOneField(Pause, on_delete=models.CASCADE, related_name="appeal")
    message = models.TextField()
    state = models.CharField(max_length=8, choices=AppealState.choices, default=AppealState.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField()


class AuditState(models.TextChoices):
    PENDING = "pending", _("Waiting for a senior reviewer")
    DONE = "done", _("Done")


class Audit(models.Model):
    """A senior reviewer re-checks one decision; the reviewer's score is agreement with these."""

    review = models.OneToOneField(Review, on_delete=models.CASCADE, related_name="audit")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="audits")
    auditor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=8, choices=AuditState.choices, default=AuditState.PENDING)
    agrees = models.BooleanField(null=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["project", "state", "id"], name="audit_queue")]


class ReviewerGrant(models.Model):
    """The platform's own record of a reviewer role it granted (and, later, took back)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    granted_at = models.DateTimeField()
    reason = models.JSONField(default=dict)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoke_reason = models.JSONField(default=dict)


class Level(models.Model):
    """A level (등급): the highest level whose every threshold a worker meets is theirs. Data, not code."""

    rank = models.PositiveSmallIntegerField(unique=True)
    name = models.CharField(_("name"), max_length=64)
    min_approved = models.PositiveIntegerField(_("approved items"), default=0)
    min_gold_accuracy = models.FloatField(_("gold accuracy"), null=True, blank=True)
    min_approval_rate = models.FloatField(_("first-pass approval"), null=True, blank=True)
    max_rework_rate = models.FloatField(_("rework rate at most"), null=True, blank=True)

    class Meta:
        ordering = ["rank"]

    def __str__(self) -> str:
        return self.name


class AggregationMethod(models.TextChoices):
    MAJORITY = "majority", _("Majority vote (weighted by skill)")
    WAWA = "wawa", _("Wawa")
    DAWID_SKENE = "dawid_skene", _("Dawid-Skene")


class AdjudicationState(models.TextChoices):
    NONE = "none", _("Confident enough")
    PENDING = "pending", _("Waiting for a senior reviewer")
    DONE = "done", _("Adjudicated")


class AggregatedAnswer(models.Model):
    """The one answer of an item that several workers answered (overlap > 1), and how sure it is.

    Recomputed when the item is done (a quick per-item vote) and by the project job (Dawid-Skene over the
    whole project); never once a senior reviewer adjudicated it. ``final_answer`` is what exports use.
    """

    item = models.OneToOneField(Item, on_delete=models.CASCADE, related_name="aggregate")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    method = models.CharField(max_length=16, choices=AggregationMethod.choices)
    answer = models.JSONField()
    confidence = models.FloatField()
    #: per output: confidence and the method's detail
    detail = models.JSONField(default=dict)
    computed_at = models.DateTimeField()
    state = models.CharField(max_length=8, choices=AdjudicationState.choices, default=AdjudicationState.NONE)
    #: the senior reviewer holding the item in the adjudication queue, until ``lease_expires_at``
    adjudicator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    adjudicated_answer = models.JSONField(null=True, blank=True)
    adjudicated_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["project", "id"], condition=Q(state="pending"), name="adjudication_queue")
        ]

    @property
    def final_answer(self) -> Any:
        return self.adjudicated_answer if self.state == AdjudicationState.DONE else self.answer


# --- client acceptance ------------------------------------------------------------------------------------


class DeliveryState(models.TextChoices):
    INSPECTING = "inspecting", _("Waiting for the client's inspection")
    ACCEPTED = "accepted", _("Accepted")
    RETURNED = "returned", _("Returned for rework")


class SamplingMethod(models.TextChoices):
    ISO2859 = "iso2859", _("ISO 2859-1, level II, at an AQL")
    CONFIDENCE = "confidence", _("Confidence bound on accuracy")


class Delivery(models.Model):
    """A batch of approved items handed to the client, who inspects a random sample and accepts or returns it.

    The plan (sample size, Ac, Re) and the draw (seed, method, the sampled ids) are stored with the batch, so
    the client can draw the same sample again; ``certificate`` freezes the figures when the batch is decided.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="deliveries")
    number = models.PositiveIntegerField()
    state = models.CharField(max_length=12, choices=DeliveryState.choices, default=DeliveryState.INSPECTING)
    delivered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    delivered_at = models.DateTimeField()
    #: the earlier, returned delivery of the same items this one hands over again
    resubmission_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="resubmissions"
    )
    filters = models.JSONField(default=dict, blank=True)
    lot_size = models.PositiveIntegerField()
    method = models.CharField(max_length=12, choices=SamplingMethod.choices)
    #: the whole plan as ``sampling.Plan.as_dict`` (code letters, AQL or target, Ac, Re, …)
    plan = models.JSONField(default=dict)
    sample_size = models.PositiveIntegerField()
    accept_number = models.PositiveIntegerField()
    reject_number = models.PositiveIntegerField()
    seed = models.BigIntegerField()
    #: ``sampling.draw_record``: method, seed, numpy version, digest of the lot's ids, the sampled ids
    draw = models.JSONField(default=dict)
    defects = models.PositiveIntegerField(default=0)
    checked = models.PositiveIntegerField(default=0)
    decided_at = models.DateTimeField(null=True, blank=True)
    certificate = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="delivery_project_number_unique")
        ]
        indexes = [models.Index(fields=["project", "-id"], name="delivery_project")]


class DeliveryItem(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="items")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["delivery", "item"], name="delivery_item_unique")]
        indexes = [models.Index(fields=["item"], name="delivery_item_item")]


class SampleResult(models.TextChoices):
    PENDING = "pending", _("Not checked yet")
    PASSED = "passed", _("Correct")
    FAILED = "failed", _("Defective")


class SampleCheck(models.Model):
    """One sampled item and the client's verdict on it."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="samples")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+")
    #: the order in which the item was drawn (0 first)
    position = models.PositiveIntegerField()
    result = models.CharField(max_length=8, choices=SampleResult.choices, default=SampleResult.PENDING)
    reason = models.TextField(blank=True, default="")
    #: the approved slots the inspector found wrong (with overlap > 1 one answer can be wrong alone)
    wrong_slots = models.JSONField(default=list, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["delivery", "item"], name="sample_check_unique")]
        indexes = [models.Index(fields=["delivery", "position"], name="sample_check_order")]

"""AI assistance: which model a project uses, pre-label jobs, the pre-labels, and what they did to the work.

A pre-label is a suggested answer for an item from one backend. ``SubmissionAssist`` records, for each
submission of a project with assistance on, whether a suggestion was shown, how far the final answer moved
from it, and the review flags (disagreement with the model, with the worker's own history, duplicate
uploads) whose score orders the review queue.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dure.datasets.models import JobProgress, JobState
from dure.projects.models import Project
from dure.work.models import Item, Submission


class ProjectAssist(models.Model):
    """A project's choice of backend and its options (for ``http``: the URL and the timeout)."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="assist", primary_key=True)
    backend = models.CharField(_("backend"), max_length=32, blank=True, default="")
    options = models.JSONField(default=dict, blank=True)
    #: show pre-labels to workers as suggestions (off: they are only used to flag reviews)
    suggest = models.BooleanField(_("show suggestions to workers"), default=True)
    #: measure submissions and flag the ones a reviewer should look at first
    flag_reviews = models.BooleanField(_("flag submissions for review"), default=True)
    updated_at = models.DateTimeField(auto_now=True)


class AssistJob(JobProgress, models.Model):
    """One run of a backend over a project's items; states and progress as dataset jobs have them."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="assist_jobs")
    backend = models.CharField(max_length=32)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=10, choices=JobState.choices, default=JobState.QUEUED)
    params = models.JSONField(default=dict, blank=True)
    progress_done = models.BigIntegerField(default=0)
    progress_total = models.BigIntegerField(default=0)
    result = models.JSONField(default=dict, blank=True)
    error_code = models.CharField(max_length=64, blank=True, default="")
    error_message = models.TextField(blank=True, default="")
    attempts = models.PositiveSmallIntegerField(default=0)
    cancel_requested = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["project", "-created_at"], name="assist_job_project")]


class PreLabel(models.Model):
    """A backend's suggested answer for an item; a later run of the same backend replaces it."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="prelabels")
    backend = models.CharField(max_length=32)
    answer = models.JSONField()
    confidence = models.FloatField(null=True, blank=True)
    job = models.ForeignKey(AssistJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "backend"], name="prelabel_item_backend_unique")
        ]
        indexes = [models.Index(fields=["item", "-created_at"], name="prelabel_item_latest")]


class SubmissionAssist(models.Model):
    """What assistance did for one submission, and how much a reviewer should worry about it."""

    submission = models.OneToOneField(
        Submission, on_delete=models.CASCADE, primary_key=True, related_name="assist"
    )
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    #: the backend of the suggestion shown to the worker ("" when none was shown)
    suggestion_backend = models.CharField(max_length=32, blank=True, default="")
    suggestion_shown = models.BooleanField(default=False)
    #: 1.0 when the answer is the suggestion unchanged, 0.0 when nothing of it was kept
    similarity = models.FloatField(null=True, blank=True)
    #: regions added, removed or moved, and characters edited, against the suggestion
    changed_regions = models.PositiveIntegerField(default=0)
    edit_distance = models.PositiveIntegerField(default=0)
    active_seconds = models.FloatField(default=0)
    #: 0 (nothing unusual) … 1 (look at this first); the review queue is ordered by it
    flag_score = models.FloatField(default=0)
    flags = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["project", "suggestion_shown"], name="submission_assist_project")]


class WorkerHistory(models.Model):
    """Running sums of a worker's submissions in a project: their usual speed and their usual classes."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    count = models.PositiveIntegerField(default=0)
    #: over log(active seconds), so one very slow item does not make everything else look fast
    log_seconds_sum = models.FloatField(default=0)
    log_seconds_square_sum = models.FloatField(default=0)
    #: {"output:value": count} for single and multi choice answers
    classes = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "worker"], name="worker_history_unique")]


class Fingerprint(models.Model):
    """A perceptual hash of one uploaded file, split into four 16-bit bands.

    Two 64-bit hashes within Hamming distance 3 agree exactly on at least one band (pigeonhole), so
    near-duplicate candidates are found through four indexed equality lookups instead of a scan.
    """

    class Kind(models.TextChoices):
        IMAGE = "image", _("Image")
        AUDIO = "audio", _("Audio")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="+")
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    path = models.CharField(max_length=500)
    hash = models.BigIntegerField()
    band0 = models.IntegerField()
    band1 = models.IntegerField()
    band2 = models.IntegerField()
    band3 = models.IntegerField()
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["project", "kind", "band0"], name="fingerprint_band0"),
            models.Index(fields=["project", "kind", "band1"], name="fingerprint_band1"),
            models.Index(fields=["project", "kind", "band2"], name="fingerprint_band2"),
            models.Index(fields=["project", "kind", "band3"], name="fingerprint_band3"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["submission", "path"], name="fingerprint_submission_path")
        ]


__all__ = ["AssistJob", "Fingerprint", "PreLabel", "ProjectAssist", "SubmissionAssist", "WorkerHistory"]

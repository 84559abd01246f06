"""Background import and export jobs: one record per job with its state, progress, errors and result file."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dure.projects.models import Project


class JobKind(models.TextChoices):
    IMPORT = "import", _("Import")
    EXPORT = "export", _("Export")


class JobState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


FINISHED_STATES = {JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED}


class JobProgress:
    """The read side of a job record's ``state`` and ``progress_done``/``progress_total`` fields; a plain
    mixin (no fields), so the models keep their own columns and migrations."""

    state: str
    progress_done: int
    progress_total: int

    @property
    def finished(self) -> bool:
        return self.state in FINISHED_STATES

    @property
    def percent(self) -> int:
        if self.state == JobState.SUCCEEDED:
            return 100
        if not self.progress_total:
            return 0
        return min(100, int(100 * self.progress_done / self.progress_total))


class DatasetJob(JobProgress, models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="dataset_jobs")
    kind = models.CharField(max_length=8, choices=JobKind.choices)
    format = models.CharField(max_length=24)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=10, choices=JobState.choices, default=JobState.QUEUED)
    #: what the job works on: the uploaded file's storage path, a bucket URL, export filters
    params = models.JSONField(default=dict, blank=True)
    #: the phase the job is in (reading, writing), shown next to the progress bar
    phase = models.CharField(max_length=16, blank=True, default="")
    progress_done = models.BigIntegerField(default=0)
    progress_total = models.BigIntegerField(default=0)
    #: the outcome: items created and skipped for imports, rows written for exports
    result = models.JSONField(default=dict, blank=True)
    error_code = models.CharField(max_length=64, blank=True, default="")
    error_message = models.TextField(blank=True, default="")
    #: the first 100 problems, each naming its line or record
    error_report = models.JSONField(default=list, blank=True)
    result_path = models.CharField(max_length=500, blank=True, default="")
    attempts = models.PositiveSmallIntegerField(default=0)
    cancel_requested = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["project", "-created_at"], name="dataset_job_project"),
            models.Index(
                fields=["state"], condition=Q(state__in=["queued", "running"]), name="dataset_job_live"
            ),
        ]

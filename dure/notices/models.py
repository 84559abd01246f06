"""In-app notifications: what happened to a person, stored as a kind and its data, worded at display time."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    SUBMISSION_REJECTED = "submission_rejected", _("Submission rejected")
    PAYOUT_PAID = "payout_paid", _("Payout paid")
    PAYOUT_FAILED = "payout_failed", _("Payout failed")
    REVIEWER_GRANTED = "reviewer_granted", _("Reviewer role granted")
    REVIEWER_REMOVED = "reviewer_removed", _("Reviewer role removed")
    EXAM_RESULT = "exam_result", _("Exam result")
    CERTIFICATION_GAINED = "certification_gained", _("Certification gained")
    JOB_FINISHED = "job_finished", _("Import or export finished")
    JOB_FAILED = "job_failed", _("Import or export failed")
    QUESTION_ANSWERED = "question_answered", _("Question answered")
    BUDGET_LOW = "budget_low", _("Budget too low to hand out items")
    PROJECT_INVITATION = "project_invitation", _("Invitation to a project")
    PROJECT_MATCH = "project_match", _("A project that matches you opened")
    REWORK_DEADLINE = "rework_deadline", _("Rework deadline near")
    REVIEW_BACKLOG = "review_backlog", _("Review queue backing up")
    BATCH_DELIVERED = "batch_delivered", _("Batch delivered, accepted or returned")


class Notification(models.Model):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    #: the parameters the title and body are worded from, in the reader's language when shown
    data = models.JSONField(default=dict)
    link = models.CharField(max_length=300, blank=True, default="")
    #: names the event, so a job that runs twice notifies once
    key = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    #: when it went out by email (alone or in a digest); null while it waits or when mail is off
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["recipient", "key"], name="notification_once")]
        indexes = [
            models.Index(fields=["recipient", "-id"], name="notification_recipient"),
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread"),
        ]


class EmailMode(models.TextChoices):
    IMMEDIATE = "immediate", _("At once")
    DIGEST = "digest", _("Once a day")
    OFF = "off", _("Never")


class EmailPreference(models.Model):
    """Absent means the defaults: every kind, at once."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    mode = models.CharField(max_length=10, choices=EmailMode.choices, default=EmailMode.IMMEDIATE)
    #: the kinds the person does not want by email
    muted = models.JSONField(default=list, blank=True)


class Announcement(models.Model):
    """A manager's message to a project's people, pinned on the project page and the workspace until read."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["project", "-id"], name="announcement_project")]


class AnnouncementRead(models.Model):
    announcement = models.ForeignKey(Announcement, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["announcement", "user"], name="announcement_read_once")
        ]


class Question(models.Model):
    """A worker's question about a project's guideline, optionally about one item."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    asker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey("work.Item", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField(_("question"))
    created_at = models.DateTimeField(auto_now_add=True)
    #: shown in the project's FAQ beside the guideline, with its promoted answers
    in_faq = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["project", "-id"], name="question_project")]


class Answer(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(_("answer"))
    created_at = models.DateTimeField(auto_now_add=True)


class Episode(models.Model):
    """A condition of a project that is told once while it lasts (the review queue backing up): ``number``
    names the current episode in notification keys, ``open`` says whether it is going on."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    number = models.PositiveIntegerField(default=0)
    open = models.BooleanField(default=False)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "kind"], name="episode_unique")]

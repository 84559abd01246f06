"""The Academy: courses of lessons and practice items, exams with known answers, and certifications.

Practice items and exam questions each carry their own interface spec (the same document a project has),
the item data and the expected answer, so one course can mix boxes, transcriptions and choices.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dure.projects.models import Project


class Certification(models.Model):
    slug = models.SlugField(_("key"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)

    def __str__(self) -> str:
        return self.name


class Course(models.Model):
    slug = models.SlugField(_("key"), max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    published = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.title


class Lesson(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lessons")
    order = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), help_text=_("Markdown"))

    class Meta:
        ordering = ["order", "id"]


class PracticeItem(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="practice_items")
    order = models.PositiveSmallIntegerField(default=0)
    prompt = models.CharField(_("instruction"), max_length=500)
    spec = models.JSONField(_("interface spec"))
    data = models.JSONField(_("item data"))
    expected = models.JSONField(_("expected answer"))
    explanation = models.TextField(_("explanation"), blank=True)

    class Meta:
        ordering = ["order", "id"]


class PracticeAnswer(models.Model):
    practice_item = models.ForeignKey(PracticeItem, on_delete=models.CASCADE, related_name="answers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    answer = models.JSONField()
    score = models.FloatField()
    correct = models.BooleanField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["user", "practice_item"], name="practice_answer_user")]


class Exam(models.Model):
    slug = models.SlugField(_("key"), max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    course = models.ForeignKey(Course, null=True, blank=True, on_delete=models.SET_NULL, related_name="exams")
    #: a project's own qualification test (its managers wrote it); None for the platform's exams
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.CASCADE, related_name="qualification_exams"
    )
    certification = models.ForeignKey(
        Certification, null=True, blank=True, on_delete=models.SET_NULL, related_name="exams"
    )
    #: share of the possible score needed to pass, 0..1
    pass_mark = models.FloatField(_("pass mark"), default=0.8)
    time_limit_seconds = models.PositiveIntegerField(_("time limit (seconds)"), default=20 * 60)
    max_attempts = models.PositiveSmallIntegerField(_("attempts"), default=3)
    cooldown_seconds = models.PositiveIntegerField(_("wait between attempts (seconds)"), default=60 * 60)

    def __str__(self) -> str:
        return self.title


class ExamQuestion(models.Model):
    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveSmallIntegerField(default=0)
    prompt = models.CharField(_("instruction"), max_length=500)
    spec = models.JSONField(_("interface spec"))
    data = models.JSONField(_("item data"))
    expected = models.JSONField(_("expected answer"))

    class Meta:
        ordering = ["order", "id"]


class AttemptState(models.TextChoices):
    STARTED = "started", _("In progress")
    PASSED = "passed", _("Passed")
    FAILED = "failed", _("Failed")


class ExamAttempt(models.Model):
    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="attempts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exam_attempts")
    number = models.PositiveSmallIntegerField()
    state = models.CharField(max_length=8, choices=AttemptState.choices, default=AttemptState.STARTED)
    started_at = models.DateTimeField()
    deadline = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    score = models.FloatField(null=True, blank=True)
    answers = models.JSONField(default=dict)
    #: per question: the answer's score and per-output feedback
    results = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["exam", "user", "number"], name="exam_attempt_number_unique")
        ]


class UserCertification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="certifications"
    )
    certification = models.ForeignKey(Certification, on_delete=models.CASCADE, related_name="holders")
    attempt = models.ForeignKey(
        ExamAttempt, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    granted_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "certification"], name="user_certification_unique")
        ]


class ProjectRequirement(models.Model):
    """What a worker must hold before a project hands them items (kept here, beside the exams)."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="requirement")
    certifications = models.ManyToManyField(Certification, blank=True, related_name="+")
    qualification_exam = models.ForeignKey(
        Exam, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

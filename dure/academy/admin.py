from django.contrib import admin

from dure.academy.models import (
    Certification,
    Course,
    Exam,
    ExamAttempt,
    ExamQuestion,
    Lesson,
    PracticeItem,
    ProjectRequirement,
    UserCertification,
)


class LessonInline(admin.StackedInline):
    model = Lesson
    extra = 0


class PracticeInline(admin.StackedInline):
    model = PracticeItem
    extra = 0


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "order", "published")
    inlines = [LessonInline, PracticeInline]


class QuestionInline(admin.StackedInline):
    model = ExamQuestion
    extra = 0


@admin.register(Exam)
class ExamAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "certification", "project", "pass_mark", "max_attempts")
    inlines = [QuestionInline]


@admin.register(ExamAttempt)
class AttemptAdmin(admin.ModelAdmin):
    list_display = ("exam", "user", "number", "state", "score", "started_at")
    list_filter = ("state",)


admin.site.register(Certification)
admin.site.register(UserCertification)
admin.site.register(ProjectRequirement)

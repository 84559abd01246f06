from django.contrib import admin

from dure.assist.models import AssistJob, PreLabel, ProjectAssist


@admin.register(ProjectAssist)
class ProjectAssistAdmin(admin.ModelAdmin):
    list_display = ("project", "backend", "suggest", "flag_reviews", "updated_at")
    raw_id_fields = ("project",)


@admin.register(AssistJob)
class AssistJobAdmin(admin.ModelAdmin):
    list_display = ("id", "project", "backend", "state", "progress_done", "progress_total", "created_at")
    list_filter = ("backend", "state")
    raw_id_fields = ("project", "created_by")


@admin.register(PreLabel)
class PreLabelAdmin(admin.ModelAdmin):
    list_display = ("id", "project", "item", "backend", "confidence", "created_at")
    list_filter = ("backend",)
    raw_id_fields = ("project", "item", "job")

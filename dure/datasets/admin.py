from django.contrib import admin

from dure.datasets.models import DatasetJob


@admin.register(DatasetJob)
class DatasetJobAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "project",
        "kind",
        "format",
        "state",
        "progress_done",
        "progress_total",
        "created_at",
    )
    list_filter = ("kind", "state", "format")
    raw_id_fields = ("project", "created_by")
    readonly_fields = ("created_at", "started_at", "finished_at")

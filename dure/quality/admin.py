from django.contrib import admin

from dure.quality.models import Appeal, Audit, GoldItem, Level, Pause, QualitySettings, ReviewerGrant


@admin.register(Level)
class LevelAdmin(admin.ModelAdmin):
    """Levels are data: the operator edits the thresholds here, no deploy needed."""

    list_display = (
        "rank",
        "name",
        "min_approved",
        "min_gold_accuracy",
        "min_approval_rate",
        "max_rework_rate",
    )
    list_editable = ("name", "min_approved", "min_gold_accuracy", "min_approval_rate", "max_rework_rate")


@admin.register(Pause)
class PauseAdmin(admin.ModelAdmin):
    list_display = ("project", "worker", "state", "gold_accuracy", "threshold", "created_at")
    list_filter = ("state",)


for model in (Appeal, Audit, GoldItem, QualitySettings, ReviewerGrant):
    admin.site.register(model)

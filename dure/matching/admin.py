from django.contrib import admin

from dure.matching.models import ProjectFeatures, ProjectInvitation, TalentProfile, WorkerFeatures


@admin.register(TalentProfile)
class TalentProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "opted_in", "updated_at")
    list_filter = ("opted_in",)


@admin.register(ProjectInvitation)
class ProjectInvitationAdmin(admin.ModelAdmin):
    list_display = ("project", "user", "kind", "state", "created_at")
    list_filter = ("state", "kind")


@admin.register(WorkerFeatures)
class WorkerFeaturesAdmin(admin.ModelAdmin):
    list_display = ("user", "level_name", "approved", "quality", "refreshed_at")


@admin.register(ProjectFeatures)
class ProjectFeaturesAdmin(admin.ModelAdmin):
    list_display = ("project", "status", "visibility", "data_type", "micro", "refreshed_at")

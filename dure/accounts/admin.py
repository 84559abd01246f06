from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from dure.accounts.models import ApiToken, Membership, Organization, User

admin.site.register(User, UserAdmin)
admin.site.register(Organization)
admin.site.register(Membership)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["key_hash"]

from django.contrib import admin

from polku.organisations.models import Invitation, LogEntry, Membership, Organisation, Unit


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "retention_days"]
    search_fields = ["name"]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "organisation", "parent", "kind"]
    list_filter = ["organisation"]
    list_select_related = ["organisation", "parent"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "role", "unit"]
    list_filter = ["role", "organisation"]
    list_select_related = ["user", "organisation", "unit"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "organisation", "role", "expires_at", "accepted_at", "revoked_at"]
    exclude = ["token_hash"]


@admin.register(LogEntry)
class LogEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "organisation", "kind", "path"]
    list_filter = ["kind", "organisation"]
    readonly_fields = ["organisation", "kind", "path", "data", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False  # written by the system only

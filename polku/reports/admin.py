from django.contrib import admin

from polku.reports.models import ReportJob, ShareLink, WorkshopSummary


@admin.register(ShareLink)
class ShareLinkAdmin(admin.ModelAdmin):
    list_display = ["label", "path", "expires_at", "revoked_at", "created_at"]
    exclude = ["token_hash"]
    readonly_fields = ["last_used_at"]


@admin.register(ReportJob)
class ReportJobAdmin(admin.ModelAdmin):
    list_display = ["pk", "kind", "path", "language", "status", "progress", "created_at"]
    readonly_fields = ["status", "progress", "step", "error", "finished_at"]


@admin.register(WorkshopSummary)
class WorkshopSummaryAdmin(admin.ModelAdmin):
    list_display = ["workshop_day", "status", "generated_at", "sent_at"]
    exclude = ["public_token"]

from django.contrib import admin

from polku.paths.models import Path


@admin.register(Path)
class PathAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "starts_on", "ends_on", "template"]
    list_filter = ["organisation"]
    exclude = ["calendar_link_id"]

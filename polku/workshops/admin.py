from django.contrib import admin

from polku.workshops.models import AgendaSlot, WorkshopDay


class AgendaSlotInline(admin.TabularInline):
    model = AgendaSlot
    extra = 0


@admin.register(WorkshopDay)
class WorkshopDayAdmin(admin.ModelAdmin):
    list_display = ["title", "path", "starts_at", "mode", "join_code", "status"]
    inlines = [AgendaSlotInline]

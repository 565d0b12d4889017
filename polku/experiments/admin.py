from django.contrib import admin

from polku.experiments.models import (
    CheckIn,
    CheckInValue,
    Experiment,
    Measure,
    MeasureType,
    Reminder,
)


class MeasureInline(admin.TabularInline):
    model = Measure
    extra = 0


@admin.register(MeasureType)
class MeasureTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "path", "kind", "unit_label", "position"]
    list_filter = ["kind"]


@admin.register(Experiment)
class ExperimentAdmin(admin.ModelAdmin):
    list_display = ["title", "path", "unit", "status", "decision", "round_number"]
    list_filter = ["status", "decision"]
    search_fields = ["title", "topic_title"]
    raw_id_fields = ["previous_round", "adopted_from", "source_slot", "created_by"]
    inlines = [MeasureInline]


class CheckInValueInline(admin.TabularInline):
    model = CheckInValue
    extra = 0


@admin.register(CheckIn)
class CheckInAdmin(admin.ModelAdmin):
    list_display = ["experiment", "slot", "source", "needs_support", "shareable"]
    inlines = [CheckInValueInline]


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    """Delivery bookkeeping; magic-link tokens are never shown (only hashes are stored)."""

    list_display = ["experiment", "slot", "kind", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind"]
    readonly_fields = ["link"]

"""Admin: the settings and hot-spot rules are edited here; findings and alarms are written by
the passes and acted on in the analysis page, so they are read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from analysis.models import Alarm, AnalysisSettings, Hotspot, HotspotRule, RepeatPlace, TrendFlag


@admin.register(AnalysisSettings)
class AnalysisSettingsAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "hotspot_min_cases",
        "hotspot_radius_m",
        "hotspot_window_hours",
        "trend_p_value",
        "repeat_min_cases",
        "repeat_days",
        "last_run_at",
    ]
    readonly_fields = ["last_run_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not AnalysisSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(HotspotRule)
class HotspotRuleAdmin(admin.ModelAdmin):
    list_display = ["__str__", "min_cases", "radius_m", "window_hours", "is_active"]
    list_filter = ["is_active", "family"]
    autocomplete_fields = ["item"]


class _WrittenByThePasses(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Alarm)
class AlarmAdmin(_WrittenByThePasses):
    list_display = ["raised_at", "kind", "item", "region", "level", "state"]
    list_filter = ["kind", "state", "level"]
    search_fields = ["key", "region__name", "region__code", "item__name"]
    date_hierarchy = "raised_at"
    list_select_related = ["region"]


@admin.register(Hotspot)
class HotspotAdmin(_WrittenByThePasses):
    list_display = [
        "pk",
        "scope",
        "item",
        "major_class",
        "case_count",
        "region",
        "first_seen_at",
        "last_seen_at",
        "gone_at",
    ]
    list_filter = ["scope", "level"]
    list_select_related = ["item", "region"]


@admin.register(TrendFlag)
class TrendFlagAdmin(_WrittenByThePasses):
    list_display = ["item", "region", "period", "period_start", "count", "expected", "p_value"]
    list_filter = ["period", "level"]
    list_select_related = ["item", "region"]


@admin.register(RepeatPlace)
class RepeatPlaceAdmin(_WrittenByThePasses):
    list_display = [
        "place_name",
        "place_kind",
        "major_class",
        "minor_class",
        "case_count",
        "region",
        "last_closed_at",
        "gone_at",
        "supervised_at",
    ]
    list_filter = ["place_kind", "family", "level"]
    list_select_related = ["region"]

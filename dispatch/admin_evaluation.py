"""Admin for the evaluation's rules (weights, volume steps, grade bands: editable) and its
statistics (written by the rebuild only: read-only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from dispatch.models import (
    DailyStat,
    EvaluationFact,
    GradeBand,
    PatrolStandard,
    ScoreWeight,
    VolumeStep,
)


@admin.register(ScoreWeight)
class ScoreWeightAdmin(admin.ModelAdmin):
    list_display = ["group", "component", "weight"]
    list_editable = ["weight"]
    list_filter = ["group"]


@admin.register(VolumeStep)
class VolumeStepAdmin(admin.ModelAdmin):
    list_display = ["group", "up_to", "score"]
    list_filter = ["group"]


@admin.register(GradeBand)
class GradeBandAdmin(admin.ModelAdmin):
    list_display = ["grade", "min_score"]


@admin.register(PatrolStandard)
class PatrolStandardAdmin(admin.ModelAdmin):
    list_display = ["__str__", "min_covered_percent", "min_duty_hours"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not PatrolStandard.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class _WrittenByRebuild(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DailyStat)
class DailyStatAdmin(_WrittenByRebuild):
    list_display = ["day", "group", "subject", "metric", "hits", "total", "value_sum"]
    list_filter = ["group", "metric"]
    search_fields = ["subject"]
    date_hierarchy = "day"
    show_full_result_count = False


@admin.register(EvaluationFact)
class EvaluationFactAdmin(_WrittenByRebuild):
    list_display = ["day", "group", "subject", "metric", "hit", "value", "case"]
    list_filter = ["group", "metric", "hit"]
    search_fields = ["subject", "case__number"]
    date_hierarchy = "day"
    raw_id_fields = ["case"]
    show_full_result_count = False

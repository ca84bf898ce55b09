"""Admin for the working-time calendar (imported by cases/admin.py).

Every save here clears this process's calendar cache; other processes pick the change up
within cases.worktime.CALENDAR_CACHE_SECONDS.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from cases.models import CalendarDay, CalendarSource, CalendarYear, DeadlineSettings, WorkPeriod
from cases.worktime import clear_calendar_cache


class CalendarCacheAdminMixin:
    """Saving or deleting a row drops the cached calendar so the editor sees it at once."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        clear_calendar_cache()

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)  # type: ignore[misc]
        clear_calendar_cache()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        super().delete_queryset(request, queryset)  # type: ignore[misc]
        clear_calendar_cache()


@admin.register(CalendarDay)
class CalendarDayAdmin(CalendarCacheAdminMixin, admin.ModelAdmin):
    list_display = ["date", "weekday", "is_working_day", "name", "source"]
    list_filter = ["is_working_day", "source"]
    search_fields = ["name"]
    date_hierarchy = "date"
    readonly_fields = ["source"]

    @admin.display(description=_("weekday"))
    def weekday(self, obj: CalendarDay) -> str:
        return formats.date_format(obj.date, "D")

    def save_model(self, request: HttpRequest, obj: CalendarDay, form: Any, change: bool) -> None:
        # A row a person touched is theirs: seed_calendar must not revert it.
        obj.source = CalendarSource.MANUAL
        super().save_model(request, obj, form, change)


@admin.register(CalendarYear)
class CalendarYearAdmin(CalendarCacheAdminMixin, admin.ModelAdmin):
    list_display = ["year", "has_official_data", "seeded_at"]
    list_filter = ["has_official_data"]
    readonly_fields = ["seeded_at"]


@admin.register(WorkPeriod)
class WorkPeriodAdmin(CalendarCacheAdminMixin, admin.ModelAdmin):
    list_display = ["start", "end"]


@admin.register(DeadlineSettings)
class DeadlineSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "warn_share"]

    def save_model(
        self, request: HttpRequest, obj: DeadlineSettings, form: Any, change: bool
    ) -> None:
        obj.pk = DeadlineSettings.SINGLETON_ID  # the row check allows no other
        super().save_model(request, obj, form, change)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # One row only; DeadlineSettings.current() creates it when first read.
        return not DeadlineSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

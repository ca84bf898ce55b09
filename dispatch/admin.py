"""Admin for routing rules, deadline cards, supervision records and the sweeper settings."""

from __future__ import annotations

import contextlib
from typing import Any

from django.contrib import admin
from django.http import HttpRequest

import dispatch.admin_evaluation  # registers the evaluation models
from dispatch.models import DeadlineAlert, RoutingRule, Supervision, SweepSettings

# The notifications admin lives in its own module; the app works without it.
with contextlib.suppress(ImportError):
    import dispatch.admin_notifications  # noqa: F401


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ["item", "region", "unit", "auto_dispatch", "priority", "is_active"]
    list_filter = ["auto_dispatch", "is_active", "region__level"]
    search_fields = ["item__code", "item__name", "region__code", "region__name", "unit__name"]
    autocomplete_fields = ["item", "region", "unit"]


class _ReadOnlyAdmin(admin.ModelAdmin):
    """Written by the sweep only: the record of what it did."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DeadlineAlert)
class DeadlineAlertAdmin(_ReadOnlyAdmin):
    list_display = [
        "case",
        "kind",
        "stage",
        "deadline_at",
        "handling_level",
        "created_at",
        "settled_at",
    ]
    list_filter = ["kind", "stage", "handling_level"]
    search_fields = ["case__number"]
    date_hierarchy = "created_at"
    list_select_related = ["case"]


@admin.register(Supervision)
class SupervisionAdmin(_ReadOnlyAdmin):
    list_display = ["case", "stage", "from_level", "to_level", "escalated", "created_at"]
    list_filter = ["escalated", "stage", "to_level"]
    search_fields = ["case__number"]
    date_hierarchy = "created_at"
    list_select_related = ["case"]


@admin.register(SweepSettings)
class SweepSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "grace_value", "grace_unit"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not SweepSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

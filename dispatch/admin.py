"""Admin for deadline cards and the sweeper settings (routing rules and supervisions: cases)."""

from __future__ import annotations

import contextlib
from typing import Any

from django.contrib import admin
from django.http import HttpRequest

import dispatch.admin_evaluation  # registers the evaluation models
from dispatch.models import DeadlineAlert, SweepSettings

# The notifications admin lives in its own module; the app works without it.
with contextlib.suppress(ImportError):
    import dispatch.admin_notifications  # noqa: F401


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
        "supervision",
    ]
    list_filter = ["kind", "stage", "handling_level"]
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

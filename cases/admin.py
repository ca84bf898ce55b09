"""Admin: the catalogue and calendar are edited here; cases and their history are read-only
(a case changes only through the services)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

import cases.admin_calendar
import cases.admin_catalogue  # noqa: F401 - registers the catalogue models
from cases.api.auth import agency_key_revoke, token_revoke
from cases.models import (
    AgencyKey,
    ApiToken,
    Attachment,
    Case,
    CaseEvent,
    CoHandling,
    ContactAccessLog,
    Outbox,
    StageLimit,
    Supervision,
)


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CaseEventInline(ReadOnlyMixin, admin.TabularInline):
    model = CaseEvent
    extra = 0
    fields = ["created_at", "action", "actor", "actor_role", "from_status", "to_status", "note"]
    readonly_fields = fields  # type: ignore[assignment]  # the stubs narrow admin options
    ordering = ["created_at", "pk"]
    show_change_link = True


@admin.register(Case)
class CaseAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "number",
        "item",
        "status",
        "handling_level",
        "handling_unit",
        "street",
        "reported_at",
        "stage_due_at",
    ]
    list_filter = ["status", "source", "handling_level", "urgency", "closure_kind"]
    search_fields = ["number", "description", "address"]
    date_hierarchy = "reported_at"
    list_select_related = ["item", "handling_unit", "street"]
    inlines = [CaseEventInline]
    # The caller's contact is personal data: never shown here, only through the logged view.
    exclude = ["reporter_contact"]


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "case",
        "action",
        "actor",
        "actor_role",
        "from_status",
        "to_status",
    ]
    list_filter = ["action", "actor_role"]
    search_fields = ["case__number", "request_id"]
    list_select_related = ["case", "actor"]


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["created_at", "case", "original_format", "width", "height", "size"]
    list_select_related = ["case"]


@admin.register(Outbox)
class OutboxAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["created_at", "topic", "case", "state", "attempts", "next_attempt_at"]
    list_filter = ["state", "topic"]
    list_select_related = ["case"]


@admin.register(Supervision)
class SupervisionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Written by the `supervise` action (a person or the deadline sweep) only."""

    list_display = [
        "created_at",
        "case",
        "kind",
        "created_by",
        "stage",
        "to_level",
        "escalated",
        "due_at",
        "settled_at",
    ]
    list_filter = ["kind", "escalated", "stage", "to_level"]
    search_fields = ["case__number"]
    date_hierarchy = "created_at"
    list_select_related = ["case", "created_by"]


@admin.register(CoHandling)
class CoHandlingAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Written by the joint-handling actions only."""

    list_display = ["added_at", "case", "unit", "signed_at", "fed_back_at", "removed_at"]
    search_fields = ["case__number", "unit__name"]
    list_select_related = ["case", "unit"]


@admin.register(StageLimit)
class StageLimitAdmin(admin.ModelAdmin):
    list_display = ["stage", "limit_value", "limit_unit"]
    list_editable = ["limit_value", "limit_unit"]


@admin.register(ContactAccessLog)
class ContactAccessLogAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Who read which caller's contact, when and why (auditors read this)."""

    list_display = ["accessed_at", "user", "role", "case", "full", "reason", "ip"]
    list_filter = ["full", "role"]
    search_fields = ["user__username", "case__number", "reason"]
    date_hierarchy = "accessed_at"
    list_select_related = ["user", "case"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Handheld tokens: see who holds one and revoke it (the secret itself is never stored)."""

    list_display = [
        "user",
        "prefix",
        "device",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]
    list_filter = ["revoked_at"]
    search_fields = ["user__username", "prefix", "device"]
    readonly_fields = list_display  # type: ignore[assignment]  # the stubs narrow admin options
    fields = list_display  # type: ignore[assignment]  # the stubs narrow admin options
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        for token in queryset:
            token_revoke(token=token)


@admin.register(AgencyKey)
class AgencyKeyAdmin(admin.ModelAdmin):
    """One key per agency system; issue with `manage.py agency_key NAME --source CHANNEL`."""

    list_display = ["name", "source", "prefix", "rate", "created_at", "revoked_at", "last_used_at"]
    readonly_fields = [
        "name",
        "source",
        "user",
        "prefix",
        "created_at",
        "revoked_at",
        "last_used_at",
    ]
    fields = [*readonly_fields, "rate"]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Revoke the selected keys"))
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        for key in queryset:
            agency_key_revoke(key=key)

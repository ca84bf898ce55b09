"""Admin for notifications: the dead-letter list (with a retry action) and the inbox."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cases.admin import ReadOnlyMixin
from dispatch.models.notifications import DeadLetter, InboxMessage, NotificationDelivery
from dispatch.notifications import outbox_retry_dead


class NotificationDeliveryInline(ReadOnlyMixin, admin.TabularInline):
    model = NotificationDelivery
    fk_name = "outbox"
    extra = 0
    fields = ["recipient", "channel", "delivered_at"]
    readonly_fields = ["recipient", "channel", "delivered_at"]


@admin.register(DeadLetter)
class DeadLetterAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Notifications that failed their last try. "Retry" queues them again."""

    list_display = ["created_at", "topic", "case", "attempts", "last_error"]
    list_filter = ["topic"]
    search_fields = ["case__number", "topic"]
    list_select_related = ["case"]
    readonly_fields = [
        "case",
        "event",
        "topic",
        "recipients",
        "payload",
        "state",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
    ]
    inlines = [NotificationDeliveryInline]
    actions = ["retry"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Needed for the action; every field stays read-only.
        return bool(request.user.has_perm("cases.change_outbox"))

    @admin.action(description=_("Retry the selected notifications"))
    def retry(self, request: HttpRequest, queryset: QuerySet[DeadLetter]) -> None:
        count = outbox_retry_dead(outbox_ids=queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            ngettext(
                "%(count)d notification queued again.",
                "%(count)d notifications queued again.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(InboxMessage)
class InboxMessageAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["created_at", "user", "title", "case_number", "topic", "read_at"]
    list_filter = ["topic"]
    search_fields = ["user__username", "case_number", "title"]
    list_select_related = ["user"]

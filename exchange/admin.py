"""Admin: webhook subscriptions, their deliveries (the dead-letter list, redelivery), and
agencies' feed scopes."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cases.admin import ReadOnlyMixin
from exchange.delivery import webhook_redeliver
from exchange.models import AgencyScope, Subscription, WebhookDelivery
from exchange.services import subscription_rotate_secret
from exchange.signing import new_secret


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    """The secret is shown once, when the subscription is made or its secret rotated."""

    list_display = ["name", "url", "kind", "agency", "region", "is_active", "created_at"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "url"]
    filter_horizontal = ["items"]
    autocomplete_fields = ["region"]
    fields = ["name", "url", "kind", "agency", "event_types", "items", "region", "is_active"]
    actions = ["rotate_secret"]

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "url":
            kwargs["assume_scheme"] = "https"
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Subscription, form: Any, change: bool) -> None:
        if not change:
            obj.secret = new_secret()
            obj.created_at = timezone.now()
        super().save_model(request, obj, form, change)
        if not change:
            self.message_user(
                request,
                _("Signing secret of %(name)s (shown once): %(secret)s")
                % {"name": obj.name, "secret": obj.secret},
                messages.WARNING,
            )

    @admin.action(description=_("Rotate the signing secret (shown once)"))
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> None:
        for subscription in queryset:
            secret = subscription_rotate_secret(subscription=subscription)
            self.message_user(
                request,
                _("New signing secret of %(name)s (shown once): %(secret)s")
                % {"name": subscription.name, "secret": secret},
                messages.WARNING,
            )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Every delivery; filter on "Dead letter" for the dead-letter list. "Redeliver" queues
    the selected ones again with a fresh set of tries."""

    list_display = [
        "created_at",
        "subscription",
        "case",
        "event",
        "state",
        "attempts",
        "last_status",
        "delivered_at",
    ]
    list_filter = ["state", "subscription"]
    search_fields = ["case__number", "subscription__name"]
    list_select_related = ["subscription", "case", "event"]
    readonly_fields = [
        "subscription",
        "event",
        "case",
        "state",
        "attempts",
        "next_attempt_at",
        "last_status",
        "last_error",
        "created_at",
        "delivered_at",
    ]
    actions = ["redeliver"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Needed for the action; every field stays read-only.
        return bool(request.user.has_perm("exchange.change_webhookdelivery"))

    @admin.action(description=_("Redeliver the selected events"))
    def redeliver(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        count = webhook_redeliver(delivery_ids=queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            ngettext(
                "%(count)d event queued for delivery again.",
                "%(count)d events queued for delivery again.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(AgencyScope)
class AgencyScopeAdmin(admin.ModelAdmin):
    """What an agency's key may read from GET /api/v1/exchange/cases/."""

    list_display = ["agency", "region"]
    filter_horizontal = ["items"]
    autocomplete_fields = ["region"]

"""Admin: citizen accounts (phone masked), Open311 clients (keys are issued by
`manage.py open311_client`), how catalogue items show in Open311."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from cases.intake import mask_phone
from citizens.models import CitizenProfile, Open311Client, Open311Request, Open311Service


@admin.register(CitizenProfile)
class CitizenProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "masked_phone", "phone_verified_at", "created_at"]
    fields = ["user", "masked_phone", "phone_verified_at", "created_at"]
    readonly_fields = ["user", "masked_phone", "phone_verified_at", "created_at"]
    # Searching by the whole number finds the account without showing it.
    search_fields = ["=phone"]

    @admin.display(description=_("phone"))
    def masked_phone(self, obj: CitizenProfile) -> str:
        return mask_phone(obj.phone)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Open311Client)
class Open311ClientAdmin(admin.ModelAdmin):
    list_display = ["name", "contact", "source", "prefix", "rate", "is_active", "last_used_at"]
    list_filter = ["is_active", "source"]
    fields = [
        "name",
        "contact",
        "source",
        "prefix",
        "rate",
        "is_active",
        "created_at",
        "last_used_at",
    ]
    readonly_fields = ["name", "source", "prefix", "created_at", "last_used_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Open311Service)
class Open311ServiceAdmin(admin.ModelAdmin):
    list_display = ["item", "published", "service_type", "group", "keywords"]
    list_filter = ["published", "service_type"]
    autocomplete_fields = ["item"]


@admin.register(Open311Request)
class Open311RequestAdmin(admin.ModelAdmin):
    list_display = ["case", "client", "created_at"]
    list_filter = ["client"]
    fields = ["case", "client", "token", "media_url", "attributes", "created_at"]
    readonly_fields = ["case", "client", "token", "media_url", "attributes", "created_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

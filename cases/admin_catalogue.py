"""Admin for the responsibility catalogue: domains, items with their filing conditions, and the
urgency factors. Imported by cases.admin, which registers the rest of the app."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from cases.models import (
    Domain,
    EntryLevelRule,
    FilingCondition,
    Item,
    RoutingRule,
    UrgencyFactor,
)


class ItemInline(admin.TabularInline):
    model = Item
    extra = 0
    fields = ("code", "name", "family", "default_unit", "is_active")
    readonly_fields = fields
    show_change_link = True
    can_delete = False
    ordering = ["code"]

    def has_add_permission(self, request: HttpRequest, obj: Domain | None = None) -> bool:
        # Items are added on their own page, with their filing conditions.
        return False


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "ordering", "item_count"]
    list_editable = ["ordering"]
    search_fields = ["code", "name"]
    inlines = [ItemInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Domain]:
        return super().get_queryset(request).annotate(item_count=Count("items"))

    @admin.display(description=_("items"), ordering="item_count")
    def item_count(self, obj: Domain) -> int:
        return obj.item_count  # type: ignore[attr-defined]


class FilingConditionInline(admin.StackedInline):
    model = FilingCondition
    extra = 0
    min_num = 1  # every item has at least one filing condition
    fields = [
        ("code", "order"),
        "description",
        "closing_condition",
        ("limit_value", "limit_unit"),
    ]


class EntryLevelRuleInline(admin.TabularInline):
    """A street's or community's own entry level for the item (DOMAIN.md §5)."""

    model = EntryLevelRule
    extra = 0
    fields = ["region", "entry_level", "is_active"]
    autocomplete_fields = ["region"]


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "domain",
        "family",
        "major_class",
        "minor_class",
        "default_unit",
        "entry_level",
        "is_active",
    ]
    list_filter = ["domain", "family", "entry_level", "major_class", "is_active", "default_unit"]
    list_editable = ["entry_level"]
    search_fields = ["code", "name", "legal_basis", "handling_standard", "conditions__description"]
    list_select_related = ["domain", "default_unit"]
    autocomplete_fields = ["default_unit"]
    inlines = [FilingConditionInline, EntryLevelRuleInline]
    fieldsets = (
        (None, {"fields": ("domain", ("code", "name"), "family", ("major_class", "minor_class"))}),
        (
            _("Responsibility"),
            {"fields": (("default_unit", "default_unit_code"), "entry_level", "is_active")},
        ),
        (_("Rules"), {"fields": ("legal_basis", "handling_standard")}),
        (
            _("Duplicate search"),
            {"fields": (("duplicate_radius_m", "duplicate_window_hours"),)},
        ),
    )


@admin.register(UrgencyFactor)
class UrgencyFactorAdmin(admin.ModelAdmin):
    list_display = ["urgency", "factor"]
    list_display_links = ["urgency"]
    list_editable = ["factor"]


@admin.register(EntryLevelRule)
class EntryLevelRuleAdmin(admin.ModelAdmin):
    list_display = ["item", "region", "entry_level", "is_active"]
    list_filter = ["entry_level", "is_active", "region__level"]
    search_fields = ["item__code", "item__name", "region__code", "region__name"]
    autocomplete_fields = ["item", "region"]
    list_select_related = ["item", "region"]


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ["item", "region", "unit", "auto_dispatch", "priority", "is_active"]
    list_filter = ["auto_dispatch", "is_active", "region__level"]
    search_fields = ["item__code", "item__name", "region__code", "region__name", "unit__name"]
    autocomplete_fields = ["item", "region", "unit"]
    list_select_related = ["item", "region", "unit"]

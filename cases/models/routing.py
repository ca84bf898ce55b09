"""Catalogue data per place (item × region): where a case starts and which unit handles it.

Both are read when a case is reported or dispatched (cases.routing), so they live with the
catalogue in cases; the command centre's automatic dispatch (dispatch.routing) reads the
routing rules from here.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models.catalogue import EntryLevel

__all__ = ["EntryLevelRule", "RoutingRule"]


class EntryLevelRule(models.Model):
    """A street or community's own entry level for an item (DOMAIN.md §5: "a street can
    override an item's level for its own area"). The most specific rule for the case's place
    wins (community over street); without one the item's entry level holds."""

    item = models.ForeignKey(
        "cases.Item",
        on_delete=models.CASCADE,
        related_name="entry_level_rules",
        verbose_name=_("item"),
    )
    region = models.ForeignKey(
        "grids.Region",
        on_delete=models.CASCADE,
        related_name="entry_level_rules",
        limit_choices_to={"level__in": ["street", "community"]},
        verbose_name=_("street or community"),
    )
    entry_level = models.CharField(_("entry level"), max_length=10, choices=EntryLevel.choices)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("entry level rule")
        verbose_name_plural = _("entry level rules")
        ordering = ["item", "region"]
        constraints = [
            models.UniqueConstraint(fields=["item", "region"], name="entrylevelrule_item_region"),
            models.CheckConstraint(
                condition=Q(entry_level__in=EntryLevel.values),
                name="entrylevelrule_entry_level_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item} @ {self.region} → {self.get_entry_level_display()}"


class RoutingRule(models.Model):
    """Which unit handles an item in a region; no region means the whole district.

    The most specific matching rule wins (grid > community > street > district), then the
    higher priority.
    """

    item = models.ForeignKey(
        "cases.Item",
        on_delete=models.CASCADE,
        related_name="routing_rules",
        verbose_name=_("item"),
    )
    region = models.ForeignKey(
        "grids.Region",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="routing_rules",
        verbose_name=_("region"),
        help_text=_("Empty: the whole district."),
    )
    unit = models.ForeignKey(
        "grids.Unit",
        on_delete=models.PROTECT,
        related_name="routing_rules",
        verbose_name=_("unit"),
    )
    auto_dispatch = models.BooleanField(
        _("dispatch automatically"),
        default=False,
        help_text=_("Filed cases matching this rule are dispatched without a dispatcher."),
    )
    priority = models.SmallIntegerField(
        _("priority"), default=0, help_text=_("Breaks ties between equally specific rules.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["item", "region", "-priority"]
        indexes = [
            models.Index(
                fields=["item", "region"],
                name="cases_routingrule_active_item",
                condition=Q(is_active=True),
            )
        ]

    def __str__(self) -> str:
        where = self.region.name if self.region is not None else _("whole district")
        return f"{self.item} @ {where} → {self.unit}"

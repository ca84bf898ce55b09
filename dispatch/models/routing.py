"""Routing rules: catalogue item × region → the unit that handles it."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

__all__ = ["RoutingRule"]


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
                name="routingrule_active_item",
                condition=Q(is_active=True),
            )
        ]

    def __str__(self) -> str:
        where = self.region.name if self.region is not None else _("whole district")
        return f"{self.item} @ {where} → {self.unit}"

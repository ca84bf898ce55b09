"""The population picture's nightly figures, one row per grid (citizens.stats).

A region's figures are the sums of its grids' rows, so the district's roll-up reads 1,188 small
rows instead of the half million persons behind them. Rebuilt whole, in one transaction, by
Celery beat every night, at the end of generate_population and by `rebuild_registry_stats`;
`computed_at` is shown with every figure read from here.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["GridFigures"]


class GridFigures(models.Model):
    grid = models.OneToOneField(
        "grids.Region",
        to_field="code",
        db_column="grid_code",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("grid"),
    )
    persons = models.PositiveIntegerField(_("persons"), default=0)
    households = models.PositiveIntegerField(_("households"), default=0)
    dwellings = models.PositiveIntegerField(_("dwellings"), default=0)
    homes = models.PositiveIntegerField(_("dwellings for living in"), default=0)
    vacant_dwellings = models.PositiveIntegerField(_("vacant dwellings"), default=0)
    buildings = models.PositiveIntegerField(_("buildings"), default=0)
    organisations = models.PositiveIntegerField(_("organisations"), default=0)
    # {"M": [count per age band], "F": [...], "unknown": count}; bands in citizens.stats.
    pyramid = models.JSONField(_("age and sex"), default=dict)
    key_groups = models.JSONField(_("key groups"), default=dict)  # {group code: count}
    organisation_kinds = models.JSONField(_("organisations by kind"), default=dict)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        ordering = ["grid"]
        verbose_name = _("grid's population figures")
        verbose_name_plural = _("grids' population figures")

    def __str__(self) -> str:
        return f"{self.grid_id} {self.computed_at:%Y-%m-%d %H:%M}"

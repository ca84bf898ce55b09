"""Evaluation (考核评价): its settings as data, the per-case facts and the daily statistics.

- ScoreWeight, VolumeStep, GradeBand: the scoring rules (DOMAIN.md §6 values seeded by the
  migration, editable in the admin).
- EvaluationFact: one row per case × metric × subject, the figure's evidence. A drill-down
  lists the cases behind a figure from these rows.
- DailyStat: the facts summed per day × metric × subject. Reports sum these rows; a
  rebuild of a day deletes and re-inserts its rows in one transaction.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

__all__ = [
    "DailyStat",
    "EvaluationFact",
    "GradeBand",
    "Group",
    "PatrolStandard",
    "ScoreWeight",
    "VolumeStep",
]


class Group(models.TextChoices):
    """Who is scored: four staff roles, the handling units and two region levels."""

    INSPECTOR = "inspector", _("Inspectors")
    INTAKE = "intake", _("Intake operators")
    SUPERVISOR = "supervisor", _("Shift supervisors")
    DISPATCHER = "dispatcher", _("Dispatchers")
    UNIT = "unit", _("Handling units")
    STREET = "street", _("Streets")
    COMMUNITY = "community", _("Communities")


class ScoreWeight(models.Model):
    group = models.CharField(_("group"), max_length=12, choices=Group.choices)
    component = models.CharField(_("component"), max_length=32)
    weight = models.DecimalField(
        _("weight (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )

    class Meta:
        ordering = ["group", "component"]
        verbose_name = _("score weight")
        verbose_name_plural = _("score weights")
        constraints = [
            models.UniqueConstraint(fields=["group", "component"], name="scoreweight_unique"),
            models.CheckConstraint(
                condition=Q(weight__gte=0, weight__lte=100), name="scoreweight_0_to_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_group_display()} {self.component}: {self.weight}"


class VolumeStep(models.Model):
    """Volume score: the first step (by ascending up_to) whose up_to holds the count wins;
    the step without up_to takes every larger count."""

    group = models.CharField(_("group"), max_length=12, choices=Group.choices)
    up_to = models.PositiveIntegerField(
        _("up to (cases a month)"), null=True, blank=True, help_text=_("Empty: any larger count.")
    )
    score = models.DecimalField(
        _("score"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )

    class Meta:
        ordering = ["group", models.F("up_to").asc(nulls_last=True)]
        verbose_name = _("volume score step")
        verbose_name_plural = _("volume score steps")
        constraints = [
            models.UniqueConstraint(fields=["group", "up_to"], name="volumestep_unique"),
            models.CheckConstraint(
                condition=Q(score__gte=0, score__lte=100), name="volumestep_0_to_100"
            ),
        ]

    def __str__(self) -> str:
        bound = "∞" if self.up_to is None else str(self.up_to)
        return f"{self.get_group_display()} ≤ {bound}: {self.score}"


class GradeBand(models.Model):
    """A grade and the lowest score that earns it."""

    grade = models.CharField(_("grade"), max_length=2, unique=True)
    min_score = models.DecimalField(
        _("from score"),
        max_digits=5,
        decimal_places=2,
        unique=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )

    class Meta:
        ordering = ["-min_score"]
        verbose_name = _("grade band")
        verbose_name_plural = _("grade bands")

    def __str__(self) -> str:
        return f"{self.grade} ≥ {self.min_score}"


class EvaluationFact(models.Model):
    """One case's contribution to one metric of one subject on one day.

    `hit` is the metric's numerator (e.g. "on time", "filed", "reworked"); `value` carries
    a rating for the satisfaction metrics. Rewritten per case by the statistics rebuild.
    """

    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="+", verbose_name=_("case")
    )
    day = models.DateField(_("day"))
    metric = models.CharField(_("metric"), max_length=32)
    group = models.CharField(_("group"), max_length=12, choices=Group.choices)
    subject = models.CharField(_("subject"), max_length=20)
    hit = models.BooleanField(_("counts in the numerator"))
    value = models.PositiveIntegerField(_("value"), default=0)

    class Meta:
        verbose_name = _("evaluation fact")
        verbose_name_plural = _("evaluation facts")
        indexes = [
            models.Index(fields=["day"], name="evalfact_day"),
            models.Index(fields=["group", "subject", "metric", "day"], name="evalfact_drill"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.metric} {self.group}:{self.subject} #{self.case_id}"


class DailyStat(models.Model):
    """The facts of one day summed per metric and subject."""

    day = models.DateField(_("day"))
    metric = models.CharField(_("metric"), max_length=32)
    group = models.CharField(_("group"), max_length=12, choices=Group.choices)
    subject = models.CharField(_("subject"), max_length=20)
    total = models.PositiveIntegerField(_("cases"))
    hits = models.PositiveIntegerField(_("numerator"))
    value_sum = models.PositiveIntegerField(_("sum of values"), default=0)

    class Meta:
        ordering = ["day", "group", "subject", "metric"]
        verbose_name = _("daily statistic")
        verbose_name_plural = _("daily statistics")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "group", "subject", "metric"], name="dailystat_unique"
            ),
            models.CheckConstraint(condition=Q(hits__lte=models.F("total")), name="dailystat_hits"),
        ]
        indexes = [models.Index(fields=["group", "day"], name="dailystat_group_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.metric} {self.group}:{self.subject} {self.hits}/{self.total}"


class PatrolStandard(models.Model):
    """What an inspector's working day of patrol must reach to count as done (local practice);
    the single row, read with PatrolStandard.current()."""

    SINGLETON_ID = 1

    min_covered_percent = models.DecimalField(
        _("share of own grids covered, at least (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(60),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Covered: within 30 m of the day's cleaned track."),
    )
    min_duty_hours = models.DecimalField(
        _("time on duty, at least (hours)"),
        max_digits=4,
        decimal_places=2,
        default=Decimal(6),
        validators=[MinValueValidator(0), MaxValueValidator(24)],
    )

    class Meta:
        verbose_name = _("patrol standard")
        verbose_name_plural = _("patrol standard")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="patrolstandard_single_row"),
            models.CheckConstraint(
                condition=Q(min_covered_percent__gte=0, min_covered_percent__lte=100)
                & Q(min_duty_hours__gte=0, min_duty_hours__lte=24),
                name="patrolstandard_in_range",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Patrol standard"))

    @classmethod
    def current(cls) -> PatrolStandard:
        row, _created = cls.objects.get_or_create(pk=cls.SINGLETON_ID)
        return row

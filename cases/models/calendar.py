"""The working-time calendar (DOMAIN.md §7): which days are working days, the daily working
hours, and the share of a limit at which the yellow card shows.

Monday–Friday are working days unless a CalendarDay row says otherwise, so rows exist only for
the exceptions: public holidays on weekdays and weekend days made working days (调休). The
arithmetic lives in cases.worktime, which reads these tables through load_calendar().
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

__all__ = [
    "CalendarDay",
    "CalendarSource",
    "CalendarYear",
    "DeadlineSettings",
    "LimitUnit",
    "WorkPeriod",
]


class LimitUnit(models.TextChoices):
    """How a time limit is counted (DOMAIN.md §3)."""

    WORKING_HOURS = "working_hours", _("working hours")
    WORKING_DAYS = "working_days", _("working days")
    NATURAL_HOURS = "natural_hours", _("natural hours")


class CalendarSource(models.TextChoices):
    OFFICIAL = "official", _("Official (seeded from the holidays package)")
    MANUAL = "manual", _("Manual (edited by staff)")


class CalendarDay(models.Model):
    """An exception to the Monday–Friday rule; a row for any date overrides the rule."""

    date = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(_("working day"))
    name = models.CharField(_("name"), max_length=100, blank=True)
    source = models.CharField(
        _("source"),
        max_length=10,
        choices=CalendarSource.choices,
        default=CalendarSource.MANUAL,
        help_text=_(
            "Rows saved in the admin become manual; seed_calendar never overwrites manual rows."
        ),
    )

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")

    def __str__(self) -> str:
        kind = _("working day") if self.is_working_day else _("day off")
        return f"{self.date.isoformat()} {kind} {self.name}".rstrip()


class CalendarYear(models.Model):
    """Whether a year's official arrangement is known; without it the year counts Mon–Fri."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    has_official_data = models.BooleanField(
        _("has official data"),
        default=False,
        help_text=_(
            "Set once the year's holiday arrangement (published late in the year before) "
            "is in the calendar."
        ),
    )
    seeded_at = models.DateTimeField(_("seeded at"), null=True, blank=True)

    class Meta:
        ordering = ["year"]
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")

    def __str__(self) -> str:
        return str(self.year)


class WorkPeriod(models.Model):
    """One stretch of daily working hours; every working day has all of them."""

    start = models.TimeField(_("start"), unique=True)
    end = models.TimeField(_("end"))

    class Meta:
        ordering = ["start"]
        verbose_name = _("working period")
        verbose_name_plural = _("working periods")
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")), name="workperiod_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"

    def clean(self) -> None:
        # Overlaps span rows, so no portable row check can catch them; the admin form does.
        if self.start is None or self.end is None:
            return
        if self.end <= self.start:
            raise ValidationError({"end": _("A working period must end after it starts.")})
        overlapping = WorkPeriod.objects.filter(start__lt=self.end, end__gt=self.start)
        if self.pk is not None:
            overlapping = overlapping.exclude(pk=self.pk)
        if overlapping.exists():
            raise ValidationError(_("Working periods must not overlap."))


class DeadlineSettings(models.Model):
    """The single row of deadline settings; read it with DeadlineSettings.current()."""

    SINGLETON_ID = 1

    warn_share = models.DecimalField(
        _("warning share"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.80"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("1.00"))],
        help_text=_("The yellow card shows once this share of a limit has passed."),
    )

    class Meta:
        verbose_name = _("deadline settings")
        verbose_name_plural = _("deadline settings")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="deadlinesettings_single_row"),
            models.CheckConstraint(
                condition=Q(warn_share__gt=0, warn_share__lte=1),
                name="deadlinesettings_warn_share_range",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Deadline settings"))

    @classmethod
    def current(cls) -> DeadlineSettings:
        settings_row, _created = cls.objects.get_or_create(pk=cls.SINGLETON_ID)
        return settings_row

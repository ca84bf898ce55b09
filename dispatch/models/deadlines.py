"""Deadline cards (yellow, red) and the sweeper's settings. The supervisions (督办) a red card
leads to are cases.Supervision (written through the workflow's `supervise` action)."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models import LimitUnit

__all__ = ["DeadlineAlert", "SweepSettings"]


class DeadlineAlert(models.Model):
    """A card issued once per stage instance (and, for red cards, once per level the case
    climbs to): the unique constraint makes the sweep idempotent.

    A stage instance is the case's stage clock as it stands: when the stage starts afresh, is
    extended or resumes, its instants change and the cards of the new clock are new rows.
    """

    class Kind(models.TextChoices):
        YELLOW = "yellow", _("Yellow card (warning)")
        RED = "red", _("Red card (overdue)")

    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.CASCADE,
        related_name="deadline_alerts",
        verbose_name=_("case"),
        db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    stage = models.CharField(_("stage"), max_length=20)
    stage_started_at = models.DateTimeField(_("stage started at"))
    # The instant the card is for: the stage's warn_at (yellow) or due_at (red).
    deadline_at = models.DateTimeField(_("deadline"))
    handling_level = models.CharField(_("handling level"), max_length=10)
    created_at = models.DateTimeField(_("issued at"))
    # Red cards: when the grace runs out and the case is escalated; cleared once settled.
    escalate_at = models.DateTimeField(_("escalate at"), null=True, blank=True)
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)
    # Red cards: the supervision the sweep recorded once the grace ran out.
    supervision = models.OneToOneField(
        "cases.Supervision",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="alert",
        verbose_name=_("supervision"),
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("deadline card")
        verbose_name_plural = _("deadline cards")
        constraints = [
            # Per level too: a case escalated and still overdue gets a red card at the next
            # level, whose grace then runs for that level's command (DOMAIN.md §5).
            models.UniqueConstraint(
                fields=["case", "kind", "stage_started_at", "deadline_at", "handling_level"],
                name="deadlinealert_once_per_stage_level",
            )
        ]
        indexes = [
            models.Index(
                fields=["escalate_at"],
                name="deadlinealert_escalation_due",
                condition=Q(kind="red", settled_at__isnull=True),
            ),
            models.Index(fields=["kind", "created_at"], name="deadlinealert_kind_time"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.case_id} {self.stage}"


class SweepSettings(models.Model):
    """The single row of sweeper settings; read it with SweepSettings.current()."""

    SINGLETON_ID = 1

    grace_value = models.DecimalField(
        _("overdue grace"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("2"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("How long a case may stay overdue before it is escalated one level up."),
    )
    grace_unit = models.CharField(
        _("grace unit"),
        max_length=20,
        choices=LimitUnit.choices,
        default=LimitUnit.WORKING_HOURS,
    )

    class Meta:
        verbose_name = _("sweeper settings")
        verbose_name_plural = _("sweeper settings")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="sweepsettings_single_row"),
            models.CheckConstraint(
                condition=Q(grace_value__gte=0), name="sweepsettings_grace_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return str(_("Sweeper settings"))

    @classmethod
    def current(cls) -> SweepSettings:
        row, _created = cls.objects.get_or_create(pk=cls.SINGLETON_ID)
        return row

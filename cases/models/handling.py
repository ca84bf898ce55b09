"""Joint handling (联办) and supervision (督办): records the workflow writes beside the case.

Both are written only by cases.services, in the transaction of the action that made them
(`add_co_handler`, `co_sign_for`, `co_feedback`, `remove_co_handler`; `supervise`), so the
case's history and these rows never disagree.

Supervision lives here, not in dispatch, although the deadline sweep (dispatch) is what
supervises overdue cases automatically: a leader's or shift supervisor's `supervise` is a
workflow action, and the services (cases) may not import the command centre. The sweep
takes the same action as the system (`case_transition(action="supervise", actor=None)`),
so there is one writer and one list, and each supervision has its `supervise` event.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models.case import HandlingLevel

__all__ = ["CoHandling", "Supervision"]


class CoHandling(models.Model):
    """A second unit handling its part of a dispatched case (联办).

    The lead unit is the case's handling unit; each co-handling unit signs for its part and
    feeds it back. The case is handled when the lead unit feeds back. The unit's handlers
    see the case through a django-guardian object permission (`cases.co_handle_case`),
    granted to the unit's members when the unit is added and withdrawn when it is removed
    (or when an approved return ends the dispatch it belonged to). Someone posted to the unit
    later is not granted the case; releasing and adding the unit again grants them.
    """

    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.CASCADE,
        related_name="co_handlings",
        verbose_name=_("case"),
    )
    unit = models.ForeignKey(
        "grids.Unit",
        on_delete=models.PROTECT,
        related_name="co_handlings",
        verbose_name=_("unit"),
    )
    added_at = models.DateTimeField(_("added at"))
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("added by"),
    )
    signed_at = models.DateTimeField(_("signed for at"), null=True, blank=True)
    fed_back_at = models.DateTimeField(_("fed back at"), null=True, blank=True)
    feedback_note = models.TextField(_("feedback"), blank=True)
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)

    class Meta:
        ordering = ["added_at", "pk"]
        verbose_name = _("co-handling unit")
        verbose_name_plural = _("co-handling units")
        constraints = [
            # A unit co-handles a case once at a time; removed and added again is a new row.
            models.UniqueConstraint(
                fields=["case", "unit"],
                condition=Q(removed_at__isnull=True),
                name="cohandling_once_per_case_unit",
            ),
        ]
        indexes = [
            models.Index(
                fields=["unit", "case"],
                name="cohandling_active_unit",
                condition=Q(removed_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"#{self.case_id} + {self.unit_id}"

    @property
    def is_active(self) -> bool:
        return self.removed_at is None


class Supervision(models.Model):
    """督办: a case supervised by a district leader or shift supervisor (with a due date), or
    by the deadline sweep when an overdue case passed its grace (escalated one level up, or
    urged at the district). Settled when the stage it was supervised in ends."""

    class Kind(models.TextChoices):
        MANUAL = "manual", _("By a leader or supervisor")
        AUTOMATIC = "automatic", _("By the deadline sweep")

    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.CASCADE,
        related_name="supervisions",
        verbose_name=_("case"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # The `supervise` event; empty only for automatic supervisions recorded before there was
    # one (copied from the command centre's former table).
    event = models.OneToOneField(
        "cases.CaseEvent",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="supervision",
        verbose_name=_("event"),
        # Not a database constraint: see Attachment.event (events are partitioned).
        db_constraint=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("supervised by"),
    )
    stage = models.CharField(_("stage"), max_length=20, blank=True)
    handling_unit = models.ForeignKey(
        "grids.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handling unit"),
    )
    # The sweep escalates before it supervises: the level the case was overdue at, and the
    # level it is supervised at. A person supervises where the case is (both the same).
    from_level = models.CharField(_("from level"), max_length=10, choices=HandlingLevel.choices)
    to_level = models.CharField(_("level"), max_length=10, choices=HandlingLevel.choices)
    escalated = models.BooleanField(_("escalated"), default=False)
    escalation_event = models.ForeignKey(
        "cases.CaseEvent",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("escalation event"),
        db_constraint=False,
    )
    note = models.TextField(_("note"), blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("supervision")
        verbose_name_plural = _("supervisions")
        indexes = [
            models.Index(fields=["case", "created_at"], name="supervision_case_time"),
            models.Index(fields=["-created_at"], name="supervision_newest"),
            models.Index(
                fields=["due_at"],
                name="supervision_open_due",
                condition=Q(settled_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.case_id} {self.get_kind_display()} {self.created_at:%Y-%m-%d}"

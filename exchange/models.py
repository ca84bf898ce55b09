"""Exchange with other agencies' systems: webhook subscriptions and their deliveries, the
incremental feed's events, and where a case came in from (for the answers back).

- `ExchangeEvent`: one per case event, written in the transaction of the action. Its `seq`
  is the feed's cursor, given after commit by `exchange.feed` in commit order.
- `Subscription`: an agency's webhook, filtered by event type, item and region; or the
  callback of an agency key that reported cases (answers back).
- `WebhookDelivery`: one per (subscription, event), the state of sending it.
- `CaseOrigin`: the agency (or channel) and ticket number a case came in with.
- `AgencyScope`: what an agency key may read from the feed (region and items).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Subscription(models.Model):
    class Kind(models.TextChoices):
        FILTERED = "filtered", _("Case events by filter")
        ANSWERS_BACK = "answers_back", _("Answers back on the agency's own cases")

    name = models.CharField(_("name"), max_length=100, unique=True)
    url = models.URLField(_("webhook URL"), max_length=500)
    # Kept readable: every delivery is signed with it. Shown once, when made; never in the
    # admin.
    secret = models.CharField(_("signing secret"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.FILTERED)
    agency = models.ForeignKey(
        "cases.AgencyKey",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="subscriptions",
        verbose_name=_("agency key"),
        help_text=_("For answers back: the key whose cases (and channel) are reported back."),
    )
    # Empty: every event type (case actions, e.g. "dispatch", "close").
    event_types = models.JSONField(_("event types"), default=list, blank=True)
    items = models.ManyToManyField(
        "cases.Item",
        blank=True,
        related_name="+",
        verbose_name=_("items"),
        help_text=_("None chosen: every item."),
    )
    region = models.ForeignKey(
        "grids.Region",
        to_field="code",
        db_column="region_code",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("region"),
        help_text=_("Empty: every region."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="answers_back") | Q(agency__isnull=False),
                name="subscription_answers_back_has_agency",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """What the admin form checks (the command line checks the same in
        exchange.services.subscription_create)."""
        from cases.workflow import Action

        errors: dict[str, Any] = {}
        if self.kind == self.Kind.ANSWERS_BACK and self.agency_id is None:
            errors["agency"] = _("Answers back need the agency key whose cases they report.")
        known = {str(action) for action in Action}
        if not isinstance(self.event_types, list) or not all(
            isinstance(e, str) and e in known for e in self.event_types
        ):
            errors["event_types"] = _('A list of case actions, e.g. ["dispatch", "close"].')
        if errors:
            raise ValidationError(errors)


class AgencyScope(models.Model):
    """What an agency's key may read from the feed: the cases of a region, of some items."""

    agency = models.OneToOneField(
        "cases.AgencyKey",
        on_delete=models.CASCADE,
        related_name="exchange_scope",
        verbose_name=_("agency key"),
    )
    region = models.ForeignKey(
        "grids.Region",
        to_field="code",
        db_column="region_code",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("region"),
    )
    items = models.ManyToManyField(
        "cases.Item",
        blank=True,
        related_name="+",
        verbose_name=_("items"),
        help_text=_("None chosen: every item."),
    )

    class Meta:
        verbose_name = _("agency feed scope")
        verbose_name_plural = _("agency feed scopes")

    def __str__(self) -> str:
        return f"{self.agency} · {self.region_id}"


class CaseOrigin(models.Model):
    """The agency or channel ticket a case came in with through intake."""

    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, related_name="origin", verbose_name=_("case")
    )
    agency = models.ForeignKey(
        "cases.AgencyKey",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agency key"),
    )
    channel = models.CharField(_("source channel"), max_length=20)
    external_id = models.CharField(_("external ticket number"), max_length=64)

    class Meta:
        verbose_name = _("case origin")
        verbose_name_plural = _("case origins")

    def __str__(self) -> str:
        return f"{self.channel}:{self.external_id}"


class ExchangeEvent(models.Model):
    """A case event as other systems see it. `data` is frozen when the event happens."""

    case_event = models.OneToOneField(
        "cases.CaseEvent",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("case event"),
        # Not a database constraint: case events are partitioned by month on PostgreSQL and
        # cannot be referenced by id alone; they are append-only, so this cannot dangle.
        db_constraint=False,
    )
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("case"),
        db_index=False,
    )
    type = models.CharField(_("event type"), max_length=32)
    created_at = models.DateTimeField(_("at"))
    data = models.JSONField(_("data"), default=dict)
    # The feed's position, given in commit order after commit (exchange.feed); None until.
    seq = models.BigIntegerField(_("feed position"), null=True, blank=True, unique=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("exchange event")
        verbose_name_plural = _("exchange events")
        indexes = [
            models.Index(fields=["case", "id"], name="exchangeevent_case"),
            models.Index(fields=["id"], name="exchangeevent_unsequenced", condition=Q(seq=None)),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.case_id}"


class FeedSequence(models.Model):
    """The one row that hands out feed positions, locked by whoever hands them out."""

    last = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("feed sequence")
        verbose_name_plural = _("feed sequence")

    def __str__(self) -> str:
        return str(self.last)


class WebhookDelivery(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        DEAD = "dead", _("Dead letter")

    subscription = models.ForeignKey(
        Subscription,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("subscription"),
        db_index=False,
    )
    event = models.ForeignKey(
        ExchangeEvent, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("event")
    )
    # Denormalised from the event: order is kept per (subscription, case).
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("case"),
        db_index=False,
    )
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    last_error = models.TextField(_("last error"), blank=True)
    last_status = models.PositiveSmallIntegerField(_("last HTTP status"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event"], name="webhookdelivery_once_per_event"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="webhookdelivery_due",
                condition=Q(state="pending"),
            ),
            models.Index(fields=["subscription", "case", "event"], name="webhookdelivery_order"),
        ]

    def __str__(self) -> str:
        return f"{self.subscription} ← {self.event_id}"

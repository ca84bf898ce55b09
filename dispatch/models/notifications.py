"""Notifications: the in-app inbox, the per-recipient delivery log and the dead-letter list.

The outbox itself (`cases.Outbox`) is written by the case services in the case transaction;
`dispatch.notifications` delivers it.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models import Outbox

__all__ = ["DeadLetter", "InboxMessage", "NotificationDelivery", "PushSubscription"]


class InboxMessage(models.Model):
    """A notification shown in the user's in-app inbox."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="inbox_messages",
        verbose_name=_("user"),
        # The (user, created_at) index below leads with the user.
        db_index=False,
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("case"),
    )
    case_number = models.CharField(_("case number"), max_length=24, blank=True)
    # Where the message leads when it is not about one case (an analysis alarm's page).
    link = models.CharField(_("link"), max_length=200, blank=True, default="")
    topic = models.CharField(_("topic"), max_length=40)
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("inbox message")
        verbose_name_plural = _("inbox messages")
        indexes = [
            models.Index(fields=["user", "-created_at"], name="inbox_user_newest"),
            models.Index(
                fields=["user"], name="inbox_user_unread", condition=Q(read_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return self.title


class NotificationDelivery(models.Model):
    """One outbox message delivered to one recipient through one channel.

    Unique per (message, recipient, channel): a retry after a partial failure skips the
    recipients already served, so nobody gets the same notification twice.
    """

    outbox = models.ForeignKey(
        Outbox,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("outbox message"),
        db_index=False,
    )
    # "user:<id>" or "contact:<id>": never the address itself (personal data).
    recipient = models.CharField(_("recipient"), max_length=40)
    channel = models.CharField(_("channel"), max_length=20)
    delivered_at = models.DateTimeField(_("delivered at"))

    class Meta:
        verbose_name = _("notification delivery")
        verbose_name_plural = _("notification deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["outbox", "recipient", "channel"], name="notification_delivery_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.outbox_id} {self.recipient} {self.channel}"


class DeadLetterManager(models.Manager["DeadLetter"]):
    def get_queryset(self) -> models.QuerySet[DeadLetter]:
        return super().get_queryset().filter(state=Outbox.State.DEAD)


class DeadLetter(Outbox):
    """Outbox messages that failed their last try: the admin lists them and retries them."""

    objects: ClassVar[DeadLetterManager] = DeadLetterManager()  # type: ignore[assignment]

    class Meta:
        proxy = True
        verbose_name = _("dead letter")
        verbose_name_plural = _("dead letters")


class PushSubscription(models.Model):
    """A browser's Web Push subscription (one service worker on one device) for a user.

    The endpoint is the push service's URL for that browser; p256dh and auth are the keys the
    payload is encrypted to (RFC 8291). A browser that logs in as someone else takes its
    endpoint along; a push service answering 404 or 410 ends the subscription.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="push_subscriptions",
        verbose_name=_("user"),
    )
    endpoint = models.URLField(_("endpoint"), max_length=1000, unique=True)
    p256dh = models.CharField(_("public key (p256dh)"), max_length=200)
    auth = models.CharField(_("auth secret"), max_length=100)
    user_agent = models.CharField(_("browser"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"))
    last_sent_at = models.DateTimeField(_("last sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("push subscription")
        verbose_name_plural = _("push subscriptions")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.endpoint[:60]}"

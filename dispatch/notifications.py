"""Delivering the outbox: recipients, channels (backends), retries and the dead-letter list.

The case services write `cases.Outbox` rows in the transaction that changed the case, so a
rolled-back action leaves nothing to send. `deliver_outbox` claims due rows, resolves who they
are for, and hands one `Delivery` per recipient to every configured backend. Each successful
(row, recipient, channel) is recorded in `NotificationDelivery`, so a retry after a partial
failure sends only what has not gone out yet. A row that keeps failing moves to the dead-letter
list after NOTIFICATION_MAX_ATTEMPTS tries; an administrator sends it back with
`outbox_retry_dead`.

Claiming works as a lease: in a short transaction the due rows are locked
(`select_for_update(skip_locked=True)`) and their next attempt is pushed past the lease, so
no other worker takes them while they are being sent, and a worker that dies mid-send leaves
them to be taken again once the lease runs out.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from cases.intake import mask_phone
from cases.models import Contact, Outbox, Status
from cases.workflow import topic_label
from dispatch.models.notifications import InboxMessage, NotificationDelivery
from grids.models import CODE_LENGTH, Post, Role, User
from grids.selectors import unit_member_ids

logger = logging.getLogger(__name__)

DEFAULT_BACKENDS = [
    "dispatch.notifications.InboxBackend",
    "dispatch.notifications.EmailBackend",
    "dispatch.notifications.LoggingSmsBackend",
    "dispatch.notifications.LoggingWechatBackend",
    "dispatch.webpush.WebPushBackend",
]

# --- messages and recipients --------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """Someone to notify: a staff or citizen account, or a caller known only by phone."""

    key: str  # "user:<id>" or "contact:<id>": safe to log and to store
    user: User | None = None
    phone: str = ""

    @property
    def email(self) -> str:
        return self.user.email if self.user is not None else ""


@dataclass(frozen=True)
class Delivery:
    """One notification for one recipient, as every backend receives it."""

    outbox_id: int
    topic: str
    recipient: Recipient
    title: str
    body: str
    case_id: int | None
    case_number: str
    created_at: datetime
    payload: dict[str, Any] = field(default_factory=dict)


def region_ancestor_codes(region_code: str) -> list[str]:
    """The region and every region above it, by the code prefix rule (370203001 → 370203, …)."""
    return [
        region_code[:length]
        for length in sorted(set(CODE_LENGTH.values()))
        if length <= len(region_code)
    ]


def _users_with_roles_over(roles: Iterable[str], region_code: str) -> list[User]:
    roles = set(roles)
    posts = Q(pk__in=[])
    command_roles = roles - {Role.INSPECTOR}
    if command_roles:
        # A post over the region or any region containing it covers the region.
        posts |= Q(role__in=command_roles, region__code__in=region_ancestor_codes(region_code))
    if Role.INSPECTOR in roles:
        # Inspectors hear only about their own grid.
        posts |= Q(role=Role.INSPECTOR, region__code=region_code)
    user_ids = Post.objects.filter(posts, is_active=True).values("user_id")
    return list(User.objects.filter(pk__in=user_ids, is_active=True).order_by("pk"))


def _users_posted_on(roles: Iterable[str], region_code: str) -> list[User]:
    """Users holding one of the roles on exactly this region: a level's own command."""
    user_ids = Post.objects.filter(
        role__in=sorted(set(roles)), region__code=region_code, is_active=True
    ).values("user_id")
    return list(User.objects.filter(pk__in=user_ids, is_active=True).order_by("pk"))


def resolve_recipients(recipients: dict[str, Any]) -> list[Recipient]:
    """Who an outbox row is for, read now (posts may have changed since it was written).

    The rows cases.outbox writes name `groups` (roles posted on a region: a level's command,
    a grid's inspectors) and `units`; rows written before that named one `roles` over a
    `region` (that region and the regions above it) and one `unit`.
    """
    users: list[User] = []
    for group in recipients.get("groups") or []:
        users += _users_posted_on(group.get("roles") or [], str(group.get("region", "")))
    if recipients.get("roles") and recipients.get("region"):
        users += _users_with_roles_over(recipients["roles"], str(recipients["region"]))
    unit_ids = [int(u) for u in recipients.get("units") or []]
    if recipients.get("unit"):
        unit_ids.append(int(recipients["unit"]))
    if unit_ids:
        member_ids = sorted(unit_member_ids(unit_ids))
        users += User.objects.filter(pk__in=member_ids, is_active=True).order_by("pk")
    if recipients.get("users"):
        users += User.objects.filter(pk__in=recipients["users"], is_active=True).order_by("pk")
    resolved: dict[str, Recipient] = {}
    for user in users:
        resolved.setdefault(f"user:{user.pk}", Recipient(key=f"user:{user.pk}", user=user))
    if recipients.get("contact"):
        contact = Contact.objects.filter(pk=recipients["contact"]).first()
        if contact is not None and contact.phone.strip():
            key = f"contact:{contact.pk}"
            resolved[key] = Recipient(key=key, phone=contact.phone.strip())
    return list(resolved.values())


# Labels of the topics that are not about one case's action (cases.workflow labels those):
# the apps that write them register them at start-up (analysis.apps: its alarms).
_OTHER_TOPIC_LABELS: dict[str, Promise] = {}


def register_topic_labels(labels: dict[str, Promise]) -> None:
    """Say what topics written by another app mean to a reader (lazy, translated on reading)."""
    _OTHER_TOPIC_LABELS.update(labels)


def label_of(topic: str) -> Promise | None:
    """What a topic means to its reader, wherever it is defined; None for a stranger."""
    return topic_label(topic) or _OTHER_TOPIC_LABELS.get(topic)


def _render(row: Outbox) -> tuple[str, str]:
    payload = row.payload or {}
    # Every topic we write has a label; a stranger reads as an update.
    label = label_of(row.topic) or _("Case update")
    if row.case_id is None:
        # Not about one case (an analysis alarm): "label: subject", the summary below.
        title = _("%(label)s: %(subject)s") % {
            "label": label,
            "subject": payload.get("subject", ""),
        }
        return title[:200], str(payload.get("summary", ""))
    number = payload.get("number", "")
    title = _("Case %(number)s: %(label)s") % {"number": number, "label": label}
    status = payload.get("status", "")
    status_label = Status(status).label if status in Status.values else status
    lines = [_("Item: %(item)s") % {"item": payload.get("item", "")}]
    if payload.get("address"):  # a report placed on the map alone has none
        lines.append(_("Address: %(address)s") % {"address": payload["address"]})
    lines.append(_("Status: %(status)s") % {"status": status_label})
    if payload.get("stage_due_at"):
        due = datetime.fromisoformat(payload["stage_due_at"])
        lines.append(
            _("Due: %(due)s") % {"due": timezone.localtime(due).strftime("%Y-%m-%d %H:%M")}
        )
    return title, "\n".join(lines)


# --- backends -----------------------------------------------------------------------------------


class NotificationBackend:
    """A channel. `send` raises on failure; a backend that cannot reach a recipient skips them.

    `channel` names the channel in the delivery log: a real SMS gateway replacing the logging
    one keeps the channel "sms", so switching gateways resends nothing.
    """

    channel: str = ""

    def accepts(self, recipient: Recipient) -> bool:
        raise NotImplementedError

    def send(self, message: Delivery) -> None:
        raise NotImplementedError


class InboxBackend(NotificationBackend):
    """The in-app inbox of every staff and citizen account."""

    channel = "inbox"

    def accepts(self, recipient: Recipient) -> bool:
        return recipient.user is not None

    def send(self, message: Delivery) -> None:
        assert message.recipient.user is not None  # noqa: S101 - accepts() guarantees it
        link = str(message.payload.get("url", ""))
        InboxMessage.objects.create(
            user=message.recipient.user,
            title=message.title,
            body=message.body,
            case_id=message.case_id,
            case_number=message.case_number,
            # Only a path on this site: a payload never sends anyone elsewhere.
            link=link if link.startswith("/") and not link.startswith("//") else "",
            topic=message.topic,
            created_at=message.created_at,
        )


class EmailBackend(NotificationBackend):
    """Email through Django's mail settings, to accounts that have an address."""

    channel = "email"

    def accepts(self, recipient: Recipient) -> bool:
        return bool(recipient.email)

    def send(self, message: Delivery) -> None:
        send_mail(
            subject=message.title,
            message=message.body,
            from_email=None,
            recipient_list=[message.recipient.email],
            fail_silently=False,
        )


class SmsBackend(NotificationBackend):
    """Text messages to callers who left a phone number and to staff with one on file.

    Subclasses implement `send_sms`; the phone number is personal data, so it is never logged
    unmasked.
    """

    channel = "sms"

    def accepts(self, recipient: Recipient) -> bool:
        return bool(self.phone_of(recipient))

    @staticmethod
    def phone_of(recipient: Recipient) -> str:
        if recipient.phone:
            return recipient.phone
        return recipient.user.phone.strip() if recipient.user is not None else ""

    def send(self, message: Delivery) -> None:
        self.send_sms(self.phone_of(message.recipient), f"{message.title}\n{message.body}")

    def send_sms(self, phone: str, text: str) -> None:
        raise NotImplementedError


class LoggingSmsBackend(SmsBackend):
    """The default SMS gateway: writes the message to the log (phone masked)."""

    def send_sms(self, phone: str, text: str) -> None:
        logger.info("SMS to %s: %s", mask_phone(phone), text.splitlines()[0] if text else "")


class WechatBackend(NotificationBackend):
    """WeChat work/official-account messages to staff accounts. Subclasses talk to WeChat."""

    channel = "wechat"

    def accepts(self, recipient: Recipient) -> bool:
        return recipient.user is not None

    def send(self, message: Delivery) -> None:
        assert message.recipient.user is not None  # noqa: S101 - accepts() guarantees it
        self.send_wechat(message.recipient.user, message)

    def send_wechat(self, user: User, message: Delivery) -> None:
        raise NotImplementedError


class LoggingWechatBackend(WechatBackend):
    """The default WeChat gateway: writes the message to the log."""

    def send_wechat(self, user: User, message: Delivery) -> None:
        logger.info("WeChat to user %s: %s", user.pk, message.title)


@cache
def _backend_class(path: str) -> type[NotificationBackend]:
    return import_string(path)  # type: ignore[no-any-return]


def get_backends() -> list[NotificationBackend]:
    paths: Sequence[str] = getattr(settings, "NOTIFICATION_BACKENDS", DEFAULT_BACKENDS)
    return [_backend_class(path)() for path in paths]


# --- delivery -----------------------------------------------------------------------------------


@dataclass
class DeliveryResult:
    claimed: int = 0
    sent: int = 0  # rows fully delivered
    retried: int = 0  # rows that failed and will be tried again
    dead: int = 0  # rows that failed their last try
    deliveries: int = 0  # (recipient, channel) sends in this run


def max_attempts() -> int:
    return int(getattr(settings, "NOTIFICATION_MAX_ATTEMPTS", 6))


def retry_delay(attempts: int) -> timedelta:
    """Backoff after the n-th failed try: base × 2^(n-1), capped (30 s, 1 min, 2 min, … ≤ 1 h)."""
    base = float(getattr(settings, "NOTIFICATION_RETRY_BASE_SECONDS", 30))
    cap = float(getattr(settings, "NOTIFICATION_RETRY_MAX_SECONDS", 3600))
    return timedelta(seconds=min(cap, base * 2 ** max(attempts - 1, 0)))


def _lease() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "NOTIFICATION_LEASE_SECONDS", 300)))


def _claim(now: datetime, batch_size: int) -> list[Outbox]:
    """Take up to batch_size due rows for this worker; others skip them until the lease ends."""
    with transaction.atomic():
        rows = list(
            Outbox.objects.select_for_update(skip_locked=True)
            .filter(state=Outbox.State.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "pk")[:batch_size]
        )
        claimed: list[Outbox] = []
        lease_until = now + _lease()
        for row in rows:
            # Conditional on the value read: SpatiaLite has no row locks, so two workers may
            # read the same row, and only the one whose update matches takes it.
            taken = Outbox.objects.filter(
                pk=row.pk, state=Outbox.State.PENDING, next_attempt_at=row.next_attempt_at
            ).update(next_attempt_at=lease_until)
            if taken:
                claimed.append(row)
        return claimed


def _deliver_one(
    row: Outbox, backends: Sequence[NotificationBackend], now: datetime
) -> tuple[int, list[str]]:
    """Send a row to every recipient on every channel not yet done; return (sends, errors)."""
    recipients = resolve_recipients(row.recipients or {})
    # In the site's language, whichever process delivers: a worker has none active, and a web
    # or test thread would otherwise lend the language of the last request it served.
    with translation.override(settings.LANGUAGE_CODE):
        title, body = _render(row)
    done = set(NotificationDelivery.objects.filter(outbox=row).values_list("recipient", "channel"))
    sends = 0
    errors: list[str] = []
    for recipient in recipients:
        message = Delivery(
            outbox_id=row.pk,
            topic=row.topic,
            recipient=recipient,
            title=title,
            body=body,
            case_id=row.case_id,
            case_number=str((row.payload or {}).get("number", "")),
            created_at=row.created_at,
            payload=dict(row.payload or {}),
        )
        for backend in backends:
            if (recipient.key, backend.channel) in done or not backend.accepts(recipient):
                continue
            try:
                # The in-app message and its log row commit together: exactly once.
                with transaction.atomic():
                    backend.send(message)
                    NotificationDelivery.objects.create(
                        outbox=row,
                        recipient=recipient.key,
                        channel=backend.channel,
                        delivered_at=now,
                    )
            except IntegrityError:
                # Another worker delivered it meanwhile (an expired lease): ours rolled back.
                continue
            except Exception as exc:
                errors.append(f"{recipient.key} {backend.channel}: {type(exc).__name__}: {exc}")
                logger.warning(
                    "Notification %s to %s via %s failed: %s",
                    row.pk,
                    recipient.key,
                    backend.channel,
                    type(exc).__name__,
                )
                continue
            sends += 1
    return sends, errors


def deliver_outbox(*, now: datetime | None = None, batch_size: int = 100) -> DeliveryResult:
    """Deliver one batch of due outbox rows. Safe to run in several processes at once."""
    now = now or timezone.now()
    result = DeliveryResult()
    rows = _claim(now, batch_size)
    result.claimed = len(rows)
    if not rows:
        return result
    backends = get_backends()
    limit = max_attempts()
    for row in rows:
        sends, errors = _deliver_one(row, backends, now)
        result.deliveries += sends
        if not errors:
            Outbox.objects.filter(pk=row.pk).update(
                state=Outbox.State.SENT, last_error="", attempts=row.attempts + 1
            )
            result.sent += 1
            continue
        attempts = row.attempts + 1
        error = "\n".join(errors)[:4000]
        if attempts >= limit:
            Outbox.objects.filter(pk=row.pk).update(
                state=Outbox.State.DEAD, attempts=attempts, last_error=error
            )
            result.dead += 1
            logger.error("Notification %s is dead after %s attempts", row.pk, attempts)
        else:
            Outbox.objects.filter(pk=row.pk).update(
                attempts=attempts,
                last_error=error,
                next_attempt_at=now + retry_delay(attempts),
            )
            result.retried += 1
    return result


def outbox_retry_dead(*, outbox_ids: Iterable[int], now: datetime | None = None) -> int:
    """Send dead letters back to the queue, with a fresh set of tries. Returns how many."""
    now = now or timezone.now()
    count = Outbox.objects.filter(pk__in=list(outbox_ids), state=Outbox.State.DEAD).update(
        state=Outbox.State.PENDING, attempts=0, next_attempt_at=now
    )
    if count:
        enqueue_delivery()
    return count


# --- Celery -------------------------------------------------------------------------------------


@shared_task(acks_late=True, ignore_result=True)
def deliver_outbox_task() -> int:
    """Deliver what is due (beat every few seconds, and a kick after each commit)."""
    batch_size = int(getattr(settings, "NOTIFICATION_BATCH_SIZE", 100))
    result = deliver_outbox(batch_size=batch_size)
    if result.claimed >= batch_size:
        # More may be waiting: go on in a fresh task rather than holding this worker.
        _send_task()
    return result.deliveries


def _send_task() -> None:
    try:
        # A kick older than a minute is worth nothing: the beat sweep has been by since.
        deliver_outbox_task.apply_async(expires=60)
    except Exception:
        # The broker is down: the beat sweep (or the next kick) delivers it later.
        logger.warning("Could not enqueue notification delivery; the next sweep will deliver")


def _kick() -> None:
    _send_task()


def enqueue_delivery() -> None:
    """Ask a worker to deliver once the current transaction commits (at once outside one).

    One kick per transaction is enough however many rows it wrote: a kick already registered
    in this block or one enclosing it goes (or is discarded) together with this row.
    """
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        enclosing = set(connection.savepoint_ids)
        if any(
            callback is _kick and sids <= enclosing
            for sids, callback, _robust in connection.run_on_commit
        ):
            return
    transaction.on_commit(_kick, robust=True)


def outbox_saved(sender: type[Outbox], instance: Outbox, created: bool, **kwargs: Any) -> None:
    """post_save receiver (wired in DispatchConfig.ready): schedules delivery only."""
    if (
        created
        and instance.state == Outbox.State.PENDING
        and getattr(settings, "NOTIFICATION_KICK_ON_COMMIT", True)
    ):
        enqueue_delivery()

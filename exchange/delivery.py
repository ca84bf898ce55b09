"""Delivering webhooks: claimed from `WebhookDelivery` rows, retried with backoff, dead
letters kept for an administrator to send again. Order is kept per (subscription, case): a
delivery is claimed only when every earlier event of its case to the same subscriber has
been delivered, so a dead letter holds its case's later events back until it is resent.

Claiming is a lease, as in dispatch.notifications: in a short transaction the due rows are
locked (`select_for_update(skip_locked=True)` on PostgreSQL) and their next attempt is moved
past the lease. A worker that dies mid-send leaves the row to be taken again when the lease
runs out; the receiver may then see an event twice, and recognises it by its CloudEvents
`id` (delivery is at least once, and exactly once to a receiver that answers 2xx in time).
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from celery import shared_task
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from exchange.events import body_bytes, cloud_event
from exchange.models import CaseOrigin, Subscription, WebhookDelivery
from exchange.signing import HEADER, signature_header

logger = logging.getLogger(__name__)


def max_attempts() -> int:
    return int(getattr(settings, "EXCHANGE_MAX_ATTEMPTS", 8))


def retry_delay(attempts: int) -> timedelta:
    """Backoff after the n-th failed try: base × 2^(n-1), capped (30 s, 1 min, 2 min … ≤ 1 h)."""
    base = float(getattr(settings, "EXCHANGE_RETRY_BASE_SECONDS", 30))
    cap = float(getattr(settings, "EXCHANGE_RETRY_MAX_SECONDS", 3600))
    return timedelta(seconds=min(cap, base * 2 ** max(attempts - 1, 0)))


def _lease() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "EXCHANGE_LEASE_SECONDS", 120)))


def _timeout() -> tuple[float, float]:
    return (
        float(getattr(settings, "EXCHANGE_CONNECT_TIMEOUT_SECONDS", 5)),
        float(getattr(settings, "EXCHANGE_READ_TIMEOUT_SECONDS", 10)),
    )


def _claim(now: datetime, batch_size: int) -> list[WebhookDelivery]:
    """Take up to batch_size due deliveries whose earlier events (same subscriber, same case)
    have all gone out; other workers skip them until the lease ends."""
    earlier_undelivered = WebhookDelivery.objects.filter(
        subscription_id=OuterRef("subscription_id"),
        case_id=OuterRef("case_id"),
        event_id__lt=OuterRef("event_id"),
    ).exclude(state=WebhookDelivery.State.SENT)
    due = (
        WebhookDelivery.objects.filter(
            state=WebhookDelivery.State.PENDING, next_attempt_at__lte=now
        )
        .filter(~Exists(earlier_undelivered))
        .order_by("next_attempt_at", "pk")
    )
    lease_until = now + _lease()
    if connection.features.has_select_for_update_skip_locked:
        with transaction.atomic():
            rows = list(due.select_for_update(skip_locked=True)[:batch_size])
            # The rows stay locked until this commits: nobody else can have taken them.
            WebhookDelivery.objects.filter(pk__in=[r.pk for r in rows]).update(
                next_attempt_at=lease_until
            )
            return rows
    # Without row locks (SQLite): read, then take the rows by one UPDATE conditional on their
    # being still due, setting a lease end of this worker's own (a random microsecond), and
    # read back which carry it. No transaction around them: SQLite cannot turn a reading
    # transaction into a writing one while another writer waits (it answers "database is
    # locked" at once); single statements queue on its busy timeout instead.
    ids = list(due.values_list("pk", flat=True)[:batch_size])
    mine = lease_until + timedelta(microseconds=secrets.randbelow(10_000_000))
    WebhookDelivery.objects.filter(
        pk__in=ids, state=WebhookDelivery.State.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=mine)
    return list(
        WebhookDelivery.objects.filter(pk__in=ids, next_attempt_at=mine).order_by(
            "next_attempt_at", "pk"
        )
    )


@dataclass
class WebhookResult:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0


@dataclass(frozen=True)
class _Outgoing:
    delivery_id: int
    attempts: int
    url: str
    secret: str
    body: bytes


class Sender:
    """POSTs a batch in parallel, each thread with its own keep-alive session.

    A claimed batch holds at most one delivery per (subscription, case) (the claim takes only
    the first undelivered event of each), so sending it all at once keeps every case's order.
    """

    def __init__(self, concurrency: int | None = None) -> None:
        self.concurrency = concurrency or int(getattr(settings, "EXCHANGE_SEND_CONCURRENCY", 8))
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="webhook")

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            with self._lock:
                self._sessions.append(session)
        return session

    def post(self, item: _Outgoing) -> tuple[int | None, str]:
        """POST one event, signed now; (status, error) with error "" on a 2xx."""
        headers = {
            "Content-Type": "application/cloudevents+json; charset=utf-8",
            HEADER: signature_header(item.secret, item.body),
            "User-Agent": "Wangge-Webhooks/1",
        }
        try:
            response = self._session().post(
                item.url, data=item.body, headers=headers, timeout=_timeout(), allow_redirects=False
            )
        except requests.RequestException as exc:
            return None, f"{type(exc).__name__}: {exc}"[:2000]
        if 200 <= response.status_code < 300:
            return response.status_code, ""
        return response.status_code, f"HTTP {response.status_code}: {response.text[:500]}"

    def post_all(self, items: list[_Outgoing]) -> list[tuple[int | None, str]]:
        if len(items) == 1 or self.concurrency == 1:
            return [self.post(item) for item in items]
        return list(self._pool.map(self.post, items))

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        for session in self._sessions:
            session.close()

    def __enter__(self) -> Sender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _outgoing(rows: list[WebhookDelivery]) -> list[_Outgoing]:
    """The exact bodies to send, built here (the database is read in this thread only)."""
    answering = [r.case_id for r in rows if r.subscription.kind == Subscription.Kind.ANSWERS_BACK]
    origins = {o.case_id: o for o in CaseOrigin.objects.filter(case_id__in=answering)}
    return [
        _Outgoing(
            delivery_id=row.pk,
            attempts=row.attempts,
            url=row.subscription.url,
            secret=row.subscription.secret,
            body=body_bytes(
                cloud_event(
                    row.event,
                    origin=origins.get(row.case_id)
                    if row.subscription.kind == Subscription.Kind.ANSWERS_BACK
                    else None,
                )
            ),
        )
        for row in rows
    ]


def deliver_webhooks(
    *, now: datetime | None = None, batch_size: int = 100, sender: Sender | None = None
) -> WebhookResult:
    """Deliver one batch of due webhooks. Safe to run in several processes at once."""
    now = now or timezone.now()
    result = WebhookResult()
    claimed = _claim(now, batch_size)
    result.claimed = len(claimed)
    if not claimed:
        return result
    rows = list(
        WebhookDelivery.objects.select_related("subscription", "event")
        .filter(pk__in=[r.pk for r in claimed])
        .order_by("event_id")
    )
    outgoing = _outgoing(rows)
    own_sender = sender is None
    sender = sender or Sender()
    try:
        answers = sender.post_all(outgoing)
    finally:
        if own_sender:
            sender.close()
    limit = max_attempts()
    sent: dict[int | None, list[int]] = {}
    for item, (status, error) in zip(outgoing, answers, strict=True):
        attempts = item.attempts + 1
        if not error:
            sent.setdefault(status, []).append(item.delivery_id)
            result.sent += 1
        elif attempts >= limit:
            WebhookDelivery.objects.filter(pk=item.delivery_id).update(
                state=WebhookDelivery.State.DEAD,
                attempts=attempts,
                last_error=error,
                last_status=status,
            )
            result.dead += 1
            logger.error(
                "Webhook delivery %s is dead after %s attempts", item.delivery_id, attempts
            )
        else:
            WebhookDelivery.objects.filter(pk=item.delivery_id).update(
                attempts=attempts,
                last_error=error,
                last_status=status,
                next_attempt_at=now + retry_delay(attempts),
            )
            result.retried += 1
            logger.warning(
                "Webhook delivery %s failed (try %s): %s", item.delivery_id, attempts, error
            )
    # A worker dying before this line leaves the batch to be sent again once its lease ends
    # (at least once), never a later event of a case before an earlier one.
    delivered_at = timezone.now()
    for status, ids in sent.items():
        WebhookDelivery.objects.filter(pk__in=ids).update(
            state=WebhookDelivery.State.SENT,
            attempts=F("attempts") + 1,
            last_error="",
            last_status=status,
            delivered_at=delivered_at,
        )
    return result


def deliver_webhooks_until_idle(
    *, now: datetime | None = None, batch_size: int = 100, max_rounds: int = 1000
) -> WebhookResult:
    """Rounds of delivery until nothing is due (an event unblocked by the one before it is
    taken in the next round). For the task and the command line."""
    total = WebhookResult()
    with Sender() as sender:
        for _round in range(max_rounds):
            result = deliver_webhooks(now=now, batch_size=batch_size, sender=sender)
            total.claimed += result.claimed
            total.sent += result.sent
            total.retried += result.retried
            total.dead += result.dead
            if not result.sent:
                break
    return total


def webhook_redeliver(*, delivery_ids: Iterable[int], now: datetime | None = None) -> int:
    """Send dead letters (or delivered events, again) back to the queue with a fresh set of
    tries. Returns how many."""
    now = now or timezone.now()
    count = (
        WebhookDelivery.objects.filter(pk__in=list(delivery_ids))
        .exclude(state=WebhookDelivery.State.PENDING)
        .update(state=WebhookDelivery.State.PENDING, attempts=0, next_attempt_at=now)
    )
    if count:
        transaction.on_commit(send_delivery_task, robust=True)
    return count


# --- Celery -------------------------------------------------------------------------------------


@shared_task(acks_late=True, ignore_result=True)
def deliver_webhooks_task() -> int:
    """Deliver what is due (beat every few seconds, and a kick after each commit)."""
    batch_size = int(getattr(settings, "EXCHANGE_BATCH_SIZE", 100))
    return deliver_webhooks_until_idle(batch_size=batch_size, max_rounds=50).sent


def send_delivery_task() -> None:
    try:
        deliver_webhooks_task.apply_async(expires=60)
    except Exception:
        # The broker is down: the beat sweep delivers it later.
        logger.warning("Could not enqueue webhook delivery; the next sweep will deliver")

"""Recording case events for other systems, and the CloudEvents 1.0 body they receive.

Every case event is recorded in the transaction that wrote it (a post_save receiver on
`CaseEvent`, wired in ExchangeConfig.ready): one `ExchangeEvent` for the feed and one
`WebhookDelivery` per matching subscription. A rolled-back action leaves nothing to send, and
a committed one cannot be lost between the action and the queue.

The case's `CaseOrigin` (which agency ticket or channel ticket it came in with) is recorded
from its report: its answers back go to that agency's callback subscription.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from cases.intake import intake_origin
from cases.models import AgencyKey, Case, CaseEvent
from exchange.models import AgencyScope, CaseOrigin, ExchangeEvent, Subscription, WebhookDelivery

SPEC_VERSION = "1.0"
TYPE_PREFIX = "cn.wangge.case."


def event_source() -> str:
    """The CloudEvents `source` of our events (a URI reference naming this platform)."""
    return str(getattr(settings, "EXCHANGE_EVENT_SOURCE", "/wangge/cases"))


def event_data(case: Case, event: CaseEvent) -> dict[str, Any]:
    """What every receiver learns of an event: the case number, the event, the case as it
    stands after it. No description, note or contact: those are the source's alone."""
    return {
        "case_number": case.number,
        "event": {
            "action": event.action,
            "at": event.created_at.isoformat(),
            "from_status": event.from_status,
            "to_status": event.to_status,
            "from_level": event.from_level,
            "to_level": event.to_level,
            "handling_unit": event.handling_unit.name if event.handling_unit else None,
        },
        "case": {
            "status": case.status,
            "item": case.item.code,
            "item_name": case.item.name,
            "source": case.source,
            "address": case.address,
            "lon": round(case.point.x, 6),
            "lat": round(case.point.y, 6),
            "grid": case.grid_id,
            "community": case.community_id,
            "street": case.street_id,
            "district": case.district_id,
            "closure_kind": case.closure_kind,
            "reported_at": case.reported_at.isoformat(),
            "closed_at": case.closed_at.isoformat() if case.closed_at else None,
        },
    }


def cloud_event(row: ExchangeEvent, *, origin: CaseOrigin | None = None) -> dict[str, Any]:
    """The CloudEvents 1.0 structured-mode envelope of an event. The case's own source
    (`origin`) also hears its ticket number and the handler's note."""
    data = dict(row.data)
    if origin is not None:
        note = CaseEvent.objects.filter(pk=row.case_event_id).values_list("note", flat=True)
        data["external_id"] = origin.external_id
        data["event"] = {**data.get("event", {}), "note": note.first() or ""}
    return {
        "specversion": SPEC_VERSION,
        "id": str(row.pk),
        "source": event_source(),
        "type": TYPE_PREFIX + row.type,
        "subject": str(data.get("case_number", "")),
        "time": row.created_at.isoformat(),
        "datacontenttype": "application/json",
        "data": data,
    }


def body_bytes(envelope: dict[str, Any]) -> bytes:
    """The exact bytes POSTed (and signed): compact UTF-8 JSON, keys in a stable order."""
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def _record_origin(case: Case, event: CaseEvent) -> CaseOrigin | None:
    origin = intake_origin(request_id=event.request_id, source=case.source)
    if origin is None:
        return None
    # The key authenticated the request that reported the case (the foreign key guards the
    # rest): no query to check that it exists.
    return CaseOrigin.objects.create(
        case=case,
        agency_id=origin.agency_id,
        channel=origin.channel,
        external_id=origin.external_id[:64],
    )


# --- who listens, cached --------------------------------------------------------------------
# Every report and action asks who is to hear of it. The subscriptions are a handful of rows
# that change when an administrator edits them, so they are read once and cached (like the
# case tables, cases.tables), and forgotten whenever a subscription, its items, an agency's
# scope or key changes. When no subscription and no agency scope exists, nobody can receive
# or read an event, and none is recorded: a report stays at its eight statements
# (docs/exchange.md says the feed starts when the first agency is given a scope).

LISTENERS_CACHE_KEY = "exchange:listeners:v1"
LISTENERS_CACHE_SECONDS = 300


@dataclass(frozen=True)
class Listener:
    """What deciding who hears of an event needs of a subscription."""

    pk: int
    kind: str
    agency_id: int | None
    agency_source: str | None
    event_types: tuple[str, ...]
    region_id: str | None
    item_ids: frozenset[int]


@dataclass(frozen=True)
class Listeners:
    in_use: bool  # some subscription or agency scope exists
    subscriptions: tuple[Listener, ...]


def listeners() -> Listeners:
    found = cache.get(LISTENERS_CACHE_KEY)
    if isinstance(found, Listeners):
        return found
    subs = tuple(
        Listener(
            pk=sub.pk,
            kind=sub.kind,
            agency_id=sub.agency_id,
            agency_source=sub.agency.source if sub.agency is not None else None,
            event_types=tuple(sub.event_types or ()),
            region_id=sub.region_id,
            item_ids=frozenset(item.pk for item in sub.items.all()),
        )
        for sub in Subscription.objects.filter(is_active=True)
        .select_related("agency")
        .prefetch_related("items")
        .order_by("pk")
    )
    fresh = Listeners(in_use=bool(subs) or AgencyScope.objects.exists(), subscriptions=subs)
    cache.set(LISTENERS_CACHE_KEY, fresh, LISTENERS_CACHE_SECONDS)
    return fresh


def forget_listeners(*_args: Any, **_kwargs: Any) -> None:
    """Drop the cached listeners now and again when the transaction commits (a request that
    read them in between must not keep the old ones)."""
    cache.delete(LISTENERS_CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(LISTENERS_CACHE_KEY))


def connect_signals() -> None:
    from django.db.models.signals import m2m_changed, post_delete, post_save

    for model in (Subscription, AgencyScope, AgencyKey):
        for signal in (post_save, post_delete):
            signal.connect(
                forget_listeners, sender=model, dispatch_uid=f"forget-listeners-{model.__name__}"
            )
    for through in (Subscription.items.through, AgencyScope.items.through):
        m2m_changed.connect(
            forget_listeners, sender=through, dispatch_uid=f"forget-listeners-{through.__name__}"
        )


def _answers_back_to(origin: CaseOrigin, subscription: Listener) -> bool:
    """Whether a callback subscription is the case's source: its agency's key, or for a
    ticket an operator typed in, a key of an agency reporting through that channel."""
    if subscription.agency_id is None:
        return False
    if origin.agency_id is not None:
        return subscription.agency_id == origin.agency_id
    return subscription.agency_source == origin.channel


def matching_subscriptions(
    case: Case,
    event: CaseEvent,
    origin: Callable[[], CaseOrigin | None],
    subscriptions: tuple[Listener, ...],
) -> list[Listener]:
    """Which of the active subscriptions are to receive the event (`origin` is asked only
    when some subscription answers back)."""
    regions = {case.grid_id, case.community_id, case.street_id, case.district_id}
    matched: list[Listener] = []
    answers_back = [s for s in subscriptions if s.kind == Subscription.Kind.ANSWERS_BACK]
    for sub in subscriptions:
        if sub.kind != Subscription.Kind.FILTERED:
            continue
        if sub.event_types and event.action not in sub.event_types:
            continue
        if sub.region_id is not None and sub.region_id not in regions:
            continue
        if sub.item_ids and case.item_id not in sub.item_ids:
            continue
        matched.append(sub)
    # The source hears of every change of the case's state, its close included.
    source = origin() if answers_back and event.from_status != event.to_status else None
    if source is not None:
        matched += [
            sub
            for sub in answers_back
            if _answers_back_to(source, sub)
            and (not sub.event_types or event.action in sub.event_types)
        ]
    return matched


def exchange_event_record(event: CaseEvent) -> ExchangeEvent | None:
    """Record a case event for the feed and queue it to its subscribers (in the caller's
    transaction); nothing while no subscription or agency scope exists, except a reported
    case's origin (a callback added later still answers back to it)."""
    # The case as the action left it (the services pass theirs along with the event).
    case = event.case
    if event.from_status == "":
        recorded = _record_origin(case, event)

        def origin() -> CaseOrigin | None:
            return recorded
    else:

        def origin() -> CaseOrigin | None:
            return CaseOrigin.objects.filter(case=case).first()

    active = listeners()
    if not active.in_use:
        return None
    row = ExchangeEvent.objects.create(
        case_event=event,
        case=case,
        type=event.action,
        created_at=event.created_at,
        data=event_data(case, event),
    )
    subscriptions = matching_subscriptions(case, event, origin, active.subscriptions)
    if subscriptions:
        WebhookDelivery.objects.bulk_create(
            [
                WebhookDelivery(
                    subscription_id=sub.pk,
                    event=row,
                    case=case,
                    next_attempt_at=event.created_at,
                    created_at=event.created_at,
                )
                for sub in subscriptions
            ]
        )
        enqueue_webhooks()
    return row


def case_event_saved(
    sender: type[CaseEvent], instance: CaseEvent, created: bool, **kw: Any
) -> None:
    """post_save receiver: a new case event is recorded (events are append-only)."""
    if created and not kw.get("raw"):
        exchange_event_record(instance)


# --- the kick after commit -------------------------------------------------------------------


def _kick() -> None:
    from exchange.delivery import send_delivery_task

    send_delivery_task()


def enqueue_webhooks() -> None:
    """Ask a worker to deliver once the transaction commits; one kick per transaction."""
    if not getattr(settings, "NOTIFICATION_KICK_ON_COMMIT", True):
        return
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        enclosing = set(connection.savepoint_ids)
        if any(
            callback is _kick and sids <= enclosing
            for sids, callback, _robust in connection.run_on_commit
        ):
            return
    transaction.on_commit(_kick, robust=True)

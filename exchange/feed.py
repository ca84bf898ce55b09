"""The incremental feed: events in the order they became visible, by a cursor that never
skips one.

Primary keys are handed out when a row is inserted, not when it commits: a reader who
remembered "up to id 100" would miss id 99 committed a moment later. So the feed's position
(`ExchangeEvent.seq`) is handed out after commit, by whoever reads or delivers next:
`feed_sequence_assign` locks the one `FeedSequence` row, numbers the committed events that
have no position yet (in id order, so one case's events keep their order), and commits. An
event committed later is numbered later, above every position a reader may have seen.

A reader takes the horizon (the last position handed out) first and then reads only
positions up to it: every position up to the horizon was committed with it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Q, QuerySet

from exchange.models import AgencyScope, ExchangeEvent, FeedSequence

ASSIGN_BATCH = 5000


def _lock_counter() -> int:
    """Lock the counter row (in the caller's transaction) and read it.

    A write comes first: on SQLite the transaction takes the write lock now, waiting its turn
    on the busy timeout, instead of failing to turn a read into a write while another writer
    waits ("database is locked"); on PostgreSQL the UPDATE locks the row as FOR UPDATE would.
    """
    if not FeedSequence.objects.filter(pk=1).update(last=F("last")):
        # The row the migration made is gone (a flushed database): make it again.
        FeedSequence.objects.get_or_create(pk=1)
        FeedSequence.objects.filter(pk=1).update(last=F("last"))
    return FeedSequence.objects.values_list("last", flat=True).get(pk=1)


def feed_sequence_assign(*, batch_size: int = ASSIGN_BATCH) -> int:
    """Give feed positions to committed events that have none; returns the horizon."""
    if not ExchangeEvent.objects.filter(seq__isnull=True).exists():
        # Nothing to number (the common poll): no write. Every position up to the counter
        # was committed with it.
        return FeedSequence.objects.filter(pk=1).values_list("last", flat=True).first() or 0
    with transaction.atomic():
        last = _lock_counter()
        pending = list(
            ExchangeEvent.objects.filter(seq__isnull=True)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not pending:
            return last
        rows = [ExchangeEvent(pk=pk, seq=last + n) for n, pk in enumerate(pending, 1)]
        ExchangeEvent.objects.bulk_update(rows, ["seq"], batch_size=1000)
        last += len(rows)
        FeedSequence.objects.filter(pk=1).update(last=last)
        return last


def feed_horizon() -> int:
    """Number what has committed, then the last position handed out."""
    horizon = feed_sequence_assign()
    while True:
        # A large backlog is numbered in batches; every batch goes before the horizon.
        if not ExchangeEvent.objects.filter(seq__isnull=True).exists():
            return horizon
        before, horizon = horizon, feed_sequence_assign()
        if horizon == before:
            return horizon


def scoped_events(scope: AgencyScope) -> QuerySet[ExchangeEvent]:
    """The events an agency key may read: its region's cases, of its items (all if none)."""
    code = scope.region_id
    qs = ExchangeEvent.objects.filter(
        Q(case__district_id=code)
        | Q(case__street_id=code)
        | Q(case__community_id=code)
        | Q(case__grid_id=code)
    )
    item_ids = list(scope.items.values_list("pk", flat=True))
    if item_ids:
        qs = qs.filter(case__item_id__in=item_ids)
    return qs


@dataclass(frozen=True)
class FeedPage:
    events: list[ExchangeEvent]
    cursor: int  # where the next request starts
    has_more: bool


def feed_page(*, scope: AgencyScope, since: int, limit: int) -> FeedPage:
    """The agency's events after `since`, oldest first, and the cursor to go on from."""
    horizon = feed_horizon()
    rows = list(
        scoped_events(scope).filter(seq__gt=since, seq__lte=horizon).order_by("seq")[: limit + 1]
    )
    has_more = len(rows) > limit
    rows = rows[:limit]
    # A full page goes on after its last event; otherwise nothing more up to the horizon is
    # in scope, and the next read starts there.
    cursor = (rows[-1].seq or since) if has_more else max(since, horizon)
    return FeedPage(events=rows, cursor=cursor, has_more=has_more)

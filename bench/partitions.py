"""The reads and writes that touch case events, on a plain or a month-partitioned event table
(issue 17 §4). Run it against two copies of one generated history, one before and one after
the migration `cases 0015`, alternating (bench/partitions.sh does):

    DATABASE_URL=... DEBUG=0 .venv/bin/python bench/partitions.py [-n 200]

Each call timed in process with perf_counter; random choices seeded, so both databases are
asked the same questions:

1. a case's history: its events in order, for a random case (unbounded), and the same as the
   case page reads it (`cases.selectors.case_events`: from the case's report on);
2. one event by id (what an attachment or a notification points at);
3. the replay look-up of a request id (`cases.services._existing_event`), for a random id;
4. a month-bounded aggregate (the evaluation's and analysis' kind): last month's events by
   action, counted;
5. one event written (INSERT with the request-id key trigger on the partitioned table) and
   rolled back.

The load average is printed before and after: the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from collections.abc import Callable  # noqa: E402
from datetime import datetime  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.locate import percentiles  # noqa: E402
from cases.models import Case, CaseEvent  # noqa: E402
from cases.partitions import add_months, is_partitioned, list_partitions, month_of  # noqa: E402
from cases.selectors import case_events  # noqa: E402
from cases.services import _existing_event  # noqa: E402


class Rollback(Exception):
    pass


def timed(calls: list[Callable[[], object]]) -> list[float]:
    samples = []
    for call in calls:
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=200, help="Calls per measure (200).")
    args = parser.parse_args()
    partitioned = is_partitioned("cases_caseevent")
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id), max(case_id) FROM cases_caseevent")
        low, high, cases = cursor.fetchone()
    print(
        f"database {connection.settings_dict['NAME']}: events "
        f"{'partitioned, ' + str(len(list_partitions('cases_caseevent'))) + ' partitions' if partitioned else 'plain'}"  # noqa: E501
        f", ids {low:,}..{high:,}"
    )
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    rnd = random.Random(17)
    case_ids = [rnd.randint(1, cases) for _ in range(args.n)]
    event_ids = [rnd.randint(low, high) for _ in range(args.n)]
    request_ids = list(
        CaseEvent.objects.filter(pk__in=event_ids).values_list("request_id", flat=True)
    )

    def history(case_id: int) -> Callable[[], object]:
        return lambda: list(CaseEvent.objects.filter(case_id=case_id).order_by("created_at", "pk"))

    cases_by_id = Case.objects.in_bulk(case_ids)

    def timeline(case_id: int) -> Callable[[], object]:
        return lambda: list(case_events(cases_by_id[case_id]).order_by("created_at", "pk"))

    def by_id(event_id: int) -> Callable[[], object]:
        return lambda: CaseEvent.objects.filter(pk=event_id).first()

    def replay(request_id: str) -> Callable[[], object]:
        if not partitioned:  # a database before cases 0015 has no key table: the old look-up
            return lambda: (
                CaseEvent.objects.filter(request_id=request_id).select_related("case").first()
            )
        return lambda: _existing_event(request_id)

    tz = ZoneInfo("Asia/Shanghai")
    last_month = add_months(month_of(timezone.now()), -1)
    start = datetime(last_month.year, last_month.month, 1, tzinfo=tz)
    this_month = add_months(last_month, 1)
    end = datetime(this_month.year, this_month.month, 1, tzinfo=tz)

    def month_by_action() -> object:
        return list(
            CaseEvent.objects.filter(created_at__gte=start, created_at__lt=end)
            .values("action")
            .annotate(n=Count("id"))
            .order_by()
        )

    # Warm-up: plans, caches.
    for call in (history(case_ids[0]), by_id(event_ids[0]), replay(request_ids[0])):
        call()
    print(f"a case's history: {percentiles(timed([history(c) for c in case_ids]))}")
    print(
        "the case page's timeline (cases.selectors.case_events, bounded by the report): "
        f"{percentiles(timed([timeline(c) for c in case_ids if c in cases_by_id]))}"
    )
    print(f"one event by id: {percentiles(timed([by_id(e) for e in event_ids]))}")
    print(f"replay look-up by request id: {percentiles(timed([replay(r) for r in request_ids]))}")
    month_by_action()
    print(
        f"last month's events by action (n={max(5, args.n // 20)}): "
        f"{percentiles(timed([month_by_action] * max(5, args.n // 20)))}"
    )
    template = CaseEvent.objects.get(pk=event_ids[0])

    def write_one(n: int) -> Callable[[], object]:
        def call() -> None:
            try:
                with transaction.atomic():
                    CaseEvent.objects.create(
                        case_id=template.case_id,
                        request_id=f"bench-partitions-{n}",
                        action=template.action,
                        created_at=timezone.now(),
                        to_status=template.to_status,
                        version=template.version,
                    )
                    raise Rollback
            except Rollback:
                pass

        return call

    written = timed([write_one(n) for n in range(args.n)])
    print(f"one event written, rolled back: {percentiles(written)}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

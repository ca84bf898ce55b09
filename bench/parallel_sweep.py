"""Benchmark one sweeper against two sweeper processes at once on the same due cases.

    DATABASE_URL=postgis://…/scratch DEBUG=0 .venv/bin/python bench/parallel_sweep.py \
        [--due 10000] [--rounds 2] [--batch 200]

WRITES to the database (it must be a scratch one): needs seed_demo, seed_calendar,
seed_catalogue and generate_cases with at least --due cases. Each run commits, because two
processes only see each other's work through committed rows:

1. the newest --due cases are put in handling with stage clocks that passed warn and due a
   minute ago (as bench/command_centre.py does), the cards and notices of earlier runs on them
   are deleted, and the tables the sweep writes get a VACUUM (ANALYZE);
2. P forked processes (P = 1, then 2, alternating, --rounds times each) wait at a barrier and
   call `sweep_deadlines(now=…)` once; the time is from the barrier to the last one's end;
3. exactly once is checked: 2 × --due cards, one per case and kind, and one warning notice
   per case.

Prints each run with the load average before it, then the median per P and the speed-up.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from datetime import datetime, timedelta  # noqa: E402

from django.db import connection, connections  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402

from cases.models import Case, Outbox, Status  # noqa: E402
from dispatch.models import DeadlineAlert  # noqa: E402
from dispatch.sweeper import TOPIC_OVERDUE, TOPIC_WARNING, sweep_deadlines  # noqa: E402

SWEPT_TABLES = ("cases_case", "cases_outbox", "dispatch_deadlinealert")


def prepare(ids: list[int], now: datetime) -> None:
    DeadlineAlert.objects.filter(case_id__in=ids).delete()
    Outbox.objects.filter(case_id__in=ids, topic__in=[TOPIC_WARNING, TOPIC_OVERDUE]).delete()
    Case.objects.filter(pk__in=ids).update(
        status=Status.HANDLING,
        closure_kind="",
        closed_at=None,
        stage_started_at=now - timedelta(hours=3),
        stage_warn_at=now - timedelta(minutes=2),
        stage_due_at=now - timedelta(minutes=1),
        sweep_at=now - timedelta(minutes=2),  # as the services set it
    )
    with connection.cursor() as cursor:
        for table in SWEPT_TABLES:
            cursor.execute(f"VACUUM (ANALYZE) {table}")


def _sweeper(barrier, done, now: datetime, batch: int) -> None:  # noqa: ANN001
    barrier.wait(timeout=120)
    before = resource.getrusage(resource.RUSAGE_SELF)
    result = sweep_deadlines(now=now, batch_size=batch)
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    done.put((time.perf_counter(), result.yellow, result.red, result.errors, round(cpu, 2)))
    connections.close_all()


def run(
    processes: int, now: datetime, batch: int
) -> tuple[float, list[tuple[int, int, int, float]]]:
    connections.close_all()  # each child opens its own connection
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(processes + 1)
    done = context.Queue()
    children = [
        context.Process(target=_sweeper, args=(barrier, done, now, batch)) for _ in range(processes)
    ]
    for child in children:
        child.start()
    barrier.wait(timeout=120)
    started = time.perf_counter()
    outcomes = [done.get(timeout=900) for _ in children]
    for child in children:
        child.join()
    elapsed = max(end for end, *_ in outcomes) - started
    return elapsed, [tuple(rest) for _end, *rest in outcomes]


def check_exactly_once(ids: list[int]) -> None:
    alerts = DeadlineAlert.objects.filter(case_id__in=ids)
    per = alerts.values("case_id", "kind").annotate(n=Count("id"))
    assert alerts.count() == 2 * len(ids), alerts.count()
    assert all(row["n"] == 1 for row in per)
    warnings = Outbox.objects.filter(case_id__in=ids, topic=TOPIC_WARNING)
    assert warnings.values("case_id").distinct().count() == len(ids)
    assert warnings.count() == len(ids), warnings.count()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("PostgreSQL only: row locks (SQLite has one writer).")
    ids = list(Case.objects.order_by("-reported_at").values_list("pk", flat=True)[: args.due])
    if len(ids) < args.due:
        sys.exit(f"only {len(ids)} cases: generate more (generate_cases)")
    times: dict[int, list[float]] = {1: [], 2: []}
    for _round in range(args.rounds):
        for processes in (1, 2):
            now = timezone.now()
            prepare(ids, now)
            load = os.getloadavg()[0]
            elapsed, outcomes = run(processes, now, args.batch)
            check_exactly_once(ids)
            cards = sum(y + r for y, r, _e, _cpu in outcomes)
            times[processes].append(elapsed)
            print(
                f"{processes} process(es): {elapsed:.2f} s, {cards:,} cards "
                f"({cards / elapsed:,.0f}/s), per process (yellow, red, errors, Python CPU s) "
                f"{outcomes}, "
                f"load before {load:.2f}; exactly once: ok",
                flush=True,
            )
    one, two = statistics.median(times[1]), statistics.median(times[2])
    print(f"median: 1 process {one:.2f} s, 2 processes {two:.2f} s, speed-up {one / two:.2f}×")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

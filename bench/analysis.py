"""Benchmark the analysis passes and the patrol processing on a generated year (PostgreSQL).

    DATABASE_URL=postgis://wangge@127.0.0.1/wangge_bench SECRET_KEY=x DEBUG=0 \\
        .venv/bin/python manage.py generate_cases --days 365 --per-day 3000      # once
    … .venv/bin/python manage.py generate_patrols --days 1 --end-date 2026-12-04  # once
    … .venv/bin/python bench/analysis.py --patrol-day 2026-12-04 [--runs 5]

Measures, each inside a transaction that is rolled back (so reruns measure the same work):
- the hot-spot pass over the last 72 hours (every item and major class with N/R/T = 10/100 m/
  72 h), through ST_ClusterDBSCAN, and the Python DBSCAN over the same cases for comparison;
- the trend pass over all items × communities, streets and the district (today and this week
  against 8 weeks of baseline);
- the repeat-place pass (30 days of closures);
- a day's patrol tracks for every inspector (clean, measure, cover, store).
Prints the load average before and after: read the figures with it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.contrib.gis.geos import Point  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from analysis.hotspots import find_clusters, hotspot_pass, hotspot_rules  # noqa: E402
from analysis.models import AnalysisSettings  # noqa: E402
from analysis.repeats import repeat_pass  # noqa: E402
from analysis.trends import trend_findings, trend_pass  # noqa: E402
from cases.models import Case  # noqa: E402
from grids.models import PatrolFix  # noqa: E402
from grids.tracks import patrol_days_build  # noqa: E402


def load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def timed(label: str, work, runs: int, *, rollback: bool = True, setup=None) -> list[float]:  # noqa: ANN001
    seconds, cpu = [], []
    for _ in range(runs):
        with transaction.atomic() if rollback else contextlib.nullcontext():
            if setup is not None:
                setup()
            started, cpu_started = time.perf_counter(), time.process_time()
            result = work()
            seconds.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
            if rollback:
                transaction.set_rollback(True)
    print(
        f"{label:<52} median {statistics.median(seconds):7.3f} s   "
        f"min {min(seconds):7.3f}   max {max(seconds):7.3f}   ({runs} runs; this process's CPU "
        f"{statistics.median(cpu):.2f} s)   {result}"
    )
    return seconds


def plant_clusters(now, count: int, size: int) -> None:  # noqa: ANN001
    """Plant `count` clusters of `size` reports each (copies of recent reports within 40 m of
    them) among the real ones; rolled back by the caller."""
    rng = random.Random(7)
    seeds = list(
        Case.objects.filter(
            reported_at__gte=now - timedelta(hours=24), reported_at__lte=now
        ).order_by("?")[:count]
    )
    copies = []
    for k, seed in enumerate(seeds):
        for i in range(size):
            copy = Case.objects.get(pk=seed.pk)
            copy.pk = None
            copy.number = f"BENCH-{k}-{i}"
            copy.reported_at = now - timedelta(hours=rng.uniform(0, 40))
            copy.point = Point(
                seed.point.x + rng.uniform(-3.5e-4, 3.5e-4),
                seed.point.y + rng.uniform(-2.8e-4, 2.8e-4),
                srid=4326,
            )
            copies.append(copy)
    Case.objects.bulk_create(copies)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--patrol-day", type=date.fromisoformat)
    parser.add_argument("--patrol-runs", type=int, default=1)
    parser.add_argument("--only-patrols", action="store_true")
    parser.add_argument("--only-planted", action="store_true")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/analysis.py measures PostgreSQL/PostGIS: set DATABASE_URL.")
    now = timezone.now()
    print(f"load average before: {load()}")
    print(
        f"cases: {Case.objects.count():,}; in the last 72 h: "
        f"{Case.objects.filter(reported_at__gte=now - timedelta(hours=72)).count():,}"
    )
    settings = AnalysisSettings.current()
    settings.hotspot_window_hours = 72
    settings.class_window_hours = 72
    rules = hotspot_rules(settings)
    print(f"hot-spot rules: {len(rules)} (items and major classes), window 72 h")
    runs = 0 if args.only_patrols else args.runs
    if args.only_planted:
        timed(
            "hot-spot pass, 30 planted clusters of 15 (new)",
            lambda: hotspot_pass(now=now, settings=settings),
            runs,
            setup=lambda: plant_clusters(now, 30, 15),
        )
        return
    if runs:
        timed(
            "hot spots: ST_ClusterDBSCAN only",
            lambda: len(find_clusters(rules, now=now, method="postgis")),
            runs,
        )
        timed(
            "hot spots: Python DBSCAN over the same cases",
            lambda: len(find_clusters(rules, now=now, method="python")),
            runs,
        )
        timed(
            "hot-spot pass, last 72 h (find, match, store)",
            lambda: hotspot_pass(now=now, settings=settings),
            runs,
        )
        timed(
            "hot-spot pass, 30 planted clusters of 15 (new)",
            lambda: hotspot_pass(now=now, settings=settings),
            runs,
            setup=lambda: plant_clusters(now, 30, 15),
        )
        timed(
            "trends: findings (all items × areas)",
            lambda: trend_findings(now=now, settings=settings)[0],
            runs,
        )
        timed(
            "trend pass (findings, flags, alarms)",
            lambda: trend_pass(now=now, settings=settings),
            runs,
        )
        timed(
            "repeat-place pass (30 days of closures)",
            lambda: repeat_pass(now=now, settings=settings),
            max(1, runs // 2),
        )
    if args.patrol_day:
        fixes = PatrolFix.objects.filter(recorded_at__date=args.patrol_day).count()
        print(f"patrol day {args.patrol_day}: {fixes:,} fixes")
        # Outside a transaction (rebuilding a day writes the same rows), so that the batches
        # can run in forked processes on their own connections.
        for workers in (1, 2):
            timed(
                f"patrol days: every inspector, one day, {workers} process(es)",
                lambda w=workers: patrol_days_build(day=args.patrol_day, workers=w),
                args.patrol_runs,
                rollback=False,
            )
    print(f"load average after: {load()}")


if __name__ == "__main__":
    main()

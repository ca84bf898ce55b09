"""Benchmark the evaluation: a month's scores for every group, from the daily statistics.

    DATABASE_URL=... DEBUG=0 .venv/bin/python bench/evaluation.py --month 2026-10 [-n 5]
        [--rebuild]

Needs generated history (generate_cases) and the statistics of the month and the month before
(`manage.py rebuild_stats --from ... --to ...`, or --rebuild here, which times the rebuild
too). Each run computes what the monthly report page shows: for each of the seven groups, every
subject's components, score, grade and rank, and the previous month's for the change. Timed
with perf_counter around evaluation_report() for all groups, as a district leader, n times;
prints each run, the median, and how many cases the month's figures rest on.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from dispatch.evaluation.periods import month_of  # noqa: E402
from dispatch.evaluation.reports import evaluation_report  # noqa: E402
from dispatch.evaluation.stats import stats_rebuild  # noqa: E402
from dispatch.models import DailyStat, EvaluationFact, Group  # noqa: E402
from grids.models import Post, Role  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--month", required=True, help="YYYY-MM")
    parser.add_argument("-n", type=int, default=5)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    period = month_of(date.fromisoformat(f"{args.month}-01"))
    previous = period.previous()
    if args.rebuild:
        started = time.perf_counter()
        result = stats_rebuild(start=previous.start, end=period.end)
        print(f"rebuild {result} in {time.perf_counter() - started:.1f} s")
    leader = Post.objects.filter(role=Role.DISTRICT_LEADER, is_active=True).first()
    if leader is None:
        raise SystemExit("No district leader: run seed_demo / generate_cases.")
    user = leader.user
    in_month = EvaluationFact.objects.filter(day__gte=period.start, day__lte=period.end)
    cases = in_month.values("case_id").distinct().count()
    stats = DailyStat.objects.filter(day__gte=previous.start, day__lte=period.end).count()
    print(
        f"{period.label}: figures rest on {cases} cases ({in_month.count()} facts); "
        f"{stats} daily statistics rows for {previous.label} and {period.label}"
    )
    timings = []
    for run in range(args.n):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            rows = 0
            for group in Group.values:
                rows += len(evaluation_report(user=user, group=group, period=period).rows)
            elapsed = time.perf_counter() - started
        timings.append(elapsed)
        print(f"run {run + 1}: {elapsed * 1000:.0f} ms, {rows} subjects, {len(queries)} queries")
    print(f"median {statistics.median(timings) * 1000:.0f} ms, max {max(timings) * 1000:.0f} ms")
    custom_end = period.end
    custom_start = custom_end - timedelta(days=40)
    from dispatch.evaluation.periods import Period

    custom = Period("custom", custom_start, custom_end)
    n_custom = (
        EvaluationFact.objects.filter(day__gte=custom.start, day__lte=custom.end)
        .values("case_id")
        .distinct()
        .count()
    )
    started = time.perf_counter()
    for group in Group.values:
        evaluation_report(user=user, group=group, period=custom)
    print(
        f"custom {custom.label} ({n_custom} cases): {(time.perf_counter() - started) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()

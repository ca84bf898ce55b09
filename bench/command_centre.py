"""Benchmark the command centre's read paths and the deadline sweep over a year of cases.

    DATABASE_URL=... DEBUG=0 .venv/bin/python bench/command_centre.py [-n 200] [--due 10000]

Needs seed_demo, seed_calendar, seed_catalogue and generate_cases (a year: 1.1 M cases).
Measures, each call timed with perf_counter in process:

1. the overview counters (`dispatch.dashboard.overview_counters`) for the district leader and
   for a street officer, as the dashboard's JSON endpoint computes them;
2. the live map's cases-in-box request for a whole-district view (`GET /api/v1/cases/?bbox=…
   &page_size=200`, through Django's test client: routing, auth, filters, serialisation);
3. a sweep with nothing due (after one catch-up sweep);
4. a sweep of `--due` cases whose stage clocks were all moved to have passed warn and due.

Everything runs in one transaction that is rolled back at the end: the database keeps its
content, but a rolled-back insert leaves dead rows behind, so each run starts with a
VACUUM (ANALYZE) of the tables the sweep writes (a second run without it measured the dead
rows of the first: 4.5 s per claim query instead of 6 ms).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from collections.abc import Callable  # noqa: E402
from datetime import timedelta  # noqa: E402

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.locate import percentiles  # noqa: E402
from cases.models import Case, Status  # noqa: E402
from dispatch.dashboard import overview_counters  # noqa: E402
from dispatch.sweeper import sweep_deadlines  # noqa: E402
from grids.models import Level, Post, Region, Role, User  # noqa: E402

SWEPT_TABLES = ("cases_case", "cases_outbox", "dispatch_deadlinealert", "cases_supervision")


class Rollback(Exception):
    pass


def timed(call: Callable[[], object], n: int) -> list[float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def user_with(role: str, level: str) -> User:
    post = (
        Post.objects.filter(role=role, region__level=level, is_active=True)
        .select_related("user")
        .order_by("region__code", "user__username")
        .first()
    )
    if post is None:
        raise SystemExit(f"No {role} posted at a {level}: run seed_demo first.")
    return post.user


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=200, help="Calls per read measure (200).")
    parser.add_argument("--due", type=int, default=10_000, help="Cases made due (10,000).")
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = ["*"]

    print(f"backend: {connection.vendor}, cases: {Case.objects.count():,}")
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    if connection.vendor == "postgresql":
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for table in SWEPT_TABLES:
                cursor.execute(f"VACUUM (ANALYZE) {table}")
        print(f"vacuum (analyze) {', '.join(SWEPT_TABLES)}: {time.perf_counter() - started:.1f} s")
    leader = user_with(Role.DISTRICT_LEADER, Level.DISTRICT)
    officer = user_with(Role.STREET_OFFICER, Level.STREET)

    # 1. overview counters
    for who, user in (("leader", leader), ("street officer", officer)):
        overview_counters(user=user)  # warm-up: jurisdiction, plans, caches
        samples = timed(lambda u=user: overview_counters(user=u), args.n)
        print(f"overview counters, {who}: {percentiles(samples)}")

    # 2. the map's whole-district box
    district = Region.objects.get(level=Level.DISTRICT)
    xmin, ymin, xmax, ymax = district.geom.extent
    client = Client()
    client.force_login(leader)
    url = f"/api/v1/cases/?bbox={xmin:.6f},{ymin:.6f},{xmax:.6f},{ymax:.6f}&page_size=200"
    response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    body = response.json()
    print(f"map box returns {len(body['results'])} cases (cursor page; more: {bool(body['next'])})")
    samples = timed(lambda: client.get(url), args.n)
    print(f"map cases in the district box (page of 200): {percentiles(samples)}")
    filtered = url + "&overdue=true"
    samples = timed(lambda: client.get(filtered), args.n)
    print(f"map, overdue only: {percentiles(samples)}")

    try:
        with transaction.atomic():
            # 3. nothing due: one catch-up sweep first (open generated cases may be due now)
            started = time.perf_counter()
            catch_up = sweep_deadlines()
            print(f"catch-up sweep: {catch_up} in {(time.perf_counter() - started):.2f} s")
            sweep_deadlines()
            with CaptureQueriesContext(connection) as queries:
                sweep_deadlines()
            print(f"empty sweep queries: {len(queries)}")
            samples = timed(sweep_deadlines, args.n)
            print(f"sweep, nothing due: {percentiles(samples)}")

            # 4. N due cases. A year holds only ~5,000 open cases, so the newest N cases of
            # any state are put in handling (inside the rolled-back transaction) with new
            # stage clocks that passed warn and due a minute ago.
            now = timezone.now()
            ids = list(
                Case.objects.order_by("-reported_at").values_list("pk", flat=True)[: args.due]
            )
            Case.objects.filter(pk__in=ids).update(
                status=Status.HANDLING,
                closure_kind="",
                closed_at=None,
                stage_started_at=now - timedelta(hours=3),
                stage_warn_at=now - timedelta(minutes=2),
                stage_due_at=now - timedelta(minutes=1),
                sweep_at=now - timedelta(minutes=2),  # as the services set it
            )
            started = time.perf_counter()
            result = sweep_deadlines(now=now)
            elapsed = time.perf_counter() - started
            print(
                f"sweep of {len(ids):,} due cases: {result} in {elapsed:.2f} s "
                f"({(result.yellow + result.red) / elapsed:,.0f} cards/s)"
            )
            started = time.perf_counter()
            again = sweep_deadlines(now=now)
            print(
                f"the same sweep again: {again} in {(time.perf_counter() - started) * 1000:.1f} ms"
            )
            raise Rollback
    except Rollback:
        print("rolled back: the database is unchanged")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

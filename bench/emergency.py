"""Benchmark the nearest-resources search: the nearest 5 of a kind among 100 k resources.

    DATABASE_URL=... .venv/bin/python bench/emergency.py [-n 2000] [--explain 300] [--seed 1]

Needs seed_demo and `manage.py generate_resources --count 100000 --seed 1` first. N random
incident points, uniform over the district; for each, one kind in turn (camera, supplies,
team, shelter):

1. end to end: grids.emergency.resources_nearest(point, n=5, kind), model instances and
   all (what the API calls), counting how often the exactness proof failed and a second (box)
   query ran;
2. database: the candidate query (KNN `<->` LIMIT 50 with the metre distance) through a
   plain cursor; on PostgreSQL also EXPLAIN (ANALYZE) "Execution Time" over a sample;
3. the nearest 5 of 1,200 on-duty inspectors (created once: one per grid in turn, a fresh
   fix each), for a district leader and for a street officer (their street only);
4. the camera layer: active cameras in a 2.2 × 1.2 km box (a case map at zoom 15);
5. for contrast, on a small sample: the naive ORDER BY ST_Distance(geography) LIMIT 5, which
   computes the distance to every resource of the kind.

It writes the bench-* staff of 3. into the database it measures (once). It prints the plan of
the candidate query (to show the KNN index scan), then p50/p95/p99/max.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.contrib.gis.geos import Point  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import F  # noqa: E402
from django.db.models.expressions import RawSQL  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.locate import percentiles, random_grid_points, random_points  # noqa: E402
from config.dbstats import analyze  # noqa: E402
from grids import emergency  # noqa: E402
from grids.models import (  # noqa: E402
    EmergencyResource,
    InspectorPosition,
    Level,
    Post,
    Region,
    ResourceKind,
    Role,
    User,
)

KINDS = [ResourceKind.CAMERA, ResourceKind.SUPPLIES, ResourceKind.TEAM, ResourceKind.SHELTER]
N = 5


def candidate_sql(point: Point, kind: str) -> tuple[str, tuple]:
    """The SQL of the first (and usually only) query resources_nearest sends on PostGIS."""
    qs = emergency.active_resources_qs(kind).annotate(grid_code=F("region__code"))
    k = max(N * emergency.CANDIDATES_PER_RESULT, emergency.MIN_CANDIDATES)
    ewkt = f"SRID=4326;POINT({point.x!r} {point.y!r})"
    table = connection.ops.quote_name(EmergencyResource._meta.db_table)
    knn = RawSQL(f"{table}.point <-> ST_GeomFromEWKT(%s)", (ewkt,))  # noqa: S611 - bench
    qs = qs.annotate(knn_degrees=knn, distance_m=emergency._metres_sql(qs, point))
    return qs.order_by("knn_degrees")[:k].query.sql_with_params()


def naive_sql(point: Point, kind: str) -> tuple[str, tuple]:
    qs = emergency.active_resources_qs(kind)
    qs = qs.annotate(distance_m=emergency._metres_sql(qs, point)).order_by("distance_m")[:N]
    return qs.query.sql_with_params()


EXECUTION = re.compile(r"Execution Time: ([0-9.]+) ms")


def explain(sql: str, params: tuple, *, analyze_only: bool = False) -> str:
    with connection.cursor() as cursor:
        options = "ANALYZE, TIMING OFF" if analyze_only else "ANALYZE, BUFFERS"
        cursor.execute(f"EXPLAIN ({options}) " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def time_end_to_end(points: list[Point]) -> tuple[list[float], int]:
    samples, second_queries = [], 0
    statements = []

    def count(execute, sql, params, many, context):  # noqa: ANN001 - Django's wrapper
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        for index, point in enumerate(points):
            kind = KINDS[index % len(KINDS)]
            statements.clear()
            started = time.perf_counter()
            found = emergency.resources_nearest(point=point, n=N, kind=kind)
            samples.append((time.perf_counter() - started) * 1000)
            assert len(found) == N
            second_queries += any("&&" in sql for sql in statements)
    return samples, second_queries


def time_cursor(points: list[Point], build: object) -> list[float]:
    samples = []
    with connection.cursor() as cursor:
        for index, point in enumerate(points):
            sql, params = build(point, KINDS[index % len(KINDS)])  # type: ignore[operator]
            started = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchall()
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def time_explain(points: list[Point], build: object) -> list[float]:
    samples = []
    for index, point in enumerate(points):
        sql, params = build(point, KINDS[index % len(KINDS)])  # type: ignore[operator]
        match = EXECUTION.search(explain(sql, params, analyze_only=True))
        if match is None:
            raise SystemExit("No execution time in the plan")
        samples.append(float(match.group(1)))
    return samples


def time_bbox(points: list[Point]) -> tuple[list[float], list[int]]:
    """The camera layer of a case map at zoom 15 on a 1920×1080 screen: ~2.2 × 1.2 km."""
    samples, sizes = [], []
    for point in points:
        box = (point.x - 0.012, point.y - 0.0055, point.x + 0.012, point.y + 0.0055)
        started = time.perf_counter()
        rows, _truncated = emergency.resources_in_bbox(box=box, kinds=[ResourceKind.CAMERA])
        samples.append((time.perf_counter() - started) * 1000)
        sizes.append(len(rows))
    return samples, sizes


def bench_staff(count: int, seed: int) -> tuple[User, User]:
    """A district leader, a street officer, and `count` inspectors (one per grid in turn) with
    a fresh position each: created once in the benchmark database, reused after."""
    leader, _ = User.objects.get_or_create(username="bench-leader")
    street = Region.objects.filter(level=Level.STREET).order_by("code").first()
    officer, _ = User.objects.get_or_create(username="bench-street")
    district = Region.objects.get(level=Level.DISTRICT)
    Post.objects.get_or_create(user=leader, role=Role.DISTRICT_LEADER, region=district)
    Post.objects.get_or_create(user=officer, role=Role.STREET_OFFICER, region=street)
    grids = list(Region.objects.filter(level=Level.GRID).order_by("code"))
    have = User.objects.filter(username__startswith="bench-inspector-").count()
    for index, (_code, point) in enumerate(random_grid_points(count, seed + 1)[have:], have):
        inspector = User.objects.create(username=f"bench-inspector-{index}")
        Post.objects.create(
            user=inspector,
            role=Role.INSPECTOR,
            inspector_type="full_time",
            region=grids[index % len(grids)],
        )
        InspectorPosition.objects.create(
            user=inspector, point=point, recorded_at=timezone.now(), updated_at=timezone.now()
        )
    # Fresh fixes for this run (the freshness window is 30 minutes).
    InspectorPosition.objects.filter(user__username__startswith="bench-inspector-").update(
        recorded_at=timezone.now()
    )
    analyze(InspectorPosition, Post, User)  # statistics for the new rows, on both backends
    return leader, officer


def time_inspectors(points: list[Point], user: User) -> list[float]:
    samples = []
    for point in points:
        started = time.perf_counter()
        emergency.inspectors_nearest(user=user, point=point, n=N)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=2000, help="incident points (2000)")
    parser.add_argument("--explain", type=int, default=300, help="EXPLAIN ANALYZE sample (300)")
    parser.add_argument("--naive", type=int, default=40, help="naive ORDER BY sample (40)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--inspectors", type=int, default=1200, help="inspector positions to create (1200)"
    )
    args = parser.parse_args()

    total = EmergencyResource.objects.filter(is_active=True).count()
    by_kind = {k: EmergencyResource.objects.filter(kind=k).count() for k in KINDS}
    print(f"backend: {connection.vendor} ({connection.settings_dict['NAME']})")
    print(f"active resources: {total} {by_kind}")
    if total < 1000:
        raise SystemExit("Few resources: run manage.py generate_resources --count 100000 first.")
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    points = random_points(args.n, args.seed)
    if connection.vendor == "postgresql":
        print("plan of the candidate query (shelter):")
        print(
            "    "
            + explain(*candidate_sql(points[0], ResourceKind.SHELTER)).replace("\n", "\n    ")
        )
    time_end_to_end(points[:200])  # warm caches and the connection
    end_to_end, second = time_end_to_end(points)
    print(f"end to end (resources_nearest, n=5):       {percentiles(end_to_end)}")
    if connection.vendor == "postgresql":
        print(f"  second (box) query needed: {second} of {len(points)}")
    if args.inspectors:
        logging.getLogger("grids.emergency").setLevel(logging.WARNING)  # the read log
        leader, officer = bench_staff(args.inspectors, args.seed)
        positions = InspectorPosition.objects.count()
        time_inspectors(points[:100], leader)
        found = time_inspectors(points[:500], leader)
        print(f"nearest 5 of {positions} on-duty inspectors (leader): {percentiles(found)}")
        found = time_inspectors(points[:500], officer)
        print(f"same, a street officer (their street only):     {percentiles(found)}")
    bbox, sizes = time_bbox(points[:200])
    print(f"cameras in a 2.2 × 1.2 km view (resources_in_bbox): {percentiles(bbox)}")
    print(f"  features per view: median {sorted(sizes)[len(sizes) // 2]}, max {max(sizes)}")
    if connection.vendor == "postgresql":
        db = time_cursor(points, candidate_sql)
        print(f"database (candidate query, round trip):    {percentiles(db)}")
        inside = time_explain(points[: args.explain], candidate_sql)
        print(f"database (EXPLAIN ANALYZE execution time): {percentiles(inside)}")
        naive = time_cursor(points[: args.naive], naive_sql)
        print(f"naive ORDER BY ST_Distance LIMIT 5:         {percentiles(naive)}")
        sql, params = naive_sql(points[0], ResourceKind.CAMERA)
        print("plan of the naive query (camera):")
        print("    " + explain(sql, params).replace("\n", "\n    "))
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

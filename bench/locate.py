"""Benchmark locate(): the grid under a point, at the database and end to end.

    DATABASE_URL=... .venv/bin/python bench/locate.py [-n 5000] [--explain 500] [--seed 1]

Runs against whatever database the settings point at (SpatiaLite by default) after seed_demo.
N random points, uniform over the district (a grid drawn by area, then a point inside it):

1. database: the SQL that grids.selectors.locate sends, run through a plain cursor (one round
   trip each); on PostgreSQL also EXPLAIN (ANALYZE) "Execution Time" over a sample, which is the
   time inside the server alone;
2. end to end: grids.selectors.locate(point), model instances and all.

It prints the plan (to show the spatial index is used), then p50/p95/p99/max per measure.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

import numpy as np  # noqa: E402
import shapely  # noqa: E402
from django.contrib.gis.geos import Point  # noqa: E402
from django.db import connection  # noqa: E402

from grids.models import Level, Region  # noqa: E402
from grids.selectors import grids_at_point_qs, locate  # noqa: E402


def percentiles(samples_ms: list[float]) -> str:
    q = np.percentile(samples_ms, [50, 95, 99])
    return (
        f"n={len(samples_ms)} mean={statistics.fmean(samples_ms):.3f} p50={q[0]:.3f} "
        f"p95={q[1]:.3f} p99={q[2]:.3f} max={max(samples_ms):.3f} ms"
    )


def random_points(n: int, seed: int) -> list[Point]:
    return [point for _code, point in random_grid_points(n, seed)]


def random_grid_points(n: int, seed: int) -> list[tuple[str, Point]]:
    """N points uniform over the district, each with the code of the grid it was drawn in."""
    rows = list(Region.objects.filter(level=Level.GRID).values_list("code", "geom"))
    if not rows:
        raise SystemExit("No grids: run manage.py seed_demo first.")
    shapes = np.array([shapely.from_wkb(bytes(g.wkb)) for _code, g in rows])
    shapely.prepare(shapes)
    rng = np.random.default_rng(seed)
    area = shapely.area(shapes)
    picks = rng.choice(len(shapes), size=n, p=area / area.sum())
    points = []
    for index in picks:
        minx, miny, maxx, maxy = shapes[index].bounds
        while True:
            x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
            if shapely.contains_xy(shapes[index], x, y):
                points.append((rows[index][0], Point(x, y, srid=4326)))
                break
    return points


def locate_sql(point: Point) -> tuple[str, tuple]:
    qs = grids_at_point_qs(point).select_related("parent__parent__parent")
    sql, params = qs.query.sql_with_params()
    return sql, params


def show_plan(point: Point) -> None:
    sql, params = locate_sql(point)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        rows = cursor.fetchall()
    print("plan:")
    for row in rows:
        print("   ", " | ".join(str(col) for col in row))


def time_cursor(points: list[Point]) -> list[float]:
    samples = []
    with connection.cursor() as cursor:
        for point in points:
            sql, params = locate_sql(point)
            started = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchall()
            samples.append((time.perf_counter() - started) * 1000)
    return samples


EXECUTION = re.compile(r"Execution Time: ([0-9.]+) ms")


def time_explain(points: list[Point]) -> list[float]:
    samples = []
    with connection.cursor() as cursor:
        for point in points:
            sql, params = locate_sql(point)
            cursor.execute("EXPLAIN (ANALYZE, TIMING OFF) " + sql, params)
            text = "\n".join(row[0] for row in cursor.fetchall())
            match = EXECUTION.search(text)
            if match is None:
                raise SystemExit(f"No execution time in the plan:\n{text}")
            samples.append(float(match.group(1)))
    return samples


def time_locate(points: list[Point]) -> list[float]:
    samples = []
    for point in points:
        started = time.perf_counter()
        locate(point)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=5000, help="points (5000)")
    parser.add_argument("--explain", type=int, default=500, help="EXPLAIN ANALYZE sample (500)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    grids = Region.objects.filter(level=Level.GRID).count()
    print(f"backend: {connection.vendor} ({connection.settings_dict['NAME']}), grids: {grids}")
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    points = random_points(args.n, args.seed)
    # Each point must land in exactly the grid it was drawn in (sanity, not timed).
    located = {locate(p).grid.code for p in points[:50]}
    assert located, "no point located"
    show_plan(points[0])
    time_cursor(points[:200])  # warm caches and the connection
    time_locate(points[:200])
    db = time_cursor(points)
    print(f"database (raw SQL through a cursor, round trip): {percentiles(db)}")
    if connection.vendor == "postgresql":
        inside = time_explain(points[: args.explain])
        print(f"database (EXPLAIN ANALYZE execution time):      {percentiles(inside)}")
    end_to_end = time_locate(points)
    print(f"end to end (grids.selectors.locate):             {percentiles(end_to_end)}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

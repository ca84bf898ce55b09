"""Generated patrols: a working day of GPS fixes for each inspector, for the demo and the
benchmarks (`manage.py generate_patrols`).

An inspector walks their grids during the working periods of working days (the calendar's,
cases.worktime): from one random point inside a grid to the next at 1.0–1.5 m/s, stopping now
and then for a few minutes (a report, a check), with a break between the periods. The handheld
records a fix every `interval` seconds with the receiver's noise (σ 3–8 m, a different
receiver each), and now and then a jump of hundreds of metres, as real ones do. Written as
PatrolFix rows (COPY on PostgreSQL), and each inspector's latest position moved to their last
fix. Same seed, same fixes.
"""

from __future__ import annotations

import time as time_module
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import shapely
from django.contrib.gis.geos import Point
from django.db import connection, transaction
from django.utils import timezone

from cases.worktime import load_calendar
from config.dbstats import analyze
from grids.geo import to_degrees
from grids.models import InspectorPosition, PatrolDay, PatrolFix, PatrolGridDay
from grids.tracks import GridShapes, own_grids, patrol_days_build

SPEED_MPS = (1.0, 1.5)
NOISE_M = (3.0, 8.0)
JUMP_SHARE = 0.004
STOP_EVERY_S = (900.0, 2700.0)
STOP_FOR_S = (120.0, 600.0)


class PatrolGenerationRefused(Exception):
    """Bad arguments, or nothing to generate for."""


@dataclass
class PatrolSummary:
    days: int = 0
    inspectors: int = 0
    fixes: int = 0
    seconds: float = 0.0

    def __str__(self) -> str:
        rate = self.fixes / self.seconds if self.seconds else 0.0
        return (
            f"{self.fixes} fixes for {self.inspectors} inspectors over {self.days} working "
            f"days in {self.seconds:.1f} s ({rate:.0f} fixes/s)"
        )


def _inside(polygon: shapely.Geometry, n: int, rng: np.random.Generator) -> np.ndarray:
    """n uniform random points inside a polygon (metres)."""
    minx, miny, maxx, maxy = polygon.bounds
    out = np.empty((0, 2))
    for _attempt in range(50):
        xy = np.column_stack(
            [rng.uniform(minx, maxx, 4 * n + 8), rng.uniform(miny, maxy, 4 * n + 8)]
        )
        out = np.vstack([out, xy[shapely.contains_xy(polygon, xy[:, 0], xy[:, 1])]])
        if len(out) >= n:
            return out[:n]
    point = shapely.point_on_surface(polygon)
    return np.repeat([[point.x, point.y]], n, axis=0)


# How inspectors spend a day, with shares: most patrol their grids all day; some stop early
# or stand about more; a few keep to one corner.
HABITS = (("steady", 0.7), ("short", 0.2), ("corner", 0.1))


def walk(
    polygon: shapely.Geometry,
    start: float,
    end: float,
    interval: float,
    rng: np.random.Generator,
    habit: str = "steady",
) -> tuple[np.ndarray, np.ndarray]:
    """The true positions (metres) at each fix time from `start` to `end` (epoch seconds)."""
    if habit == "short":
        end = start + (end - start) * rng.uniform(0.3, 0.7)
    if habit == "corner":
        minx, miny, maxx, maxy = polygon.bounds
        cx, cy = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        half = 0.2 * max(maxx - minx, maxy - miny)
        corner = shapely.intersection(
            polygon, shapely.box(cx - half, cy - half, cx + half, cy + half)
        )
        if not corner.is_empty and corner.area > 0:
            polygon = corner
    times = np.arange(start, end, interval)
    if len(times) == 0:
        return np.empty((0, 2)), times
    speed = rng.uniform(*SPEED_MPS)
    # Waypoints enough for the whole stretch: ~300 m apart on average inside a unit grid.
    legs = max(2, int((end - start) * speed / 150) + 2)
    points = _inside(polygon, legs, rng)
    lengths = np.hypot(*np.diff(points, axis=0).T)
    along = np.concatenate([[0.0], np.cumsum(lengths)])
    # Distance walked by each fix time, with stops: time standing still is not walked.
    elapsed = times - start
    standing = np.zeros_like(elapsed)
    t = rng.uniform(*STOP_EVERY_S)
    while t < end - start:
        duration = rng.uniform(*STOP_FOR_S)
        standing += np.clip(elapsed - t, 0, duration)
        t += duration + rng.uniform(*STOP_EVERY_S)
    walked = np.minimum((elapsed - standing) * speed, along[-1])
    x = np.interp(walked, along, points[:, 0])
    y = np.interp(walked, along, points[:, 1])
    return np.column_stack([x, y]), times


def _fixes_for(
    polygons: list[shapely.Geometry],
    periods: list[tuple[float, float]],
    interval: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(metres n × 2, epoch seconds, accuracy) for one inspector's day: a grid per period."""
    xy_parts, t_parts = [], []
    noise = rng.uniform(*NOISE_M)
    habits = [habit for habit, _share in HABITS]
    habit = habits[int(rng.choice(len(HABITS), p=[share for _habit, share in HABITS]))]
    for i, (start, end) in enumerate(periods):
        polygon = polygons[i % len(polygons)]
        # They start a few minutes late and stop a few minutes early, like people do.
        xy, times = walk(
            polygon, start + rng.uniform(0, 600), end - rng.uniform(0, 600), interval, rng, habit
        )
        xy_parts.append(xy)
        t_parts.append(times)
    xy = np.vstack(xy_parts) if xy_parts else np.empty((0, 2))
    t = np.concatenate(t_parts) if t_parts else np.empty(0)
    xy = xy + rng.normal(0, noise, xy.shape)
    jumps = rng.random(len(xy)) < JUMP_SHARE
    angle = rng.uniform(0, 2 * np.pi, jumps.sum())
    reach = rng.uniform(300, 2000, jumps.sum())
    xy[jumps] += np.column_stack([np.cos(angle), np.sin(angle)]) * reach[:, None]
    accuracy = np.round(np.abs(rng.normal(noise * 1.5, 2.0, len(xy))) + 3, 1)
    return xy, t, accuracy


def _working_periods(day: date) -> list[tuple[float, float]]:
    calendar = load_calendar()
    tz = timezone.get_current_timezone()
    out = []
    for start, end in calendar.work_periods:
        a = timezone.make_aware(datetime.combine(day, start), tz).timestamp()
        b = timezone.make_aware(datetime.combine(day, end), tz).timestamp()
        out.append((a, b))
    return out


def generate_patrols(
    *,
    days: int,
    end_date: date | None = None,
    inspectors: Sequence[int] | None = None,
    regions: Sequence[str] = (),
    interval: float = 15.0,
    seed: int = 1,
    now: datetime | None = None,
    on_day: Callable[[date, int], None] | None = None,
) -> PatrolSummary:
    """Fixes for `days` days ending on `end_date` (default today; nothing after `now`), for the
    given inspectors, or those posted in `regions` (code prefixes), or every posted
    inspector. Only working days; one transaction per day. The patrol days of the days that
    are over are built too (grids.tracks), so the figures are there at once."""
    started = time_module.perf_counter()
    now = now or timezone.now()
    end_date = end_date or timezone.localdate(now)
    if days < 1 or interval < 1:
        raise PatrolGenerationRefused("days ≥ 1 and interval ≥ 1 s.")
    posts = own_grids(inspectors)
    if regions:
        prefixes = tuple(regions)
        posts = {
            user: [code for code in codes if code.startswith(prefixes)]
            for user, codes in posts.items()
        }
        posts = {user: codes for user, codes in posts.items() if codes}
    if not posts:
        raise PatrolGenerationRefused("No inspector posted to a grid: run seed_demo first.")
    first = end_date - timedelta(days=days - 1)
    day_start = timezone.make_aware(datetime.combine(first, datetime.min.time()))
    day_end = timezone.make_aware(
        datetime.combine(end_date + timedelta(days=1), datetime.min.time())
    )
    if PatrolFix.objects.filter(
        user_id__in=list(posts), recorded_at__gte=day_start, recorded_at__lt=day_end
    ).exists():
        raise PatrolGenerationRefused(
            f"These inspectors already have fixes between {first} and {end_date}; "
            "choose other days or inspectors."
        )
    shapes = GridShapes.load({code for codes in posts.values() for code in codes})
    calendar = load_calendar()
    summary = PatrolSummary(inspectors=len(posts))
    for n in range(days - 1, -1, -1):
        day = end_date - timedelta(days=n)
        if not calendar.is_working_day(day):
            continue
        summary.days += 1
        periods = _working_periods(day)
        cutoff = now.timestamp()
        rows: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = []
        for user_id in sorted(posts):
            rng = np.random.default_rng([seed, user_id, day.toordinal()])
            polygons = [shapes.polygons[shapes.index[code]] for code in posts[user_id]]
            xy, t, accuracy = _fixes_for(polygons, periods, interval, rng)
            keep = t <= cutoff
            if keep.any():
                rows.append((user_id, xy[keep], t[keep], accuracy[keep]))
        fixes = _write(rows, now)
        summary.fixes += fixes
        if day < timezone.localdate(now):
            patrol_days_build(day=day, user_ids=sorted(posts), now=now)
        if on_day is not None:
            on_day(day, fixes)
    analyze(PatrolFix, PatrolDay, PatrolGridDay, InspectorPosition)
    summary.seconds = time_module.perf_counter() - started
    return summary


def _write(rows: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]], now: datetime) -> int:
    tz = timezone.get_current_timezone()
    total = 0
    with transaction.atomic():
        if connection.vendor == "postgresql":
            total = _copy(rows, now)
        else:
            batch: list[PatrolFix] = []
            for user_id, xy, t, accuracy in rows:
                lonlat = to_degrees(xy[:, 0], xy[:, 1])
                for (lon, lat), epoch, acc in zip(lonlat, t, accuracy, strict=True):
                    batch.append(
                        PatrolFix(
                            user_id=user_id,
                            point=Point(float(lon), float(lat), srid=4326),
                            recorded_at=datetime.fromtimestamp(float(epoch), tz=tz),
                            received_at=now,
                            accuracy_m=float(acc),
                        )
                    )
                total += len(t)
                if len(batch) >= 5000:
                    PatrolFix.objects.bulk_create(batch, ignore_conflicts=True)
                    batch = []
            PatrolFix.objects.bulk_create(batch, ignore_conflicts=True)
        for user_id, xy, t, accuracy in rows:
            last = to_degrees(xy[-1:, 0], xy[-1:, 1])[0]
            at = datetime.fromtimestamp(float(t[-1]), tz=tz)
            values = {
                "point": Point(float(last[0]), float(last[1]), srid=4326),
                "recorded_at": at,
                "accuracy_m": float(accuracy[-1]),
                "updated_at": now,
            }
            if not InspectorPosition.objects.filter(user_id=user_id, recorded_at__lt=at).update(
                **values
            ):
                InspectorPosition.objects.get_or_create(user_id=user_id, defaults=values)
    return total


def _copy(rows: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]], now: datetime) -> int:
    """COPY the fixes in (points as hex EWKB): a million rows in seconds."""
    columns = "user_id, point, recorded_at, received_at, accuracy_m, speed_mps, client_id"
    total = 0
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {PatrolFix._meta.db_table} ({columns}) FROM STDIN") as copy,
    ):
        for user_id, xy, t, accuracy in rows:
            lonlat = to_degrees(xy[:, 0], xy[:, 1])
            points = shapely.to_wkb(
                shapely.set_srid(shapely.points(lonlat), 4326), hex=True, include_srid=True
            )
            for point, epoch, acc in zip(points, t, accuracy, strict=True):
                recorded = datetime.fromtimestamp(float(epoch), tz=UTC)
                copy.write_row((user_id, point, recorded, now, float(acc), None, ""))
            total += len(t)
    return total

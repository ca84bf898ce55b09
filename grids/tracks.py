"""Patrol tracks that can be seen and counted: a day's GPS fixes → a clean line, the distance
walked, the time on duty, and the share of each grid covered.

Cleaning, in order (distances in EPSG:4549 metres, grids.geo.to_metres):
1. fixes that report an accuracy worse than PATROL_MAX_ACCURACY_M are not positions;
2. GPS jumps: a fix farther from the last good one than PATROL_MAX_SPEED_MPS allows in the
   time between them, plus PATROL_JUMP_SLACK_M for the receiver's own wander, is set aside;
   if PATROL_RELOCK_FIXES set-aside fixes in a row agree with each other, the inspector really
   is there (the earlier fixes were the glitch, or they took a bus) and a new segment starts;
   otherwise they are dropped as jumps;
3. a silence longer than PATROL_MAX_GAP_S (lunch, the handheld off) ends a segment: the time
   is not on duty and no distance is counted across it;
4. each segment is smoothed (a centred moving average over PATROL_SMOOTH_SECONDS), which
   takes out most of the receiver's jitter, and simplified (Douglas–Peucker,
   PATROL_SIMPLIFY_M), which takes out what is left when the inspector stands still.

Measures: the distance is the length of the simplified segments; the time on duty the sum of
the intervals between consecutive fixes of a segment; the covered share of a grid the part of
its area within PATROL_COVER_M (30 m) of the line (counted on 5 m cells). Per grid: the
distance inside it, the time whose midpoints lie in it, and its covered share.

`patrol_days_build` stores a day's PatrolDay and PatrolGridDay rows for many inspectors at
once (the nightly run, and the benchmark: 1,188 inspectors); `track_for_day` computes one
inspector's day for the track API without storing anything.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import time as time_module
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import pairwise

import numpy as np
import shapely
from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry, MultiLineString
from django.db import connection, connections, transaction
from django.db.models import FloatField, Func
from django.utils import timezone

from grids.geo import PointCoordinate, to_degrees, to_metres
from grids.models import Level, PatrolDay, PatrolFix, PatrolGridDay, Post, Region, Role


@dataclass(frozen=True)
class TrackSettings:
    max_speed_mps: float
    jump_slack_m: float
    max_accuracy_m: float
    max_gap_s: float
    relock_fixes: int
    smooth_seconds: float
    simplify_m: float
    cover_m: float

    @classmethod
    def current(cls) -> TrackSettings:
        return cls(
            max_speed_mps=float(getattr(settings, "PATROL_MAX_SPEED_MPS", 6.0)),
            jump_slack_m=float(getattr(settings, "PATROL_JUMP_SLACK_M", 25.0)),
            max_accuracy_m=float(getattr(settings, "PATROL_MAX_ACCURACY_M", 50.0)),
            max_gap_s=float(getattr(settings, "PATROL_MAX_GAP_S", 600.0)),
            relock_fixes=int(getattr(settings, "PATROL_RELOCK_FIXES", 3)),
            smooth_seconds=float(getattr(settings, "PATROL_SMOOTH_SECONDS", 30.0)),
            simplify_m=float(getattr(settings, "PATROL_SIMPLIFY_M", 5.0)),
            cover_m=float(getattr(settings, "PATROL_COVER_M", 30.0)),
        )


@dataclass
class Segment:
    """A stretch of continuous patrol: the smoothed fixes, and the simplified line."""

    xy: np.ndarray  # smoothed fixes, metres (n × 2)
    t: np.ndarray  # their times, epoch seconds
    keep: np.ndarray  # which of them the simplified line keeps

    @property
    def line_xy(self) -> np.ndarray:
        return self.xy[self.keep]

    @property
    def line_t(self) -> np.ndarray:
        return self.t[self.keep]

    @property
    def length(self) -> float:
        line = self.line_xy
        return float(np.hypot(*np.diff(line, axis=0).T).sum()) if len(line) > 1 else 0.0

    @property
    def duty(self) -> float:
        return float(self.t[-1] - self.t[0]) if len(self.t) > 1 else 0.0


@dataclass
class CleanTrack:
    segments: list[Segment]
    fixes_received: int
    fixes_used: int
    jumps_dropped: int
    inaccurate_dropped: int
    first_at: float | None
    last_at: float | None

    @property
    def distance_m(self) -> float:
        return sum(segment.length for segment in self.segments)

    @property
    def duty_seconds(self) -> float:
        return sum(segment.duty for segment in self.segments)

    def lines(self) -> list[np.ndarray]:
        return [s.line_xy for s in self.segments if len(s.line_xy) > 1]

    def geometry_m(self) -> shapely.MultiLineString | None:
        lines = self.lines()
        return (
            shapely.multilinestrings([shapely.linestrings(line) for line in lines])
            if lines
            else None
        )


# --- cleaning (pure) ------------------------------------------------------------------------------


def _split_jumps(xy: np.ndarray, t: np.ndarray, conf: TrackSettings) -> list[list[int]]:
    """Indexes of the fixes kept, per segment (a segment is at least two fixes)."""
    n = len(t)
    if n == 0:
        return []
    xs, ys, ts = xy[:, 0].tolist(), xy[:, 1].tolist(), t.tolist()
    speed, slack, gap = conf.max_speed_mps, conf.jump_slack_m, conf.max_gap_s

    def reachable(a: int, b: int) -> bool:
        # Walking (at most max_speed) plus the receiver's own wander (the slack).
        distance = math.hypot(xs[b] - xs[a], ys[b] - ys[a])
        return distance <= speed * (ts[b] - ts[a]) + slack

    # Most steps are ordinary (reachable from the fix before, no gap): runs of them are taken
    # whole while the walk is in step; only the steps around jumps and gaps are looked at.
    step = np.hypot(*np.diff(xy, axis=0).T) <= speed * np.diff(t) + slack
    step &= np.diff(t) <= gap
    trouble = set((np.flatnonzero(~step) + 1).tolist())
    segments: list[list[int]] = []
    current = [0]
    pending: list[int] = []
    i = 1
    while i < n:
        last = current[-1]
        if last == i - 1 and not pending and i not in trouble:
            # In step: take everything up to the next troubled fix.
            following = min((k for k in trouble if k > i), default=n)
            current.extend(range(i, following))
            i = following
            continue
        if ts[i] - ts[last] > gap:
            segments.append(current)
            current, pending = [i], []
        elif reachable(last, i):
            current.append(i)
            pending = []
        else:
            if pending and ts[i] - ts[pending[-1]] <= gap and reachable(pending[-1], i):
                pending.append(i)
            else:
                pending = [i]
            if len(pending) >= conf.relock_fixes:
                segments.append(current)
                current, pending = pending, []
        i += 1
    segments.append(current)
    return [segment for segment in segments if len(segment) > 1]


def _smooth(xy: np.ndarray, t: np.ndarray, seconds: float) -> tuple[np.ndarray, int]:
    """Centred moving average over about `seconds` (an odd number of fixes, from the median
    interval, so a sparse track is not smoothed round its corners); the window shrinks at the
    ends so they stay where they were. Returns the smoothed fixes and the window used."""
    n = len(xy)
    interval = float(np.median(np.diff(t))) if n > 1 else seconds
    window = round(seconds / max(interval, 1.0))
    half = max(0, min(window // 2, (n - 1) // 2))
    if half == 0:
        return xy.copy(), 1
    sums = np.vstack([np.zeros((1, 2)), np.cumsum(xy, axis=0)])
    index = np.arange(n)
    width = np.minimum(np.minimum(index, n - 1 - index), half)
    lo, hi = index - width, index + width + 1
    return (sums[hi] - sums[lo]) / (hi - lo)[:, None], 2 * half + 1


def _noise(xy: np.ndarray) -> float:
    """The receiver's noise (σ per axis, metres), from the fixes themselves: second differences
    of a walked line are mostly noise (variance 6σ²); the median keeps corners and stops out."""
    if len(xy) < 3:
        return 0.0
    second = xy[2:] - 2 * xy[1:-1] + xy[:-2]
    return float(np.median(np.abs(second))) / (0.6745 * math.sqrt(6))


def simplify_mask(xy: np.ndarray, tolerance: float) -> np.ndarray:
    """Douglas–Peucker: which points the simplified line keeps (the ends always)."""
    n = len(xy)
    keep = np.zeros(n, dtype=bool)
    if n == 0:
        return keep
    keep[0] = keep[-1] = True
    stack = [(0, n - 1)]
    while stack:
        a, b = stack.pop()
        if b <= a + 1:
            continue
        chord = xy[b] - xy[a]
        points = xy[a + 1 : b] - xy[a]
        length2 = float(chord @ chord)
        if length2 == 0.0:
            distance = np.hypot(points[:, 0], points[:, 1])
        else:
            along = np.clip(points @ chord / length2, 0.0, 1.0)
            offset = points - along[:, None] * chord
            distance = np.hypot(offset[:, 0], offset[:, 1])
        i = int(np.argmax(distance))
        if distance[i] > tolerance:
            split = a + 1 + i
            keep[split] = True
            stack.append((a, split))
            stack.append((split, b))
    return keep


def clean_track(
    lon: np.ndarray,
    lat: np.ndarray,
    t: np.ndarray,
    accuracy: np.ndarray | None = None,
    *,
    conf: TrackSettings | None = None,
    xy: np.ndarray | None = None,
) -> CleanTrack:
    """A day's fixes (in time order; `t` in epoch seconds, `accuracy` in metres or NaN) → the
    cleaned track. `xy` may give the fixes in metres already."""
    conf = conf or TrackSettings.current()
    received = len(t)
    t = np.asarray(t, dtype=float)
    good = np.ones(received, dtype=bool)
    if accuracy is not None:
        accuracy = np.asarray(accuracy, dtype=float)
        good = ~(accuracy > conf.max_accuracy_m)  # NaN (not reported) is fine
    if xy is None:
        xy = to_metres(np.asarray(lon, float)[good], np.asarray(lat, float)[good])
    else:
        xy = xy[good]
    t = t[good]
    segments = []
    used = 0
    for indexes in _split_jumps(xy, t, conf):
        smoothed, window = _smooth(xy[indexes], t[indexes], conf.smooth_seconds)
        # What jitter the smoothing leaves, the simplification takes: never keep a bend
        # smaller than three times the noise left in the smoothed line.
        tolerance = max(conf.simplify_m, 3.0 * _noise(xy[indexes]) / math.sqrt(window))
        segments.append(Segment(smoothed, t[indexes], simplify_mask(smoothed, tolerance)))
        used += len(indexes)
    return CleanTrack(
        segments=segments,
        fixes_received=received,
        fixes_used=used,
        jumps_dropped=int(good.sum()) - used,
        inaccurate_dropped=received - int(good.sum()),
        first_at=float(segments[0].t[0]) if segments else None,
        last_at=float(segments[-1].t[-1]) if segments else None,
    )


# --- grids --------------------------------------------------------------------------------------


# Coverage is counted on a raster of square cells this size (a cell is covered when its centre
# is within reach of the line), and distances in grids by walking the line in steps of
# SAMPLE_M: exact geometry (buffering a day's self-crossing line) costs seconds an inspector,
# this milliseconds, and they agree to about a percent.
CELL_M = 5.0
SAMPLE_M = 2.5


@dataclass
class _Raster:
    x0: float
    y0: float
    inside: np.ndarray  # rows (y) × columns (x): cell centre inside the grid

    @property
    def cells(self) -> int:
        return int(self.inside.sum())


@dataclass
class GridShapes:
    """Grid polygons in metres, with a spatial index and (lazily) their rasters."""

    codes: list[str]
    polygons: np.ndarray  # shapely, metres
    tree: shapely.STRtree
    index: dict[str, int] = field(default_factory=dict)
    rasters: dict[int, _Raster] = field(default_factory=dict)

    @classmethod
    def load(cls, codes: Iterable[str] | None = None) -> GridShapes:
        grids = Region.objects.filter(level=Level.GRID)
        if codes is not None:
            grids = grids.filter(code__in=sorted(set(codes)))
        rows = list(grids.order_by("code").values_list("code", "geom"))
        polygons = np.array(
            [
                shapely.transform(
                    shapely.from_wkb(bytes(geom.wkb)),
                    lambda c: to_metres(c[:, 0], c[:, 1]),
                )
                for _code, geom in rows
            ],
            dtype=object,
        )
        codes_list = [code for code, _geom in rows]
        return cls(
            codes=codes_list,
            polygons=polygons,
            tree=shapely.STRtree(polygons),
            index={code: i for i, code in enumerate(codes_list)},
        )

    def near(self, xy: np.ndarray) -> list[int]:
        """The grids whose bounding box meets the points' bounding box."""
        if not len(xy):
            return []
        box = shapely.box(*xy.min(axis=0), *xy.max(axis=0))
        return sorted(int(i) for i in self.tree.query(box))

    def raster(self, i: int) -> _Raster:
        if i not in self.rasters:
            minx, miny, maxx, maxy = self.polygons[i].bounds
            xs = np.arange(minx + CELL_M / 2, maxx, CELL_M)
            ys = np.arange(miny + CELL_M / 2, maxy, CELL_M)
            gx, gy = np.meshgrid(xs, ys)
            inside = shapely.contains_xy(self.polygons[i], gx, gy)
            self.rasters[i] = _Raster(minx, miny, inside)
        return self.rasters[i]


@dataclass(frozen=True)
class GridFigures:
    code: str
    is_own: bool
    distance_m: float
    duty_seconds: float
    covered_share: float


def _samples(track: CleanTrack) -> tuple[np.ndarray, np.ndarray]:
    """Points every SAMPLE_M metres along the simplified line (the middles of the steps) and
    each step's length."""
    mids, lengths = [], []
    for line in track.lines():
        a, b = line[:-1], line[1:]
        seg = np.hypot(*(b - a).T)
        steps = np.maximum(1, np.ceil(seg / SAMPLE_M)).astype(int)
        which = np.repeat(np.arange(len(seg)), steps)
        k = np.concatenate([np.arange(n) for n in steps])
        f = (k + 0.5) / steps[which]
        mids.append(a[which] + (b - a)[which] * f[:, None])
        lengths.append(seg[which] / steps[which])
    if not mids:
        return np.empty((0, 2)), np.empty(0)
    return np.vstack(mids), np.concatenate(lengths)


def _covered_cells(raster: _Raster, lines: list[np.ndarray], cover_m: float) -> int:
    """Cells of the grid whose centre lies within cover_m of the line: each segment marks the
    cells of its bounding box (widened by cover_m) whose centre is that close to it."""
    rows, cols = raster.inside.shape
    marked = np.zeros_like(raster.inside)
    for line in lines:
        for a, b in pairwise(line):
            lo = np.minimum(a, b) - cover_m
            hi = np.maximum(a, b) + cover_m
            i0 = max(0, int(np.floor((lo[0] - raster.x0) / CELL_M)))
            i1 = min(cols, int(np.ceil((hi[0] - raster.x0) / CELL_M)))
            j0 = max(0, int(np.floor((lo[1] - raster.y0) / CELL_M)))
            j1 = min(rows, int(np.ceil((hi[1] - raster.y0) / CELL_M)))
            if i0 >= i1 or j0 >= j1:
                continue
            cx = raster.x0 + (np.arange(i0, i1) + 0.5) * CELL_M
            cy = raster.y0 + (np.arange(j0, j1) + 0.5) * CELL_M
            px, py = np.meshgrid(cx - a[0], cy - a[1])
            d = b - a
            length2 = float(d @ d)
            along = np.clip((px * d[0] + py * d[1]) / length2, 0, 1) if length2 else 0.0
            near = np.hypot(px - along * d[0], py - along * d[1]) <= cover_m
            marked[j0:j1, i0:i1] |= near
    return int((marked & raster.inside).sum())


def grid_figures(
    track: CleanTrack, shapes: GridShapes, own: Sequence[str], cover_m: float
) -> tuple[list[GridFigures], float | None]:
    """Per grid (own grids, and any the track enters): distance, time, covered share; and the
    covered share of the own grids together (None without own grids)."""
    samples, lengths = _samples(track)
    lines = track.lines()
    wanted = {shapes.index[code] for code in own if code in shapes.index}
    wanted |= set(shapes.near(samples))
    # Time is counted where the middle of each interval between two fixes lies.
    mids, dts = [], []
    for segment in track.segments:
        if len(segment.t) > 1:
            mids.append((segment.xy[1:] + segment.xy[:-1]) / 2)
            dts.append(np.diff(segment.t))
    mid = np.vstack(mids) if mids else np.empty((0, 2))
    dt = np.concatenate(dts) if dts else np.empty(0)
    figures = []
    own_set = set(own)
    own_cells = own_covered = 0
    for i in sorted(wanted):
        polygon = shapes.polygons[i]
        code = shapes.codes[i]
        on_grid = shapely.contains_xy(polygon, samples[:, 0], samples[:, 1])
        distance = float(lengths[on_grid].sum())
        duty = float(dt[shapely.contains_xy(polygon, mid[:, 0], mid[:, 1])].sum())
        if code not in own_set and distance == 0 and duty == 0:
            continue
        raster = shapes.raster(i)
        covered = _covered_cells(raster, lines, cover_m)
        share = covered / raster.cells if raster.cells else 0.0
        if code in own_set:
            own_cells += raster.cells
            own_covered += covered
        figures.append(GridFigures(code, code in own_set, distance, duty, min(1.0, share)))
    own_share = None
    if any(code in shapes.index for code in own):
        own_share = own_covered / own_cells if own_cells else 0.0
    return figures, own_share


# --- reading fixes ------------------------------------------------------------------------------


def day_bounds(day: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(day, time.min), tz)
    return start, timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min), tz)


@dataclass
class Fixes:
    lon: np.ndarray
    lat: np.ndarray
    t: np.ndarray
    accuracy: np.ndarray


class EpochSeconds(Func):
    """A timestamp column as seconds since 1970 (a number: no datetime object per row)."""

    output_field = FloatField()
    arity = 1

    def as_postgresql(self, compiler, connection, **extra):  # noqa: ANN001, ANN201
        template = "EXTRACT(EPOCH FROM %(expressions)s)::float8"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler, connection, **extra):  # noqa: ANN001, ANN201
        # Django keeps SQLite datetimes as UTC text; julianday reads it.
        template = "((julianday(%(expressions)s) - 2440587.5) * 86400.0)"
        return self.as_sql(compiler, connection, template=template, **extra)


def _fixes_by_user(user_ids: Sequence[int], day: date) -> dict[int, Fixes]:
    start, end = day_bounds(day)
    rows = (
        PatrolFix.objects.filter(
            user_id__in=list(user_ids), recorded_at__gte=start, recorded_at__lt=end
        )
        .annotate(
            lon=PointCoordinate("point", axis="X"),
            lat=PointCoordinate("point", axis="Y"),
            epoch=EpochSeconds("recorded_at"),
        )
        .order_by("user_id", "recorded_at")
        .values_list("user_id", "lon", "lat", "epoch", "accuracy_m")
    )
    grouped: dict[int, list[tuple[float, float, float, float]]] = defaultdict(list)
    for user_id, lon, lat, epoch, accuracy in rows.iterator(chunk_size=20_000):
        grouped[user_id].append((lon, lat, epoch, np.nan if accuracy is None else accuracy))
    out = {}
    for user_id, values in grouped.items():
        array = np.array(values, dtype=float)
        # To the millisecond: SQLite's julianday arithmetic leaves a few microseconds of noise.
        array[:, 2] = np.round(array[:, 2], 3)
        out[user_id] = Fixes(array[:, 0], array[:, 1], array[:, 2], array[:, 3])
    return out


def own_grids(user_ids: Sequence[int] | None = None) -> dict[int, list[str]]:
    """user → the grid codes of their active inspector posts."""
    posts = Post.objects.filter(role=Role.INSPECTOR, is_active=True, region__level=Level.GRID)
    if user_ids is not None:
        posts = posts.filter(user_id__in=list(user_ids))
    out: dict[int, list[str]] = defaultdict(list)
    for user_id, code in posts.order_by("user_id", "region__code").values_list(
        "user_id", "region__code"
    ):
        out[user_id].append(code)
    return dict(out)


# --- one inspector's day, for the API -------------------------------------------------------------


@dataclass
class DayTrack:
    user_id: int
    day: date
    track: CleanTrack
    grids: list[GridFigures]
    covered_share: float | None

    def lines_degrees(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(lon/lat n × 2, epoch seconds) per segment of the simplified line."""
        out = []
        for segment in self.track.segments:
            line = segment.line_xy
            if len(line) > 1:
                out.append((to_degrees(line[:, 0], line[:, 1]), segment.line_t))
        return out


def track_for_day(user_id: int, day: date, *, conf: TrackSettings | None = None) -> DayTrack:
    """One inspector's day as the fixes stand now (nothing stored)."""
    conf = conf or TrackSettings.current()
    fixes = _fixes_by_user([user_id], day).get(user_id)
    if fixes is None:
        track = clean_track(np.empty(0), np.empty(0), np.empty(0), conf=conf)
    else:
        track = clean_track(fixes.lon, fixes.lat, fixes.t, fixes.accuracy, conf=conf)
    own = own_grids([user_id]).get(user_id, [])
    line = track.geometry_m()
    codes = set(own)
    if line is not None:
        envelope = to_degrees(*np.array(shapely.bounds(line)).reshape(2, 2).T)
        (min_lon, min_lat), (max_lon, max_lat) = envelope[0], envelope[1]
        codes |= set(
            Region.objects.filter(
                level=Level.GRID,
                geom__bboverlaps=GEOSGeometry(
                    shapely.box(min_lon, min_lat, max_lon, max_lat).wkt, srid=4326
                ),
            ).values_list("code", flat=True)
        )
    shapes = GridShapes.load(codes)
    figures, share = grid_figures(track, shapes, own, conf.cover_m)
    return DayTrack(user_id, day, track, figures, share)


# --- many inspectors' day, stored -----------------------------------------------------------------


@dataclass
class BuildResult:
    day: date
    inspectors: int = 0
    with_fixes: int = 0
    fixes: int = 0
    seconds: float = 0.0

    def __str__(self) -> str:
        return (
            f"{self.day}: {self.inspectors} inspectors ({self.with_fixes} with fixes, "
            f"{self.fixes} fixes) in {self.seconds:.1f} s"
        )


def _multiline_degrees(track: CleanTrack) -> MultiLineString | None:
    lines = track.lines()
    if not lines:
        return None
    geometry = shapely.transform(
        shapely.multilinestrings([shapely.linestrings(line) for line in lines]),
        lambda c: to_degrees(c[:, 0], c[:, 1]),
    )
    return GEOSGeometry(memoryview(shapely.to_wkb(geometry)), srid=4326)  # type: ignore[return-value]


@dataclass
class _BuildJob:
    """One day's build, shared by the batches (and, forked, by the worker processes)."""

    day: date
    posts: dict[int, list[str]]
    shapes: GridShapes
    conf: TrackSettings
    now: datetime

    def build(self, chunk: list[int]) -> tuple[int, int]:
        """Build and store a batch of inspectors' days; (inspectors with fixes, fixes)."""
        fixes = _fixes_by_user(chunk, self.day)
        days: list[PatrolDay] = []
        grid_rows: list[tuple[int, list[GridFigures]]] = []
        with_fixes = total = 0
        for user_id in chunk:
            got = fixes.get(user_id)
            if got is None:
                track = clean_track(np.empty(0), np.empty(0), np.empty(0), conf=self.conf)
            else:
                with_fixes += 1
                total += len(got.t)
                track = clean_track(got.lon, got.lat, got.t, got.accuracy, conf=self.conf)
            figures, share = grid_figures(
                track, self.shapes, self.posts.get(user_id, []), self.conf.cover_m
            )
            days.append(
                PatrolDay(
                    user_id=user_id,
                    day=self.day,
                    track=_multiline_degrees(track),
                    distance_m=round(track.distance_m, 1),
                    duty_seconds=round(track.duty_seconds),
                    fixes_received=track.fixes_received,
                    fixes_used=track.fixes_used,
                    jumps_dropped=track.jumps_dropped,
                    first_fix_at=_instant(track.first_at),
                    last_fix_at=_instant(track.last_at),
                    covered_share=None if share is None else round(share, 4),
                    computed_at=self.now,
                )
            )
            grid_rows.append((user_id, figures))
        with transaction.atomic():
            PatrolDay.objects.filter(day=self.day, user_id__in=chunk).delete()
            PatrolDay.objects.bulk_create(days)
            saved = dict(
                PatrolDay.objects.filter(day=self.day, user_id__in=chunk).values_list(
                    "user_id", "pk"
                )
            )
            PatrolGridDay.objects.bulk_create(
                [
                    PatrolGridDay(
                        patrol_day_id=saved[user_id],
                        grid_id=figure.code,
                        day=self.day,
                        is_own=figure.is_own,
                        distance_m=round(figure.distance_m, 1),
                        duty_seconds=round(figure.duty_seconds),
                        covered_share=round(figure.covered_share, 4),
                    )
                    for user_id, figures in grid_rows
                    for figure in figures
                ],
                batch_size=2000,
            )
        return with_fixes, total


_worker_job: _BuildJob | None = None


def _build_in_worker(chunk: list[int]) -> tuple[int, int]:
    if _worker_job is None:  # pragma: no cover - set before the fork
        raise RuntimeError("worker started without a job")
    return _worker_job.build(chunk)


def patrol_days_build(
    *,
    day: date,
    user_ids: Sequence[int] | None = None,
    idle_inspectors: bool = True,
    batch: int = 100,
    workers: int | None = 1,
    now: datetime | None = None,
) -> BuildResult:
    """Build (or rebuild) the day's PatrolDay and PatrolGridDay rows.

    For the given users, or for everyone who uploaded fixes that day plus, when
    `idle_inspectors` (a working day: the caller reads the calendar), every inspector posted to
    a grid, so a day without a patrol is on record as one. Batches of `batch` inspectors, each
    in its own transaction; rebuilding a day writes the same rows. `workers` > 1 (PostgreSQL,
    outside a transaction) builds batches in that many forked processes; None picks the CPUs
    (at most 4) where that works.
    """
    started = time_module.perf_counter()
    now = now or timezone.now()
    start, end = day_bounds(day)
    posts = own_grids(user_ids)
    if user_ids is None:
        users = set(
            PatrolFix.objects.filter(recorded_at__gte=start, recorded_at__lt=end)
            .values_list("user_id", flat=True)
            .distinct()
        )
        if idle_inspectors:
            users |= set(posts)
    else:
        users = set(user_ids)
    ordered = sorted(users)
    result = BuildResult(day=day, inspectors=len(ordered))
    job = _BuildJob(day, posts, GridShapes.load(), TrackSettings.current(), now)
    chunks = [ordered[i : i + batch] for i in range(0, len(ordered), batch)]
    parallel_ok = connection.vendor == "postgresql" and not connection.in_atomic_block
    if workers is None:
        workers = min(4, os.cpu_count() or 1) if parallel_ok else 1
    if workers > 1 and parallel_ok and len(chunks) > 1:
        outcomes = list(_in_workers(job, chunks, workers))
    else:
        outcomes = [job.build(chunk) for chunk in chunks]
    for with_fixes, fixes in outcomes:
        result.with_fixes += with_fixes
        result.fixes += fixes
    result.seconds = time_module.perf_counter() - started
    return result


def _in_workers(job: _BuildJob, chunks: list[list[int]], workers: int) -> list[tuple[int, int]]:
    """Batches built by forked processes, each on its own connection; the grids and posts
    are inherited, not pickled."""
    global _worker_job
    connections.close_all()  # children open their own connections, never share the parent's
    _worker_job = job
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            return list(pool.imap_unordered(_build_in_worker, chunks))
    finally:
        _worker_job = None


def _instant(epoch: float | None) -> datetime | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, tz=timezone.get_current_timezone())

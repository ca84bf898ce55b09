"""Emergency linkage (DOMAIN.md §10): the nearest resources and on-duty inspectors to a point.

Nearest-by-metres over points stored in EPSG:4326
-------------------------------------------------
The spatial index orders by planar distance in *degrees* (PostGIS's KNN operator `<->`), and a
degree of longitude is shorter than a degree of latitude (cos 36° ≈ 0.81 in Qingdao), so the
k nearest by degrees are not always the k nearest by metres. We therefore

1. take a candidate set from the index: the K = max(4·N, 50) nearest by degrees, each with its
   geodesic distance in metres (`ST_Distance(geography)`, on the WGS84 spheroid);
2. re-rank the candidates by metres and keep N;
3. prove the answer exact: every point within the N-th candidate's metre distance M lies in a
   degree box around the incident point (`metre_box`, conservative on the ellipsoid), hence
   within degree distance g(M) of it; if g(M) is less than the K-th candidate's degree
   distance, no point outside the candidates can be nearer than M, and the N are the true N.
   Otherwise (very uneven density, high latitudes) one more indexed query reads every point
   in that box and re-ranks it.

With 100 k resources the first query reads ~50 index entries and the proof holds, so the
whole search costs a fraction of a millisecond of database time (docs/performance.md).

SpatiaLite (the embedded default) has no KNN operator through Django; there we grow a metre
box through its R*Tree (the SpatialIndex virtual table) until it holds N points within the
box's inscribed radius. Correct on both; fast on PostGIS.
"""

from __future__ import annotations

import csv
import itertools
import json
import logging
import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.geos import Point
from django.contrib.gis.geos.prepared import PreparedGeometry
from django.db import connection, models, transaction
from django.db.models import F, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from config.dbstats import analyze
from grids.cameras import CAMERA_COLUMNS, CameraInput, camera_input_from_row, camera_write
from grids.geo import bbox_polygon
from grids.models import (
    EmergencyResource,
    InspectorPosition,
    Level,
    Post,
    Region,
    ResourceKind,
    Role,
    User,
)
from grids.patrol import inspector_positions_qs
from grids.selectors import Jurisdiction, LocateError, jurisdiction_for_user, locate

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=models.Model)

MAX_NEAREST = 50
DEFAULT_NEAREST = 5
# Candidates read from the KNN index for N wanted (see the module docstring).
MIN_CANDIDATES = 50
CANDIDATES_PER_RESULT = 4
# The smallest lengths of one degree on the WGS84 ellipsoid: of latitude (at the equator),
# and of longitude at the equator (a·π/180; at latitude φ it is at least that times cos φ).
METRES_PER_DEGREE_LAT_MIN = 110_574.0
METRES_PER_DEGREE_LON_EQUATOR = 111_319.0
# SpatiaLite's growing box starts here and doubles: the geodesic distance costs ~12 µs a row
# there, so a small first box (a few hundred resources at the reference district's density)
# beats a big one.
SPATIALITE_FIRST_RADIUS_M = 150.0
MAX_BBOX_FEATURES = 5000


def fresh_minutes() -> int:
    """A fix younger than this many minutes makes an inspector on duty."""
    return int(settings.EMERGENCY_INSPECTOR_FRESH_MINUTES)


# --- geometry ---------------------------------------------------------------------------------


def metre_box(lon: float, lat: float, radius_m: float) -> tuple[float, float, float, float] | None:
    """A lon/lat box holding every point within radius_m metres (geodesic) of (lon, lat).

    Any path of length r changes latitude by at most r / 110,574 degrees, and along it, at
    latitudes up to |lat| + that, longitude by at most r / (111,319 · cos(top)) degrees. None
    when the box would reach a pole or wrap the antimeridian (then only a full scan is exact).
    """
    dlat = radius_m / METRES_PER_DEGREE_LAT_MIN
    top = abs(lat) + dlat
    if top >= 89.0:
        return None
    dlon = radius_m / (METRES_PER_DEGREE_LON_EQUATOR * math.cos(math.radians(top)))
    if lon - dlon < -180 or lon + dlon > 180:
        return None
    return (lon - dlon, lat - dlat, lon + dlon, lat + dlat)


# --- nearest, generic over a queryset of a model with a `point` column ----------------------


@dataclass(frozen=True)
class Near:
    obj: Any
    distance_m: float


def _table(qs: QuerySet) -> str:
    return connection.ops.quote_name(qs.model._meta.db_table)


def _metres_sql(qs: QuerySet, point: Point) -> RawSQL:
    table = _table(qs)
    if connection.vendor == "postgresql":
        return RawSQL(  # noqa: S611 - the table name is the model's; values are parameters
            f"ST_Distance({table}.point::geography, ST_GeomFromEWKT(%s)::geography)",
            (f"SRID=4326;POINT({point.x!r} {point.y!r})",),
            output_field=models.FloatField(),
        )
    # SpatiaLite: the third argument asks for the geodesic distance on the ellipsoid.
    return RawSQL(  # noqa: S611 - the table name is the model's; values are parameters
        f"ST_Distance({table}.point, MakePoint(%s, %s, 4326), 1)",
        (point.x, point.y),
        output_field=models.FloatField(),
    )


def _ranked(rows: Iterable[Any], n: int) -> list[Near]:
    ordered = sorted(rows, key=lambda row: (row.distance_m, row.pk))
    return [Near(obj=row, distance_m=float(row.distance_m)) for row in ordered[:n]]


def nearest(qs: QuerySet[M], point: Point, n: int) -> list[Near]:
    """The n rows of qs nearest to point by geodesic distance in metres, nearest first (ties
    by id). qs is any filtered queryset over a model whose geometry column is `point`."""
    if n <= 0:
        return []
    point = Point(point.x, point.y, srid=4326)
    if connection.vendor == "postgresql":
        return _nearest_postgis(qs, point, n)
    return _nearest_spatialite(qs, point, n)


def _nearest_postgis(qs: QuerySet[M], point: Point, n: int) -> list[Near]:
    k = max(n * CANDIDATES_PER_RESULT, MIN_CANDIDATES)
    ewkt = f"SRID=4326;POINT({point.x!r} {point.y!r})"
    # ORDER BY point <-> constant LIMIT k is what makes PostgreSQL walk the GiST index in
    # distance order and stop after k rows.
    knn = RawSQL(  # noqa: S611 - the table name is the model's; values are parameters
        f"{_table(qs)}.point <-> ST_GeomFromEWKT(%s)", (ewkt,), output_field=models.FloatField()
    )
    # Rows carry the annotations knn_degrees and distance_m.
    candidates: list[Any] = list(
        qs.annotate(knn_degrees=knn, distance_m=_metres_sql(qs, point)).order_by("knn_degrees")[:k]
    )
    if len(candidates) < k:
        return _ranked(candidates, n)  # every matching row is a candidate
    best = _ranked(candidates, n)
    bound_m = best[-1].distance_m
    box = metre_box(point.x, point.y, bound_m)
    outside_candidates_degrees = max(row.knn_degrees for row in candidates)
    if box is not None and math.hypot(box[2] - point.x, box[3] - point.y) < (
        outside_candidates_degrees
    ):
        return best
    # Rare: read every row that could be nearer than the N-th candidate, through the index.
    exact = qs.annotate(distance_m=_metres_sql(qs, point)).order_by()
    if box is not None:
        exact = exact.filter(point__bboverlaps=bbox_polygon(box))
    return _ranked(exact.filter(distance_m__lte=bound_m), n)


def _spatialite_frame(qs: QuerySet, box: tuple[float, float, float, float]) -> RawSQL:
    return RawSQL(
        "SELECT rowid FROM SpatialIndex WHERE f_table_name = %s AND f_geometry_column = %s "
        "AND search_frame = BuildMbr(%s, %s, %s, %s, 4326)",
        (qs.model._meta.db_table, "point", *box),
    )


def _nearest_spatialite(qs: QuerySet[M], point: Point, n: int) -> list[Near]:
    radius = SPATIALITE_FIRST_RADIUS_M
    with_metres = qs.annotate(distance_m=_metres_sql(qs, point)).order_by()
    total: int | None = None
    while True:
        box = metre_box(point.x, point.y, radius)
        if box is None:
            return _ranked(with_metres, n)
        rows: list[Any] = list(with_metres.filter(pk__in=_spatialite_frame(qs, box)))
        # Points in the box but beyond the radius may have nearer ones outside the box.
        within = [row for row in rows if row.distance_m <= radius]
        if len(within) >= n:
            return _ranked(within, n)
        if total is None:
            total = qs.count()
        if len(rows) >= total:
            return _ranked(rows, n)  # the box already holds every row
        radius *= 2


# --- resources --------------------------------------------------------------------------------


def active_resources_qs(kind: str | None = None) -> QuerySet[EmergencyResource]:
    qs = EmergencyResource.objects.filter(is_active=True)
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def resources_nearest(*, point: Point, n: int, kind: str | None = None) -> list[Near]:
    """The n nearest active resources of a kind; without a kind, the n nearest of each kind
    (so a map shows some of everything), all nearest first."""
    kinds = [kind] if kind else list(ResourceKind.values)
    found: list[Near] = []
    for each in kinds:
        # The grid's code rides along as a column: select_related would also parse the
        # grid's boundary for every candidate.
        qs = active_resources_qs(each).annotate(grid_code=F("region__code"))
        found += nearest(qs, point, n)
    found.sort(key=lambda near: (near.distance_m, near.obj.pk))
    return found


def resources_in_bbox(
    *, box: tuple[float, float, float, float], kinds: Sequence[str] = ()
) -> tuple[list[tuple[int, str, str, float, float]], bool]:
    """(id, kind, name, lon, lat) of active resources in the box, at most MAX_BBOX_FEATURES,
    and whether there were more. For the map layer: thousands of cameras, drawn clustered."""
    qs = active_resources_qs()
    if kinds:
        qs = qs.filter(kind__in=list(kinds))
    # The index tests boxes in single precision (rounded outwards, ~1 m here); the exact
    # coordinates below decide.
    if connection.vendor == "sqlite":
        qs = qs.filter(pk__in=_spatialite_frame(qs, box))
    else:
        qs = qs.filter(point__bboverlaps=bbox_polygon(box))
    table = _table(qs)
    # Coordinates as two numbers: building thousands of GEOS points only to read x and y
    # cost most of the request.
    qs = qs.annotate(
        lon=RawSQL(f"ST_X({table}.point)", (), output_field=models.FloatField()),  # noqa: S611
        lat=RawSQL(f"ST_Y({table}.point)", (), output_field=models.FloatField()),  # noqa: S611
    )
    qs = qs.filter(lon__gte=box[0], lat__gte=box[1], lon__lte=box[2], lat__lte=box[3])
    rows = list(
        qs.order_by("pk").values_list("pk", "kind", "name", "lon", "lat")[: MAX_BBOX_FEATURES + 1]
    )
    return rows[:MAX_BBOX_FEATURES], len(rows) > MAX_BBOX_FEATURES


# --- inspectors -------------------------------------------------------------------------------


@dataclass(frozen=True)
class NearInspector:
    user: User
    position: InspectorPosition
    distance_m: float
    fix_age_s: int
    grid_codes: tuple[str, ...]


def on_duty_positions_qs(
    jurisdiction: Jurisdiction, *, now: datetime
) -> QuerySet[InspectorPosition]:
    """Latest positions of on-duty inspectors inside a jurisdiction.

    On duty: an active user holding an active inspector post in the jurisdiction whose
    latest fix is younger than EMERGENCY_INSPECTOR_FRESH_MINUTES (a handheld sends a fix
    every few seconds on patrol; silence for that long means off shift or offline).
    """
    # Who may see them is grids.patrol's rule (an inspector does not see the colleagues).
    return inspector_positions_qs(jurisdiction).filter(
        recorded_at__gte=now - timedelta(minutes=fresh_minutes()),
        recorded_at__lte=now + timedelta(minutes=10),  # a fast clock, not the future
    )


def inspectors_nearest(
    *,
    user: AbstractBaseUser | AnonymousUser,
    point: Point,
    n: int,
    now: datetime | None = None,
) -> list[NearInspector]:
    """The n on-duty inspectors the user may see, nearest to point by their latest fix."""
    now = now or timezone.now()
    jurisdiction = jurisdiction_for_user(user)
    found = nearest(on_duty_positions_qs(jurisdiction, now=now).select_related("user"), point, n)
    grids: dict[int, list[str]] = {}
    for user_id, code in (
        Post.objects.filter(
            user_id__in=[near.obj.user_id for near in found],
            role=Role.INSPECTOR,
            is_active=True,
        )
        .order_by("region__code")
        .values_list("user_id", "region__code")
    ):
        grids.setdefault(user_id, []).append(code)
    logger.info(
        "emergency inspectors read: user=%s point=%.6f,%.6f found=%s",
        getattr(user, "pk", None),
        point.x,
        point.y,
        [near.obj.user_id for near in found],
    )
    return [
        NearInspector(
            user=near.obj.user,
            position=near.obj,
            distance_m=near.distance_m,
            fix_age_s=max(0, int((now - near.obj.recorded_at).total_seconds())),
            grid_codes=tuple(grids.get(near.obj.user_id, ())),
        )
        for near in found
    ]


def grid_inspector_ids(grid_code: str) -> set[int]:
    """Active users holding an active inspector post on the grid: who can verify its cases."""
    return set(
        Post.objects.filter(
            role=Role.INSPECTOR, is_active=True, region__code=grid_code, user__is_active=True
        ).values_list("user_id", flat=True)
    )


# --- services: writing resources --------------------------------------------------------------


class ResourceInputError(ValueError):
    """A resource row that cannot be saved; errors by field."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class ResourceInput:
    code: str
    kind: str
    name: str
    lon: float
    lat: float
    capacity: int | None = None
    contact: str = ""
    details: dict[str, Any] | None = None
    is_active: bool = True
    # Cameras only: how to watch it (grids.cameras).
    camera: CameraInput | None = None


def _grid_at(point: Point) -> Region | None:
    try:
        return locate(point).grid
    except LocateError:
        return None  # outside the district: a neighbour's shelter is still a shelter


def resource_errors(data: ResourceInput) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not data.code.strip() or len(data.code) > 32:
        errors["code"] = [_("A code of 1 to 32 characters is required.")]
    if data.kind not in ResourceKind.values:
        errors["kind"] = [
            _("Unknown kind; use one of: %(kinds)s.") % {"kinds": ", ".join(ResourceKind.values)}
        ]
    if not data.name.strip() or len(data.name) > 100:
        errors["name"] = [_("A name of 1 to 100 characters is required.")]
    if not (math.isfinite(data.lon) and -180 <= data.lon <= 180):
        errors["lon"] = [_("Longitude must be between -180 and 180.")]
    if not (math.isfinite(data.lat) and -90 <= data.lat <= 90):
        errors["lat"] = [_("Latitude must be between -90 and 90.")]
    if data.capacity is not None and data.capacity < 0:
        errors["capacity"] = [_("Capacity cannot be negative.")]
    if len(data.contact) > 100:
        errors["contact"] = [_("At most %(n)d characters.") % {"n": 100}]
    if data.camera is not None and data.kind != ResourceKind.CAMERA:
        errors["kind"] = [_("Only cameras have a stream, a direction or a camera owner.")]
    return errors


def resource_save(*, data: ResourceInput) -> EmergencyResource:
    """Create or update (by code) one resource, placing it in the grid under its point."""
    errors = resource_errors(data)
    if errors:
        raise ResourceInputError(errors)
    point = Point(data.lon, data.lat, srid=4326)
    with transaction.atomic():
        resource, _created = EmergencyResource.objects.update_or_create(
            code=data.code.strip(),
            defaults={
                "kind": data.kind,
                "name": data.name.strip(),
                "point": point,
                "region": _grid_at(point),
                "capacity": data.capacity,
                "contact": data.contact.strip(),
                "details": data.details or {},
                "is_active": data.is_active,
            },
        )
        if resource.kind == ResourceKind.CAMERA:
            camera_write(resource, data.camera)
    return resource


CSV_REQUIRED = ("lon", "lat", "kind", "name", "code")
CSV_OPTIONAL = ("capacity", "contact", "details", "active", *CAMERA_COLUMNS)


def _parse_row(row: dict[str, str | None]) -> tuple[ResourceInput | None, dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}

    def text(name: str) -> str:
        return (row.get(name) or "").strip()

    numbers: dict[str, float] = {}
    for name in ("lon", "lat"):
        try:
            numbers[name] = float(text(name))
        except ValueError:
            errors[name] = [_("A number is required.")]
    capacity: int | None = None
    if text("capacity"):
        try:
            capacity = int(text("capacity"))
        except ValueError:
            errors["capacity"] = [_("A whole number is required.")]
    details: dict[str, Any] = {}
    if text("details"):
        try:
            details = json.loads(text("details"))
        except json.JSONDecodeError:
            details = None  # type: ignore[assignment]
        if not isinstance(details, dict):
            errors["details"] = [_("A JSON object is required.")]
            details = {}
    active = text("active").lower()
    if active not in ("", "1", "0", "true", "false", "yes", "no"):
        errors["active"] = [_("Use true or false.")]
    camera, camera_errors = camera_input_from_row({k: v or "" for k, v in row.items() if k})
    errors.update(camera_errors)
    if errors:
        return None, errors
    data = ResourceInput(
        code=text("code"),
        kind=text("kind"),
        name=text("name"),
        lon=numbers["lon"],
        lat=numbers["lat"],
        capacity=capacity,
        contact=text("contact"),
        details=details,
        is_active=active not in ("0", "false", "no"),
        camera=camera,
    )
    return data, resource_errors(data)


@dataclass(frozen=True)
class ImportProblem:
    line: int
    errors: dict[str, list[str]]

    def __str__(self) -> str:
        fields = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in self.errors.items())
        return _("line %(line)d: %(errors)s") % {"line": self.line, "errors": fields}


class ResourceImportError(ValueError):
    def __init__(self, problems: list[ImportProblem]) -> None:
        super().__init__(f"{len(problems)} bad rows")
        self.problems = problems


def resources_import(*, lines: Iterable[str]) -> int:
    """Import resources from CSV text (header: lon,lat,kind,name,code[,capacity,contact,
    details,active]). Every row is checked first; any bad row raises ResourceImportError
    naming each, and nothing is written. Rows update the resource with the same code."""
    reader = csv.DictReader(lines)
    header = [name.strip() for name in (reader.fieldnames or [])]
    missing = [name for name in CSV_REQUIRED if name not in header]
    if missing:
        raise ResourceImportError(
            [
                ImportProblem(
                    1, {"header": [_("Missing columns: %(cols)s.") % {"cols": ", ".join(missing)}]}
                )
            ]
        )
    reader.fieldnames = header
    parsed: list[ResourceInput] = []
    problems: list[ImportProblem] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        data, errors = _parse_row(row)
        if data is not None and data.code in seen:
            errors.setdefault("code", []).append(
                _("Also on line %(line)d.") % {"line": seen[data.code]}
            )
        if errors or data is None:
            problems.append(ImportProblem(line, errors))
            continue
        seen[data.code] = line
        parsed.append(data)
    if problems:
        raise ResourceImportError(problems)
    with transaction.atomic():
        for data in parsed:
            resource_save(data=data)
    analyze(EmergencyResource)
    return len(parsed)


# Shares of each kind in generated data: the reference district has 6,700 public cameras and
# a few hundred of everything else; a benchmark wants plenty of every kind.
GENERATED_KIND_WEIGHTS = {
    ResourceKind.CAMERA: 0.55,
    ResourceKind.SUPPLIES: 0.2,
    ResourceKind.TEAM: 0.1,
    ResourceKind.SHELTER: 0.15,
}


def _random_point_in(
    rng: random.Random, prepared: PreparedGeometry, extent: tuple[float, ...]
) -> Point:
    x0, y0, x1, y1 = extent
    for _attempt in range(1000):
        point = Point(round(rng.uniform(x0, x1), 7), round(rng.uniform(y0, y1), 7), srid=4326)
        if prepared.contains(point):
            return point
    raise ValueError("no point found inside the grid")  # pragma: no cover - degenerate grid


def resources_generate(*, count: int, seed: int, batch_size: int = 5000) -> int:
    """count resources at random points inside the district's grids (weighted by area), the
    same ones for the same seed; codes GEN<seed>-<n>, so running it again adds nothing.
    Returns how many were added."""
    grids = list(Region.objects.filter(level=Level.GRID).order_by("code"))
    if not grids:
        raise ResourceInputError({"grids": [_("There are no grids: load a district first.")]})
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    prepared = [grid.geom.prepared for grid in grids]
    extents = [grid.geom.extent for grid in grids]
    cumulative_area = list(itertools.accumulate(grid.area_m2 for grid in grids))
    kinds = list(GENERATED_KIND_WEIGHTS)
    kind_weights = list(itertools.accumulate(GENERATED_KIND_WEIGHTS.values()))
    indexes = range(len(grids))
    before = EmergencyResource.objects.count()
    with transaction.atomic():
        batch: list[EmergencyResource] = []
        for number in range(1, count + 1):
            index = rng.choices(indexes, cum_weights=cumulative_area)[0]
            kind = rng.choices(kinds, cum_weights=kind_weights)[0]
            batch.append(
                EmergencyResource(
                    code=f"GEN{seed}-{number:07d}",
                    kind=kind,
                    name=f"{ResourceKind(kind).label} {number}",
                    point=_random_point_in(rng, prepared[index], extents[index]),
                    region=grids[index],
                    capacity=rng.randint(5, 500) if kind != ResourceKind.CAMERA else None,
                )
            )
            if len(batch) >= batch_size:
                EmergencyResource.objects.bulk_create(batch, ignore_conflicts=True)
                batch = []
        if batch:
            EmergencyResource.objects.bulk_create(batch, ignore_conflicts=True)
    # Without statistics the planner takes the table for empty and passes over the KNN index.
    analyze(EmergencyResource)
    return EmergencyResource.objects.count() - before

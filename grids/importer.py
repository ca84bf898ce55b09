"""Region boundaries in and out as GeoJSON: validation, the all-or-nothing import, the export.

An import file holds one level (district, street, community or grid). Every feature is checked
before anything is written, against the file itself and against the regions already in the
database (parents one level up, existing codes); then all of it is written in one transaction.
A problem is reported as one line naming the file, the feature's index in the ``features`` array
(0-based, as in ``jq '.features[12]'``) and its code, so a data clerk can fix the file and retry.

The export writes the same shape back (plus ``level``), so export → import is a round trip.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO, cast

from django.contrib.gis.gdal import GDALException
from django.contrib.gis.geos import (
    GEOSException,
    GEOSGeometry,
    LinearRing,
    MultiPolygon,
    Point,
    Polygon,
)
from django.contrib.gis.geos.prepared import PreparedGeometry
from django.db import IntegrityError, transaction
from tqdm import tqdm

from config.dbstats import analyze
from grids.geo import WGS84, area_m2, as_multipolygon
from grids.models import CODE_LENGTH, LEVEL_ORDER, PARENT_LEVEL, GridKind, Level, Region

# How far (in metres) a region may stick out of its parent. Boundaries digitised separately
# disagree by a little along shared edges; anything beyond this is a wrong parent or wrong data.
OUTSIDE_PARENT_TOLERANCE_M = 1.0
METRES_PER_DEGREE_LATITUDE = 111_320.0

# Rows per INSERT: keeps SpatiaLite under its bound-parameter limit and the progress bar moving.
WRITE_BATCH_SIZE = 200
# Codes per IN (...) lookup, for the same SQLite limit.
LOOKUP_BATCH_SIZE = 500

NAME_MAX_LENGTH = Region._meta.get_field("name").max_length or 100

_DIGITS = re.compile(r"[0-9]+")
# The names by which GeoJSON files (RFC 7946's CRS84, or the 2008 spec's `crs` member) say
# "WGS84 longitude/latitude". EPSG:4326 is formally lat/lon, but in GeoJSON it always means
# lon/lat in practice, and GDAL writes it that way.
_WGS84_CRS_NAME = re.compile(
    r"(?:epsg:4326"
    r"|urn:ogc:def:crs:epsg:[0-9.]*:4326"
    r"|https?://www\.opengis\.net/def/crs/epsg/[0-9.]+/4326"
    r"|(?:ogc:(?:1\.3:)?)?crs84"
    r"|urn:ogc:def:crs:ogc:[0-9.]*:crs84"
    r"|https?://www\.opengis\.net/def/crs/ogc/[0-9.]+/crs84)",
    re.IGNORECASE,
)
# GEOS says "Self-intersection[120.3 36.1]"; spell the location out for people.
_GEOS_REASON_AT = re.compile(r"^(?P<reason>.*?)\[(?P<x>\S+) (?P<y>\S+)\]$")


@dataclass(frozen=True)
class ImportProblem:
    """One thing wrong with an import file, printed as one line."""

    source_name: str
    reason: str
    index: int | None = None
    code: str | None = None

    def __str__(self) -> str:
        if self.index is None:
            return f"{self.source_name}: {self.reason}"
        code = f"code {self.code}" if self.code else "no code"
        return f"{self.source_name}: feature {self.index} ({code}): {self.reason}"


class RegionImportFailed(Exception):
    """The file had problems; nothing was written."""

    def __init__(self, problems: Sequence[ImportProblem]) -> None:
        self.problems = list(problems)
        super().__init__(self.summary)

    @property
    def summary(self) -> str:
        count = len(self.problems)
        return f"{count} error{'' if count == 1 else 's'}, nothing imported"


@dataclass(frozen=True)
class ValidRegion:
    """A feature that passed every check, ready to be written."""

    index: int
    code: str
    name: str
    level: str
    kind: str
    parent_code: str | None
    geom: MultiPolygon
    area_m2: float
    exists: bool  # already in the database: the import updates it in place


@dataclass(frozen=True)
class ImportResult:
    level: str
    created: int
    updated: int

    @property
    def total(self) -> int:
        return self.created + self.updated


class _FeatureProblem(Exception):
    """Raised inside the per-feature checks; becomes an ImportProblem line."""


# --- reading ---------------------------------------------------------------------------------


def read_feature_collection(path: Path, *, source_name: str | None = None) -> list[Any]:
    """The ``features`` of a GeoJSON FeatureCollection file; RegionImportFailed if it is not one."""
    source = source_name or str(path)

    def fail(reason: str) -> RegionImportFailed:
        return RegionImportFailed([ImportProblem(source, reason)])

    try:
        # utf-8-sig: files saved by Windows tools often start with a byte-order mark.
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise fail("no such file") from None
    except UnicodeDecodeError as exc:
        raise fail(f"not JSON: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise fail(f"cannot read the file: {exc.strerror or exc}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise fail(f"not JSON: {exc}") from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        found = document.get("type") if isinstance(document, dict) else type(document).__name__
        raise fail(f"not a GeoJSON FeatureCollection (type is {found!r})")
    features = document.get("features")
    if not isinstance(features, list):
        raise fail("not a GeoJSON FeatureCollection: 'features' is not a list")
    # A collection-wide CRS applies to every feature; one line says it better than N.
    crs_reason = _crs_problem(document.get("crs"))
    if crs_reason:
        raise fail(f"wrong CRS: {crs_reason}")
    return features


def _crs_problem(crs: Any) -> str | None:
    """Why a GeoJSON ``crs`` member is not WGS84 lon/lat, or None when it is (or is absent)."""
    if crs is None:
        return None
    expected = "expected WGS84 longitude/latitude (EPSG:4326 or CRS84)"
    if not isinstance(crs, dict) or not isinstance(crs.get("properties"), dict):
        return f"unreadable crs member {crs!r}; {expected}"
    properties = crs["properties"]
    if crs.get("type") == "name" and isinstance(properties.get("name"), str):
        name = properties["name"].strip()
        if _WGS84_CRS_NAME.fullmatch(name):
            return None
        return f"the crs member names {name}; {expected}"
    if crs.get("type") == "EPSG" and str(properties.get("code")) == str(WGS84):
        return None
    return f"unsupported crs member {json.dumps(crs, ensure_ascii=False)}; {expected}"


# --- geometry --------------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _ring(raw: Any, where: str) -> LinearRing:
    if not isinstance(raw, list) or not raw:
        raise _FeatureProblem(f"invalid geometry: {where} is empty")
    points: list[tuple[float, float]] = []
    for position in raw:
        if (
            not isinstance(position, list)
            or len(position) < 2
            or not all(_is_number(value) for value in position)
        ):
            raise _FeatureProblem(
                f"invalid geometry: {where} has a malformed position {json.dumps(position)}"
            )
        # Z (and M) are dropped: boundaries are stored in 2D.
        x, y = float(position[0]), float(position[1])
        if not (math.isfinite(x) and math.isfinite(y)):
            raise _FeatureProblem(f"invalid geometry: {where} has a non-finite coordinate")
        if not (-180.0 <= x <= 180.0 and -90.0 <= y <= 90.0):
            # Projected metres (Web Mercator, CGCS2000 Gauss-Kruger…) land here.
            raise _FeatureProblem(
                f"wrong CRS: coordinate ({x}, {y}) is not longitude/latitude in degrees; "
                "expected WGS84 (EPSG:4326)"
            )
        points.append((x, y))
    if len(points) < 4:
        raise _FeatureProblem(f"invalid geometry: {where} has {len(points)} positions, needs 4")
    if points[0] != points[-1]:
        raise _FeatureProblem(f"invalid geometry: {where} is not closed")
    return LinearRing(points, srid=WGS84)


def _polygon(raw: Any, where: str) -> Polygon:
    if not isinstance(raw, list) or not raw:
        raise _FeatureProblem(f"invalid geometry: empty {where}")
    rings = [
        _ring(ring, "the exterior ring" if number == 0 else f"interior ring {number}")
        for number, ring in enumerate(raw)
    ]
    return Polygon(*rings, srid=WGS84)


def _parse_geometry(raw: Any) -> MultiPolygon:
    # Parsed by hand rather than through OGR so that every problem gets a precise message, and
    # unclosed rings are refused instead of silently closed.
    if raw is None:
        raise _FeatureProblem("invalid geometry: the feature has no geometry")
    if not isinstance(raw, dict):
        raise _FeatureProblem("invalid geometry: the geometry is not a GeoJSON object")
    crs_reason = _crs_problem(raw.get("crs"))
    if crs_reason:
        raise _FeatureProblem(f"wrong CRS: {crs_reason}")
    geom_type = raw.get("type")
    coordinates = raw.get("coordinates")
    if geom_type not in ("Polygon", "MultiPolygon"):
        raise _FeatureProblem(
            f"invalid geometry: expected Polygon or MultiPolygon, got {geom_type}"
        )
    if not isinstance(coordinates, list) or not coordinates:
        raise _FeatureProblem("invalid geometry: empty geometry")
    if geom_type == "Polygon":
        geom = as_multipolygon(_polygon(coordinates, "polygon"))
    else:
        geom = MultiPolygon(
            *(_polygon(polygon, f"polygon {number}") for number, polygon in enumerate(coordinates)),
            srid=WGS84,
        )
    if geom.empty:
        raise _FeatureProblem("invalid geometry: empty geometry")
    if not geom.valid:
        raise _FeatureProblem(f"invalid geometry: {_readable_reason(geom.valid_reason)}")
    return geom


def _feature_geometry(feature: dict[str, Any]) -> tuple[MultiPolygon, float]:
    """The feature's boundary and its area in m²; _FeatureProblem when it is unusable."""
    crs_reason = _crs_problem(feature.get("crs"))
    if crs_reason:
        raise _FeatureProblem(f"wrong CRS: {crs_reason}")
    try:
        geom = _parse_geometry(feature.get("geometry"))
        return geom, area_m2(geom)
    except (GEOSException, GDALException) as exc:
        raise _FeatureProblem(f"invalid geometry: {exc}") from None


def _readable_reason(reason: str) -> str:
    match = _GEOS_REASON_AT.match(reason)
    if not match:
        return reason
    return f"{match['reason']} at or near point {match['x']} {match['y']}"


@dataclass
class _ParentShape:
    """A parent's boundary grown by the tolerance, prepared for many containment tests.

    The test runs in lon/lat, the CRS the boundaries are stored and queried in: a straight
    edge there is not straight once projected (a 0.5° edge bows by ~30 m in Gauss-Kruger),
    so comparing in a projection would flag grids that share a long, straight parent edge.
    The tolerance is converted at one degree of latitude, so east-west it is a little tighter
    (cos(latitude): 0.8 m for 1 m at Qingdao).
    """

    code: str
    grown: PreparedGeometry
    grown_geom: GEOSGeometry

    @classmethod
    def of(cls, region: Region, tolerance_m: float) -> _ParentShape:
        grown = region.geom.buffer(tolerance_m / METRES_PER_DEGREE_LATITUDE)
        return cls(code=region.code, grown=grown.prepared, grown_geom=grown)

    def problem_with(self, geom: MultiPolygon, tolerance_m: float) -> str | None:
        if self.grown.covers(geom):
            return None
        outside = geom.difference(self.grown_geom)
        if outside.empty:  # covers() and difference() can disagree on a hair's breadth
            return None
        where = cast(Point, outside.point_on_surface)
        return (
            f"outside its parent {self.code}: {area_m2(outside):.0f} m² lies more than "
            f"{tolerance_m:g} m beyond the parent's boundary, near {where.x:.6f} {where.y:.6f}"
        )


# --- validation ------------------------------------------------------------------------------


def _batched(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _regions_by_code(codes: Iterable[str], *, with_geom: bool) -> dict[str, Region]:
    wanted = sorted(set(codes))
    fields = ["code", "level", "geom"] if with_geom else ["code", "level"]
    found: dict[str, Region] = {}
    for batch in _batched(wanted, LOOKUP_BATCH_SIZE):
        for region in Region.objects.filter(code__in=batch).only(*fields):
            found[region.code] = region
    return found


def _text_property(properties: dict[str, Any], key: str) -> str | None:
    value = properties.get(key)
    if value is None:
        return None
    # Codes are sometimes written as JSON numbers; they have no leading zeros, so that is safe.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return value.strip()
    return repr(value)


def _check_code(code: str | None, level: str, parent_code: str | None) -> list[str]:
    if not code:
        return ["bad code format: the code property is missing"]
    reasons = []
    if not _DIGITS.fullmatch(code):
        reasons.append(f"bad code format: {code!r} is not all digits")
    if len(code) != CODE_LENGTH[level]:
        reasons.append(
            f"bad code format: a {level} code has {CODE_LENGTH[level]} digits, "
            f"this one has {len(code)}"
        )
    if parent_code and not code.startswith(parent_code):
        reasons.append(f"bad code format: does not start with its parent's code {parent_code}")
    return reasons


def _check_parent(
    parent_code: str | None, level: str, parents: dict[str, Region]
) -> tuple[str | None, Region | None]:
    """(why the parent is wrong or None, the parent region when it is right)."""
    parent_level = PARENT_LEVEL[level]
    if parent_level is None:
        if parent_code:
            return f"unknown parent: a district has no parent (parent_code is {parent_code})", None
        return None, None
    if not parent_code:
        return f"unknown parent: parent_code is missing (a {level} needs its {parent_level})", None
    parent = parents.get(parent_code)
    if parent is None:
        return f"unknown parent: no {parent_level} with code {parent_code} in the database", None
    if parent.level != parent_level:
        return (
            f"unknown parent: {parent_code} is a {parent.level}; "
            f"a {level}'s parent must be a {parent_level}"
        ), None
    return None, parent


def _check_name(properties: dict[str, Any]) -> list[str]:
    name = properties.get("name")
    if not isinstance(name, str) or not name.strip():
        return ["missing name: the name property must be a non-empty string"]
    if len(name.strip()) > NAME_MAX_LENGTH:
        return [f"bad name: longer than {NAME_MAX_LENGTH} characters"]
    return []


def _check_kind(properties: dict[str, Any], level: str) -> tuple[list[str], str]:
    kind = properties.get("kind") or None  # "" is as good as absent
    if level != Level.GRID:
        # Exports write kind: null for non-grids, so null must read back.
        if kind is None:
            return [], ""
        return [f"bad kind: only grids have a kind, got {kind!r} on a {level}"], ""
    if kind is None:
        return [], GridKind.UNIT
    if kind not in GridKind.values:
        return [f"bad kind: {kind!r}; expected one of {', '.join(GridKind.values)}"], ""
    return [], kind


def validate_region_features(
    features: Sequence[Any],
    *,
    level: str,
    source_name: str,
    update: bool,
    tolerance_m: float = OUTSIDE_PARENT_TOLERANCE_M,
    progress_to: TextIO | None = None,
) -> tuple[list[ValidRegion], list[ImportProblem]]:
    """Check every feature of a one-level import; nothing is written.

    Returns the regions ready to write and the problems found; the import may go ahead only
    when the problem list is empty.
    """
    if level not in LEVEL_ORDER:
        raise ValueError(f"unknown level {level!r}")

    # One pass to learn which codes the file mentions, so the database is asked twice in
    # total rather than twice per feature.
    mentioned_codes: list[str] = []
    mentioned_parents: list[str] = []
    for feature in features:
        properties = feature.get("properties") if isinstance(feature, dict) else None
        if isinstance(properties, dict):
            mentioned_codes.append(_text_property(properties, "code") or "")
            mentioned_parents.append(_text_property(properties, "parent_code") or "")
    existing = _regions_by_code(filter(None, mentioned_codes), with_geom=False)
    parents = _regions_by_code(filter(None, mentioned_parents), with_geom=True)
    parent_shapes: dict[str, _ParentShape] = {}

    valid: list[ValidRegion] = []
    problems: list[ImportProblem] = []
    first_index_of_code: dict[str, int] = {}

    for index, feature in enumerate(
        tqdm(features, desc="validating", unit="feature", file=progress_to, disable=not progress_to)
    ):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            problems.append(ImportProblem(source_name, "not a GeoJSON Feature", index=index))
            continue
        properties = feature.get("properties")
        if not isinstance(properties, dict):
            problems.append(
                ImportProblem(source_name, "properties is not a JSON object", index=index)
            )
            continue
        code = _text_property(properties, "code")
        parent_code = _text_property(properties, "parent_code")

        reasons: list[str] = []
        declared_level = properties.get("level")
        if declared_level is not None and declared_level != level:
            reasons.append(f"wrong level: the feature says {declared_level!r}, importing {level}")
        code_reasons = _check_code(code, level, parent_code)
        reasons += code_reasons
        parent_reason, parent = _check_parent(parent_code, level, parents)
        if parent_reason:
            reasons.append(parent_reason)
        reasons += _check_name(properties)
        kind_reasons, kind = _check_kind(properties, level)
        reasons += kind_reasons

        if code and not code_reasons:
            if code in first_index_of_code:
                reasons.append(
                    f"duplicate code: feature {first_index_of_code[code]} has the same code"
                )
            else:
                first_index_of_code[code] = index
                if code in existing and not update:
                    reasons.append(
                        "duplicate code: already in the database "
                        "(use --update to change its name and geometry in place)"
                    )

        geom: MultiPolygon | None = None
        area = 0.0
        try:
            geom, area = _feature_geometry(feature)
        except _FeatureProblem as exc:
            reasons.append(str(exc))

        if geom is not None and parent is not None:
            if parent.code not in parent_shapes:
                parent_shapes[parent.code] = _ParentShape.of(parent, tolerance_m)
            outside = parent_shapes[parent.code].problem_with(geom, tolerance_m)
            if outside:
                reasons.append(outside)

        if reasons or geom is None or code is None:
            problems.extend(
                ImportProblem(source_name, reason, index=index, code=code) for reason in reasons
            )
            continue
        valid.append(
            ValidRegion(
                index=index,
                code=code,
                name=properties["name"].strip(),
                level=level,
                kind=kind,
                parent_code=parent_code if PARENT_LEVEL[level] else None,
                geom=geom,
                area_m2=area,
                exists=code in existing,
            )
        )
    return valid, problems


# --- writing ---------------------------------------------------------------------------------


def import_regions(
    regions: Sequence[ValidRegion],
    *,
    level: str,
    source_name: str,
    progress_to: TextIO | None = None,
) -> ImportResult:
    """Write validated regions in one transaction: create the new ones, update the others.

    Raises RegionImportFailed (and writes nothing) when the database changed since validation
    in a way that matters: a code that was new now exists, or one to update has gone.
    """
    try:
        with transaction.atomic():
            result = _write_regions(
                regions, level=level, source_name=source_name, progress_to=progress_to
            )
    except IntegrityError as exc:
        # The row checks and the unique code are the last line of defence against a
        # concurrent writer; the transaction is rolled back either way.
        raise RegionImportFailed(
            [ImportProblem(source_name, f"the database refused the import: {exc}")]
        ) from exc
    analyze(Region)
    return result


def _write_regions(
    regions: Sequence[ValidRegion],
    *,
    level: str,
    source_name: str,
    progress_to: TextIO | None,
) -> ImportResult:
    # Guard: re-read, under lock where the backend has row locks, which of our codes exist now.
    codes = [region.code for region in regions]
    existing_now: set[str] = set()
    for batch in _batched(codes, LOOKUP_BATCH_SIZE):
        existing_now.update(
            Region.objects.select_for_update().filter(code__in=batch).values_list("code", flat=True)
        )
    stale = [
        ImportProblem(
            source_name,
            "changed in the database while the file was being checked; try again",
            index=region.index,
            code=region.code,
        )
        for region in regions
        if region.exists != (region.code in existing_now)
    ]
    if stale:
        raise RegionImportFailed(stale)

    to_create = [region for region in regions if not region.exists]
    to_update = [region for region in regions if region.exists]
    with tqdm(
        total=len(regions), desc="writing", unit="region", file=progress_to, disable=not progress_to
    ) as bar:
        for start in range(0, len(to_create), WRITE_BATCH_SIZE):
            chunk = to_create[start : start + WRITE_BATCH_SIZE]
            Region.objects.bulk_create(
                Region(
                    code=region.code,
                    name=region.name,
                    level=level,
                    kind=region.kind,
                    parent_id=region.parent_code,
                    geom=region.geom,
                    area_m2=region.area_m2,
                )
                for region in chunk
            )
            bar.update(len(chunk))
        for region in to_update:
            # Updated in place (not deleted and re-created) so posts, units, assets and cases
            # that point at the region keep pointing at it.
            Region.objects.filter(code=region.code).update(
                name=region.name, kind=region.kind, geom=region.geom, area_m2=region.area_m2
            )
            bar.update(1)
    return ImportResult(level=level, created=len(to_create), updated=len(to_update))


def import_region_file(
    path: Path,
    *,
    level: str,
    update: bool = False,
    source_name: str | None = None,
    tolerance_m: float = OUTSIDE_PARENT_TOLERANCE_M,
    progress_to: TextIO | None = None,
) -> ImportResult:
    """Validate a GeoJSON file of one level, then import all of it or nothing.

    Raises RegionImportFailed with every problem found; nothing is written in that case.
    """
    source = source_name or str(path)
    features = read_feature_collection(path, source_name=source)
    valid, problems = validate_region_features(
        features,
        level=level,
        source_name=source,
        update=update,
        tolerance_m=tolerance_m,
        progress_to=progress_to,
    )
    if problems:
        raise RegionImportFailed(problems)
    return import_regions(valid, level=level, source_name=source, progress_to=progress_to)


# --- export ----------------------------------------------------------------------------------


def region_feature(region: Region) -> dict[str, Any]:
    """One region as a GeoJSON Feature with the export's fixed property set."""
    geom: GEOSGeometry = region.geom
    if geom.srid not in (None, WGS84):
        geom = geom.transform(WGS84, clone=True)
    return {
        "type": "Feature",
        "properties": {
            "code": region.code,
            "name": region.name,
            "level": region.level,
            "kind": region.kind if region.level == Level.GRID else None,
            "parent_code": region.parent_id,  # the FK targets Region.code
        },
        # Coordinates straight from GEOS (full double precision, 2D) so a re-import is exact.
        "geometry": {"type": "MultiPolygon", "coordinates": as_multipolygon(geom).coords},
    }


def regions_feature_collection(*, level: str | None) -> dict[str, Any]:
    """All regions of a level (None: every level) as a FeatureCollection, ordered by code."""
    regions = Region.objects.order_by("code")
    if level is not None:
        if level not in LEVEL_ORDER:
            raise ValueError(f"unknown level {level!r}")
        regions = regions.filter(level=level)
    return {
        "type": "FeatureCollection",
        "features": [region_feature(region) for region in regions.iterator(chunk_size=500)],
    }

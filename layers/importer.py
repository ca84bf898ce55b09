"""Import a dataset into a layer: GeoJSON, CSV with coordinates, Shapefile (zip), GeoPackage.

Files are read with GDAL through GeoDjango's DataSource, feature by feature, and every row is
checked before anything is written: it must have a geometry, the geometry must be valid and,
once reprojected to EPSG:4326 (and, with `gcj02`, moved from the GCJ-02 datum to WGS84), lie
in longitude/latitude range; its key must be unique. One bad row and nothing is written: the
report names each bad row and why. A good file is written in one transaction.

Writing a layer again with a new file updates it in place: rows are matched by their key (a
column named by `key_field`, or a unique id/code column, or the row's position); a row whose
geometry and attributes did not change keeps its `updated_at`, so the data centre can say how
much of a layer changed in the past year. Rows missing from the new file are removed.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from django.contrib.gis.gdal import (
    CoordTransform,
    DataSource,
    GDALException,
    OGRGeometry,
    SpatialReference,
)
from django.contrib.gis.gdal.error import SRSException
from django.contrib.gis.geos import GEOSGeometry
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from shapely.errors import GEOSException

from config.dbstats import analyze
from grids.gcj02 import gcj02_to_wgs84
from grids.models import Unit
from layers.clusters import ClusterCells, cluster_cells
from layers.models import (
    Feature,
    FeatureCluster,
    GeometryType,
    Layer,
    LayerCategory,
    LayerImport,
    SourceKind,
    UpdateFrequency,
)

FORMATS: dict[str, str] = {
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".csv": "CSV",
    ".zip": "Shapefile",
    ".gpkg": "GeoPackage",
}
MAX_FEATURES = 500_000
BATCH_SIZE = 2000
MAX_NAME = 200
MAX_KEY = 100
LAYER_CODE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# Columns recognised without being named, compared case-insensitively.
LON_COLUMNS = ("lon", "lng", "long", "longitude", "x", "经度")
LAT_COLUMNS = ("lat", "latitude", "y", "纬度")
WKT_COLUMNS = ("wkt", "geometry", "geom", "the_geom")
NAME_COLUMNS = ("name", "名称", "mc", "title", "label")
KEY_COLUMNS = ("id", "code", "编码", "bm", "fid", "objectid")
DEFAULT_CATEGORY = "spatial"

_POINT_TYPES = {"Point", "MultiPoint"}
_LINE_TYPES = {"LineString", "MultiLineString", "LinearRing"}
_POLYGON_TYPES = {"Polygon", "MultiPolygon"}

Progress = Callable[[Iterable[Any], int, str], Iterable[Any]]


def no_progress(rows: Iterable[Any], total: int, label: str) -> Iterable[Any]:
    return rows


class LayerFileError(ValueError):
    """The file or the options as a whole cannot be used (nothing is read row by row)."""


@dataclass(frozen=True)
class RowProblem:
    row: int
    reason: str
    # CSV rows are named by their line (the header is line 1), other formats by feature.
    csv: bool = False

    def __str__(self) -> str:
        if self.csv:
            return _("line %(row)d: %(reason)s") % {"row": self.row, "reason": self.reason}
        return _("feature %(row)d: %(reason)s") % {"row": self.row, "reason": self.reason}


@dataclass
class ImportOptions:
    code: str
    name: str
    name_en: str = ""
    category: str = ""
    owner: str = ""
    srid: int | None = None
    gcj02: bool = False
    layer_name: str = ""
    key_field: str = ""
    name_field: str = ""
    encoding: str = "utf-8"
    frequency: str = ""
    user_id: int | None = None
    # The name the file was uploaded or given under (kept in the import history).
    file_name: str = ""


@dataclass
class ImportReport:
    file_format: str = ""
    source_layer: str = ""
    srs: str = ""
    total: int = 0
    geometry_type: str = ""
    extent: list[float] | None = None
    problems: list[RowProblem] = field(default_factory=list)
    committed: bool = False
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    cluster_max_zoom: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self, code: str) -> str:
        if self.committed:
            return _(
                "%(code)s: %(total)d features (%(added)d added, %(changed)d changed, "
                "%(unchanged)d unchanged, %(removed)d removed) from %(format)s."
            ) % {
                "code": code,
                "total": self.total,
                "added": self.added,
                "changed": self.changed,
                "unchanged": self.unchanged,
                "removed": self.removed,
                "format": self.file_format,
            }
        return _("%(code)s: %(total)d features checked in %(format)s; %(bad)d bad.") % {
            "code": code,
            "total": self.total,
            "format": self.file_format,
            "bad": len(self.problems),
        }


@dataclass
class ParsedFeature:
    key: str
    name: str
    wkb: bytes
    properties: dict[str, Any]
    content_hash: str
    kind: str  # point / line / polygon
    x: float  # a representative point, for clusters
    y: float


@dataclass
class _Target:
    category: LayerCategory
    owner: Unit | None
    frequency: str


# --- options ------------------------------------------------------------------------------------


def _check_options(options: ImportOptions) -> _Target:
    """The category and owner named by the options; LayerFileError when they are unusable."""
    problems: list[str] = []
    if not LAYER_CODE.match(options.code or ""):
        problems.append(_("The code is 1–64 letters, digits, hyphens or underscores."))
    if not options.name.strip() or len(options.name) > 100:
        problems.append(_("A name of 1 to 100 characters is required."))
    category = LayerCategory.objects.filter(code=options.category or DEFAULT_CATEGORY).first()
    if category is None:
        known = ", ".join(LayerCategory.objects.values_list("code", flat=True))
        problems.append(
            _("Unknown category %(code)s; use one of: %(known)s.")
            % {"code": options.category, "known": known}
        )
    owner = None
    if options.owner:
        owner = (
            Unit.objects.filter(code=options.owner).first()
            or Unit.objects.filter(name=options.owner).first()
        )
        if owner is None:
            problems.append(
                _("No agency (unit) with the code or name %(owner)s.") % {"owner": options.owner}
            )
    if options.frequency and options.frequency not in UpdateFrequency.values:
        problems.append(
            _("Unknown update frequency; use one of: %(known)s.")
            % {"known": ", ".join(UpdateFrequency.values)}
        )
    existing = Layer.objects.filter(code=options.code).first()
    if existing is not None and existing.source != SourceKind.DATASET:
        problems.append(
            _("Layer %(code)s is not an imported dataset (%(source)s); choose another code.")
            % {"code": options.code, "source": SourceKind(existing.source).label}
        )
    if problems or category is None:
        raise LayerFileError(" ".join(problems))
    return _Target(
        category=category,
        owner=owner,
        frequency=options.frequency or UpdateFrequency.IRREGULAR,
    )


# --- opening ------------------------------------------------------------------------------------


def file_format(path: Path) -> str:
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise LayerFileError(
            _("%(name)s: not a GeoJSON, CSV, zipped Shapefile or GeoPackage file.")
            % {"name": path.name}
        ) from None


def _gdal_path(path: Path, fmt: str) -> str:
    if fmt != "Shapefile":
        return str(path)
    # GDAL reads the zip in place; nothing is extracted to disk.
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            shapefiles = [n for n in archive.namelist() if n.lower().endswith(".shp")]
    except zipfile.BadZipFile:
        raise LayerFileError(_("%(name)s is not a zip file.") % {"name": path.name}) from None
    if len(shapefiles) != 1:
        raise LayerFileError(
            _(
                "The zip must hold exactly one .shp file (with its .dbf, .shx and .prj); "
                "it holds %(n)d."
            )
            % {"n": len(shapefiles)}
        )
    return f"/vsizip/{path}/{shapefiles[0]}"


def _open(path: Path, fmt: str, options: ImportOptions) -> tuple[DataSource, Any]:
    try:
        source = DataSource(_gdal_path(path, fmt), encoding=options.encoding or "utf-8")
    except GDALException:
        raise LayerFileError(
            _("%(name)s cannot be read as %(format)s.") % {"name": path.name, "format": fmt}
        ) from None
    if source.layer_count == 0:
        raise LayerFileError(_("%(name)s holds no layer.") % {"name": path.name})
    names = [source[index].name for index in range(source.layer_count)]
    if options.layer_name:
        if options.layer_name not in names:
            raise LayerFileError(
                _("No layer %(layer)s in the file; it holds: %(names)s.")
                % {"layer": options.layer_name, "names": ", ".join(names)}
            )
        return source, source[options.layer_name]
    if len(names) > 1:
        raise LayerFileError(
            _("The file holds several layers (%(names)s); name one.") % {"names": ", ".join(names)}
        )
    return source, source[0]


def _column(fields: list[str], wanted: str, candidates: tuple[str, ...]) -> str | None:
    lowered = {name.lower(): name for name in fields}
    if wanted:
        return lowered.get(wanted.lower())
    for candidate in candidates:
        if candidate in lowered:
            return lowered[candidate]
    return None


# --- reading ------------------------------------------------------------------------------------


def _json_value(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return None
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    return value


def _properties(feature: Any, fields: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for index, name in enumerate(fields):
        try:
            values[name] = _json_value(feature[index].value)
        except GDALException:
            values[name] = None
    return values


def _geometry_kind(geom_type: str) -> str | None:
    if geom_type in _POINT_TYPES:
        return GeometryType.POINT
    if geom_type in _LINE_TYPES:
        return GeometryType.LINE
    if geom_type in _POLYGON_TYPES:
        return GeometryType.POLYGON
    return None


def _to_wgs84(geom: shapely.Geometry, gcj02: bool) -> tuple[shapely.Geometry | None, str | None]:
    """The geometry checked and, with gcj02, moved to WGS84; or None and why not."""
    if geom.is_empty:
        return None, _("the geometry is empty")
    coords = shapely.get_coordinates(geom)
    if not np.isfinite(coords).all():
        return None, _("the geometry has coordinates that are not numbers")
    lon_out = (coords[:, 0] < -180) | (coords[:, 0] > 180)
    lat_out = (coords[:, 1] < -90) | (coords[:, 1] > 90)
    if lon_out.any() or lat_out.any():
        x, y = coords[int(np.argmax(lon_out | lat_out))]
        return None, _(
            "the point (%(x)s, %(y)s) is not a longitude/latitude after reprojection "
            "(a wrong or missing coordinate system?)"
        ) % {"x": f"{x:.6g}", "y": f"{y:.6g}"}
    if gcj02:
        geom = shapely.transform(
            geom, lambda xy: np.column_stack(gcj02_to_wgs84(xy[:, 0], xy[:, 1]))
        )
    if not shapely.is_valid(geom):
        return None, _("the geometry is invalid: %(why)s") % {"why": shapely.is_valid_reason(geom)}
    return geom, None


def _hash(wkb: bytes, name: str, properties: dict[str, Any]) -> str:
    digest = hashlib.blake2b(digest_size=16)
    digest.update(wkb)
    digest.update(name.encode())
    digest.update(json.dumps(properties, sort_keys=True, ensure_ascii=False).encode())
    return digest.hexdigest()


def _source_srs(ogr_layer: Any, options: ImportOptions) -> SpatialReference | None:
    if options.srid:
        try:
            return SpatialReference(options.srid)
        except (SRSException, GDALException):
            raise LayerFileError(
                _("Unknown coordinate system EPSG:%(srid)s.") % {"srid": options.srid}
            ) from None
    return ogr_layer.srs


@dataclass
class _Row:
    """A row that passed the checks, before its key is settled."""

    row: int
    raw_key: str
    name: str
    geom: shapely.Geometry
    kind: str
    properties: dict[str, Any]


def _has_geometry_column(ogr_layer: Any) -> bool:
    try:
        return ogr_layer.geom_type.num != 100  # wkbNone: a CSV without geometry
    except GDALException:  # an ISO 3D type GeoDjango does not name: there is a geometry
        return True


@dataclass
class _Reader:
    path: Path
    fmt: str
    options: ImportOptions
    progress: Progress
    report: ImportReport = field(default_factory=ImportReport)
    features: list[ParsedFeature] = field(default_factory=list)

    @property
    def is_csv(self) -> bool:
        return self.fmt == "CSV"

    def problem(self, row: int, reason: str) -> None:
        # CSV rows are named by their line: the header is line 1.
        line = row + 1 if self.is_csv else row
        self.report.problems.append(RowProblem(row=line, reason=reason, csv=self.is_csv))

    def where(self, row: int) -> str:
        if self.is_csv:
            return _("line %(row)d") % {"row": row + 1}
        return _("feature %(row)d") % {"row": row}

    def read(self) -> None:
        source, ogr_layer = _open(self.path, self.fmt, self.options)
        self.report.file_format = self.fmt
        self.report.source_layer = ogr_layer.name
        total = len(ogr_layer)
        if total > MAX_FEATURES:
            raise LayerFileError(
                _("%(n)d features: at most %(max)d in one import.")
                % {"n": total, "max": MAX_FEATURES}
            )
        if total == 0:
            raise LayerFileError(_("The file holds no features."))
        fields: list[str] = list(ogr_layer.fields)
        has_geometry = _has_geometry_column(ogr_layer)
        lon_col = lat_col = None
        # GDAL's CSV driver makes a geometry of a column named WKT itself (and keeps the text).
        wkt_col = _column(fields, "", WKT_COLUMNS) if self.is_csv or not has_geometry else None
        if not has_geometry:
            lon_col = _column(fields, "", LON_COLUMNS)
            lat_col = _column(fields, "", LAT_COLUMNS)
            if wkt_col is None and (lon_col is None or lat_col is None):
                raise LayerFileError(
                    _(
                        "No geometry: give longitude and latitude columns (lon, lat) or a WKT "
                        "column. The columns are: %(columns)s."
                    )
                    % {"columns": ", ".join(fields)}
                )
        name_col = self._named_column(fields, self.options.name_field, NAME_COLUMNS)
        key_col = self._named_column(fields, self.options.key_field, KEY_COLUMNS)
        transform = self._transform(ogr_layer)
        geometry_columns = {c for c in (lon_col, lat_col, wkt_col) if c}
        kept_fields = [name for name in fields if name not in geometry_columns]
        rows: list[_Row] = []
        for row, feature in enumerate(self.progress(ogr_layer, total, _("Reading")), start=1):
            self.report.total += 1
            try:
                values = _properties(feature, fields)
                geom = self._geometry(feature, has_geometry, values, lon_col, lat_col, wkt_col)
                geom = self._checked(geom, transform)
            except UnicodeDecodeError:
                self.problem(
                    row,
                    _("the text is not %(encoding)s; give the file's encoding (e.g. gbk)")
                    % {"encoding": self.options.encoding or "utf-8"},
                )
                continue
            except ValueError as exc:
                self.problem(row, str(exc))
                continue
            name = "" if name_col is None else str(values.get(name_col) or "").strip()
            raw_key = "" if key_col is None else str(values.get(key_col) or "").strip()
            rows.append(
                _Row(
                    row=row,
                    raw_key=raw_key,
                    name=name[:MAX_NAME],
                    geom=geom,
                    kind=_geometry_kind(geom.geom_type) or "",
                    # Empty attributes are left out: a column another row brings into the
                    # file's schema does not change this row.
                    properties={
                        name: values[name] for name in kept_fields if values[name] is not None
                    },
                )
            )
        del source
        keys = self._keys(rows, key_col)
        if self.report.problems:
            return
        kinds = {row.kind for row in rows}
        self.report.geometry_type = kinds.pop() if len(kinds) == 1 else GeometryType.MIXED
        bounds = shapely.bounds(np.array([row.geom for row in rows], dtype=object))
        self.report.extent = [
            round(float(value), 7)
            for value in (
                bounds[:, 0].min(),
                bounds[:, 1].min(),
                bounds[:, 2].max(),
                bounds[:, 3].max(),
            )
        ]
        for parsed_row, key in zip(rows, keys, strict=True):
            wkb = shapely.to_wkb(parsed_row.geom)
            geom = parsed_row.geom
            rep = geom if geom.geom_type == "Point" else geom.point_on_surface()
            self.features.append(
                ParsedFeature(
                    key=key,
                    name=parsed_row.name,
                    wkb=wkb,
                    properties=parsed_row.properties,
                    content_hash=_hash(wkb, parsed_row.name, parsed_row.properties),
                    kind=parsed_row.kind,
                    x=float(rep.x),
                    y=float(rep.y),
                )
            )

    def _named_column(self, fields: list[str], wanted: str, guesses: tuple[str, ...]) -> str | None:
        column = _column(fields, wanted, guesses)
        if wanted and column is None:
            raise LayerFileError(
                _("No column %(name)s; the columns are: %(columns)s.")
                % {"name": wanted, "columns": ", ".join(fields)}
            )
        return column

    def _transform(self, ogr_layer: Any) -> CoordTransform | None:
        srs = _source_srs(ogr_layer, self.options)
        if srs is None:
            self.report.srs = _("none given: longitude/latitude assumed")
            return None
        self.report.srs = srs.name or ""
        target = SpatialReference(4326)
        if srs.srid == 4326:
            return None
        try:
            return CoordTransform(srs, target)
        except GDALException:
            raise LayerFileError(
                _("The coordinate system %(name)s cannot be converted to WGS84.")
                % {"name": srs.name}
            ) from None

    def _keys(self, rows: list[_Row], key_col: str | None) -> list[str]:
        """Each row's key: the key column's value, or its position when no column was named
        and the guessed id column is not a unique, complete key."""
        if key_col is None:
            return [str(row.row) for row in rows]
        if not self.options.key_field:
            values = [row.raw_key for row in rows]
            if all(values) and len(set(values)) == len(values):
                return values
            return [str(row.row) for row in rows]
        seen: dict[str, int] = {}
        for row in rows:
            if not row.raw_key:
                self.problem(row.row, _("the key %(column)s is empty") % {"column": key_col})
            elif len(row.raw_key) > MAX_KEY:
                self.problem(row.row, _("the key is longer than %(n)d characters") % {"n": MAX_KEY})
            elif row.raw_key in seen:
                self.problem(
                    row.row,
                    _("the key %(key)s is also on %(where)s")
                    % {"key": row.raw_key, "where": self.where(seen[row.raw_key])},
                )
            else:
                seen[row.raw_key] = row.row
        return [row.raw_key for row in rows]

    def _checked(self, ogr_geom: OGRGeometry, transform: CoordTransform | None) -> shapely.Geometry:
        if transform is not None:
            try:
                ogr_geom.transform(transform)
            except GDALException:
                raise ValueError(_("the geometry cannot be reprojected to WGS84")) from None
        try:
            geom = shapely.force_2d(shapely.from_wkb(bytes(ogr_geom.wkb)))
        except (GEOSException, ValueError, NotImplementedError, GDALException):
            # Curves (CircularString, CompoundCurve…) and other types GEOS cannot hold.
            raise ValueError(
                _("%(type)s geometries are not supported (points, lines and polygons are)")
                % {"type": ogr_geom.geom_name}
            ) from None
        if _geometry_kind(geom.geom_type) is None:
            raise ValueError(
                _("%(type)s geometries are not supported (points, lines and polygons are)")
                % {"type": geom.geom_type}
            )
        checked, reason = _to_wgs84(geom, self.options.gcj02)
        if checked is None:
            raise ValueError(reason or "")
        return checked

    def _geometry(
        self,
        feature: Any,
        has_geometry: bool,
        values: dict[str, Any],
        lon_col: str | None,
        lat_col: str | None,
        wkt_col: str | None,
    ) -> OGRGeometry:
        if has_geometry:
            try:
                return feature.geom
            except GDALException:
                if wkt_col is not None and str(values.get(wkt_col) or "").strip():
                    raise ValueError(_("%(column)s is not WKT") % {"column": wkt_col}) from None
                raise ValueError(_("the feature has no geometry")) from None
        if wkt_col is not None and str(values.get(wkt_col) or "").strip():
            try:
                return OGRGeometry(str(values[wkt_col]).strip())
            except (GDALException, ValueError):
                raise ValueError(_("%(column)s is not WKT") % {"column": wkt_col}) from None
        if lon_col is None or lat_col is None:
            raise ValueError(_("the row has no geometry"))
        try:
            lon = float(str(values.get(lon_col) or "").strip())
            lat = float(str(values.get(lat_col) or "").strip())
        except ValueError:
            raise ValueError(
                _("%(lon)s and %(lat)s must be numbers") % {"lon": lon_col, "lat": lat_col}
            ) from None
        if not (math.isfinite(lon) and math.isfinite(lat)):
            raise ValueError(
                _("%(lon)s and %(lat)s must be numbers") % {"lon": lon_col, "lat": lat_col}
            )
        return OGRGeometry(f"POINT ({lon!r} {lat!r})")


def layer_check(
    *, path: Path, options: ImportOptions, progress: Progress = no_progress
) -> tuple[ImportReport, list[ParsedFeature]]:
    """Read and check the whole file; nothing is written."""
    fmt = file_format(path)
    _check_options(options)
    reader = _Reader(path=path, fmt=fmt, options=options, progress=progress)
    reader.read()
    return reader.report, reader.features


def layer_import(
    *,
    path: Path,
    options: ImportOptions,
    commit: bool,
    progress: Progress = no_progress,
    now: datetime | None = None,
) -> ImportReport:
    """Check the file and, with commit and no bad row, write it into the layer (one transaction).

    Raises LayerFileError when the file or the options cannot be used at all.
    """
    target = _check_options(options)
    report, features = layer_check(path=path, options=options, progress=progress)
    if not commit or report.problems:
        return report
    now = now or timezone.now()
    try:
        with transaction.atomic():
            # Two imports into one layer queue on its row lock (get_or_create re-reads a row
            # a concurrent import created); the second compares with what the first wrote.
            _write(target, options, report, features, progress, now)
    except (IntegrityError, OperationalError) as exc:
        # SQLite's single writer waited past its timeout, or the rows changed under us.
        raise LayerFileError(
            _(
                "Layer %(code)s could not be written now (%(error)s); nothing was written. "
                "Try again."
            )
            % {"code": options.code, "error": exc.__class__.__name__}
        ) from exc
    analyze_tables()
    report.committed = True
    return report


def _write(
    target: _Target,
    options: ImportOptions,
    report: ImportReport,
    features: list[ParsedFeature],
    progress: Progress,
    now: datetime,
) -> Layer:
    """Write the checked features into the layer (created if new), inside the caller's
    transaction, and count what changed into the report."""
    layer, created = Layer.objects.select_for_update().get_or_create(
        code=options.code,
        defaults={
            "name": options.name.strip(),
            "name_en": options.name_en.strip(),
            "category": target.category,
            "owner": target.owner,
            "geometry_type": report.geometry_type,
            "source": SourceKind.DATASET,
            "update_frequency": target.frequency,
            "style": {"color": default_colour(options.code)},
        },
    )
    if layer.source != SourceKind.DATASET:  # made a table layer meanwhile
        raise LayerFileError(
            _("Layer %(code)s is not an imported dataset; choose another code.")
            % {"code": options.code}
        )
    existing = {
        key: (pk, content_hash)
        for key, pk, content_hash in Feature.objects.filter(layer=layer).values_list(
            "key", "pk", "content_hash"
        )
    }
    seen: set[str] = set()
    to_create: list[Feature] = []
    to_update: list[Feature] = []
    # Each parsed feature's row id, in file order; new rows get theirs when inserted.
    pks: list[int] = []
    pending: list[int] = []
    for parsed in progress(features, len(features), _("Writing")):
        seen.add(parsed.key)
        geom = GEOSGeometry(memoryview(parsed.wkb), srid=4326)
        known = existing.get(parsed.key)
        if known is None:
            to_create.append(
                Feature(
                    layer=layer,
                    key=parsed.key,
                    name=parsed.name,
                    geom=geom,
                    properties=parsed.properties,
                    content_hash=parsed.content_hash,
                    updated_at=now,
                )
            )
            pending.append(len(pks))
            pks.append(0)
            report.added += 1
        elif known[1] != parsed.content_hash:
            to_update.append(
                Feature(
                    pk=known[0],
                    layer=layer,
                    key=parsed.key,
                    name=parsed.name,
                    geom=geom,
                    properties=parsed.properties,
                    content_hash=parsed.content_hash,
                    updated_at=now,
                )
            )
            pks.append(known[0])
            report.changed += 1
        else:
            pks.append(known[0])
            report.unchanged += 1
        if len(to_create) >= BATCH_SIZE:
            _flush_create(to_create, pending, pks)
        if len(to_update) >= BATCH_SIZE:
            _flush_update(to_update)
    _flush_create(to_create, pending, pks)
    _flush_update(to_update)
    gone = [pk for key, (pk, _hash_) in existing.items() if key not in seen]
    for start in range(0, len(gone), BATCH_SIZE):
        Feature.objects.filter(pk__in=gone[start : start + BATCH_SIZE]).delete()
    report.removed = len(gone)
    cells = cluster_cells(
        np.array([f.x for f in features]),
        np.array([f.y for f in features]),
        np.array(pks, dtype=np.int64),
    )
    _write_clusters(layer, cells)
    report.cluster_max_zoom = cells.max_zoom
    layer.geometry_type = report.geometry_type
    layer.feature_count = len(features)
    layer.last_updated_at = now
    layer.extent = report.extent
    layer.cluster_max_zoom = cells.max_zoom
    layer.recent_feature_count = Feature.objects.filter(
        layer=layer, updated_at__gte=now - timedelta(days=365)
    ).count()
    layer.stats_at = now
    if not created:
        layer.name = options.name.strip() or layer.name
        if options.name_en:
            layer.name_en = options.name_en.strip()
        if options.category:
            layer.category = target.category
        if target.owner is not None:
            layer.owner = target.owner
        if options.frequency:
            layer.update_frequency = target.frequency
    layer.save()
    LayerImport.objects.create(
        layer=layer,
        user_id=options.user_id,
        file_name=(options.file_name or report.source_layer)[:255],
        file_format=report.file_format,
        imported_at=now,
        added=report.added,
        changed=report.changed,
        unchanged=report.unchanged,
        removed=report.removed,
    )
    return layer


# Colours a new dataset is drawn in until an administrator picks one: none of them is a case
# state's colour on the map (grey, blue, purple, green) or a card's (yellow, red).
DATASET_COLOURS = ("#0891b2", "#db2777", "#65a30d", "#b45309", "#0d9488", "#c026d3", "#854d0e")


def default_colour(code: str) -> str:
    """The same colour for the same layer code, from DATASET_COLOURS."""
    digest = hashlib.blake2b(code.encode(), digest_size=2).digest()
    return DATASET_COLOURS[int.from_bytes(digest, "big") % len(DATASET_COLOURS)]


def _flush_create(rows: list[Feature], pending: list[int], pks: list[int]) -> None:
    """Insert the rows waiting to be created and put their new ids at their places in pks."""
    if not rows:
        return
    created = Feature.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    for index, row in zip(pending, created, strict=True):
        pks[index] = row.pk
    rows.clear()
    pending.clear()


def _flush_update(rows: list[Feature]) -> None:
    if not rows:
        return
    Feature.objects.bulk_update(
        rows, ["name", "geom", "properties", "content_hash", "updated_at"], batch_size=BATCH_SIZE
    )
    rows.clear()


def _write_clusters(layer: Layer, cells: ClusterCells) -> None:
    FeatureCluster.objects.filter(layer=layer).delete()
    rows = [
        FeatureCluster(
            layer=layer,
            zoom=zoom,
            lon=lon,
            lat=lat,
            count=count,
            feature_id=feature_id,
        )
        for zoom, lon, lat, count, feature_id in cells.rows()
    ]
    FeatureCluster.objects.bulk_create(rows, batch_size=BATCH_SIZE)


def analyze_tables() -> None:
    """Fresh statistics for the planner after a bulk write (generators and imports end so)."""
    analyze(Feature, FeatureCluster, Layer)


def iter_problems(report: ImportReport) -> Iterator[str]:
    for problem in report.problems:
        yield str(problem)

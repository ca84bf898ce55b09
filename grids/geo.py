"""Small geometry helpers shared by the importer, the generator and the services."""

from __future__ import annotations

import math
import threading

import numpy as np
import shapely
from django.contrib.gis.gdal import CoordTransform, OGRGeometry, SpatialReference
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Point, Polygon
from django.db import connection
from django.db.models import FloatField, Func, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

# CGCS2000 / 3-degree Gauss-Kruger CM 120E: a metric projection whose central meridian runs
# through Qingdao, so areas are exact to well under 0.1 % across the district.
AREA_SRID = 4549
WGS84 = 4326


_local = threading.local()


def _to_area_srid() -> CoordTransform:
    # Building a transform costs ~25 ms (PROJ database look-ups); reuse one per thread
    # (GDAL transforms are not thread-safe).
    transform = getattr(_local, "to_area_srid", None)
    if transform is None:
        transform = CoordTransform(SpatialReference(WGS84), SpatialReference(AREA_SRID))
        _local.to_area_srid = transform
    return transform


def _from_area_srid() -> CoordTransform:
    transform = getattr(_local, "from_area_srid", None)
    if transform is None:
        transform = CoordTransform(SpatialReference(AREA_SRID), SpatialReference(WGS84))
        _local.from_area_srid = transform
    return transform


def _transform_xy(x: np.ndarray, y: np.ndarray, transform: CoordTransform) -> np.ndarray:
    if len(x) == 0:
        return np.empty((0, 2))
    # One OGR call for the lot: a MultiPoint through GDAL/PROJ, the library PostGIS uses too.
    points = shapely.multipoints(np.column_stack([np.asarray(x, float), np.asarray(y, float)]))
    geometry = OGRGeometry(memoryview(shapely.to_wkb(points)))
    geometry.transform(transform)
    return shapely.get_coordinates(shapely.from_wkb(bytes(geometry.wkb)))


def to_metres(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """WGS84 degrees → EPSG:4549 metres (n × 2), the projection PostGIS's ST_Transform gives:
    distances and areas in it are exact to well under 0.1 % across the district."""
    return _transform_xy(lon, lat, _to_area_srid())


def to_degrees(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """EPSG:4549 metres → WGS84 degrees (n × 2): the inverse of to_metres."""
    return _transform_xy(x, y, _from_area_srid())


def area_m2(geom: GEOSGeometry) -> float:
    """Area in square metres of a geometry stored in EPSG:4326."""
    if geom.srid not in (None, WGS84):
        geom = geom.transform(WGS84, clone=True)
    projected = geom.clone()
    projected.srid = WGS84
    projected.transform(_to_area_srid())
    return float(projected.area)


def as_multipolygon(geom: GEOSGeometry) -> MultiPolygon:
    """Polygon or MultiPolygon → MultiPolygon in EPSG:4326 (other types raise TypeError)."""
    if isinstance(geom, MultiPolygon):
        result = geom
    elif isinstance(geom, Polygon):
        result = MultiPolygon(geom, srid=geom.srid)
    else:
        raise TypeError(f"expected a Polygon or MultiPolygon, got {geom.geom_type}")
    if result.srid is None:
        result.srid = WGS84
    return result


Box = tuple[float, float, float, float]


def parse_bbox(value: str) -> Box:
    """'min_lon,min_lat,max_lon,max_lat' (WGS84), as the map's API parameters send it.

    Raises ValueError with a message for the user when it is not four numbers or not a box.
    """
    try:
        min_lon, min_lat, max_lon, max_lat = (float(part) for part in value.split(","))
    except ValueError:
        raise ValueError(_("Give four numbers: min_lon,min_lat,max_lon,max_lat.")) from None
    if not (-180 <= min_lon < max_lon <= 180 and -90 <= min_lat < max_lat <= 90):
        raise ValueError(_("The box must have min < max, longitudes in ±180, latitudes in ±90."))
    return (min_lon, min_lat, max_lon, max_lat)


def parse_lon_lat(value: str) -> Point:
    """'lon,lat' (WGS84), as the API's `near` parameters send it, as a point.

    Raises ValueError with a message for the user when it is not two numbers in range.
    """
    try:
        lon, lat = (float(part) for part in value.split(","))
    except ValueError:
        raise ValueError(_("Give two numbers: lon,lat.")) from None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValueError(_("Longitude within ±180 and latitude within ±90."))
    return Point(lon, lat, srid=WGS84)


def bbox_polygon(box: Box) -> Polygon:
    polygon = Polygon.from_bbox(box)
    polygon.srid = WGS84
    return polygon


_EARTH_RADIUS_M = 6_371_008.8


def distance_m(a: Point, b: Point) -> float:
    """Great-circle distance in metres between two WGS84 points (haversine)."""
    lon1, lat1, lon2, lat2 = map(math.radians, (a.x, a.y, b.x, b.y))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * _EARTH_RADIUS_M * math.asin(math.sqrt(h))


def filter_in_box(qs: QuerySet, column: str, box: Box) -> QuerySet:
    """Rows whose geometry's bounding box meets the box, through the spatial index on both
    backends (SpatiaLite consults its R*Tree only through the SpatialIndex virtual table)."""
    if connection.vendor == "sqlite":
        return qs.filter(
            pk__in=RawSQL(
                "SELECT rowid FROM SpatialIndex WHERE f_table_name = %s AND "
                "f_geometry_column = %s AND search_frame = BuildMbr(%s, %s, %s, %s, 4326)",
                (qs.model._meta.db_table, column, *box),
            )
        )
    return qs.filter(**{f"{column}__bboverlaps": bbox_polygon(box)})


class PointCoordinate(Func):
    """A point column's longitude (axis "X") or latitude ("Y") as a number, optionally rounded
    to `places` decimals, on PostGIS (ST_X) and SpatiaLite (X): bulk reads without building a
    geometry object per row."""

    output_field = FloatField()
    arity = 1

    def __init__(self, expression: object, *, axis: str, places: int | None = None) -> None:
        if axis not in ("X", "Y"):
            raise ValueError(f"axis must be X or Y, not {axis!r}")
        self.axis = axis
        self.places = None if places is None else int(places)
        super().__init__(expression)

    def as_postgresql(self, compiler, connection, **extra):  # noqa: ANN001, ANN201
        template = f"ST_{self.axis}(%(expressions)s)"
        if self.places is not None:
            template = f"ROUND({template}::numeric, {self.places})::float8"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler, connection, **extra):  # noqa: ANN001, ANN201
        template = f"{self.axis}(%(expressions)s)"
        if self.places is not None:
            template = f"ROUND({template}, {self.places})"
        return self.as_sql(compiler, connection, template=template, **extra)

"""Small geometry helpers shared by the importer, the generator and the services."""

from __future__ import annotations

import threading

from django.contrib.gis.gdal import CoordTransform, SpatialReference
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Polygon
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


def bbox_polygon(box: Box) -> Polygon:
    polygon = Polygon.from_bbox(box)
    polygon.srid = WGS84
    return polygon

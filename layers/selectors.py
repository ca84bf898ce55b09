"""Reading the catalogue: which layers a user sees, a layer's features in a box, one feature.

Who sees a layer: staff only (a user holding a post); then, when the layer names roles, a
user holding one of them; when it names regions, a user posted in, above or below one of
them. District leaders and administrators see every layer. Within a table layer the rows are
scoped as the table's own pages scope them (assets by the regions the user sees); a foreign
layer or row does not exist for the user (404).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.db.models.functions import AsGeoJSON, GeomOutputGeoFunc
from django.db import connection, models
from django.db.models import F, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.geo import Box, bbox_polygon
from grids.selectors import Jurisdiction, jurisdiction_for_user
from layers.clusters import MIN_ZOOM as MIN_CLUSTER_ZOOM
from layers.models import (
    FeatureCluster,
    GeometryType,
    Layer,
    SourceKind,
    UpdateFrequency,
)
from layers.sources import FeatureSource, source_for

DEFAULT_PAGE_SIZE = 1000
MAX_PAGE_SIZE = 5000
MAX_CLUSTERS = 20_000
# Geometry is simplified to half a screen pixel at the requested zoom.
SIMPLIFY_PIXELS = 0.5
COORDINATE_DECIMALS = 6  # ~0.1 m

# How long a layer may go without an update before it is stale: its period, and half again.
FREQUENCY_DAYS: dict[str, int] = {
    UpdateFrequency.REALTIME: 1,
    UpdateFrequency.DAILY: 1,
    UpdateFrequency.WEEKLY: 7,
    UpdateFrequency.MONTHLY: 31,
    UpdateFrequency.QUARTERLY: 92,
    UpdateFrequency.YEARLY: 366,
    UpdateFrequency.IRREGULAR: 366,
}
GRACE = 1.5


class LayerNotFound(LookupError):
    """No such layer, or not one the user may see."""


class FeatureNotFound(LookupError):
    """No such feature in the layer, or not one the user may see."""


# --- visibility ---------------------------------------------------------------------------------


def may_see_layers(jurisdiction: Jurisdiction) -> bool:
    return jurisdiction.everything or bool(jurisdiction.roles)


def _places(jurisdiction: Jurisdiction) -> frozenset[str]:
    return jurisdiction.region_codes | jurisdiction.map_region_codes


def layer_visible(layer: Layer, jurisdiction: Jurisdiction, region_codes: list[str]) -> bool:
    """Whether a user with this jurisdiction sees the layer (region_codes: the layer's)."""
    if not layer.is_active or not may_see_layers(jurisdiction):
        return False
    if jurisdiction.everything:
        return True
    if layer.roles and not jurisdiction.roles.intersection(layer.roles):
        return False
    if region_codes:
        places = _places(jurisdiction)
        return any(
            place.startswith(code) or code.startswith(place)
            for place in places
            for code in region_codes
        )
    return True


def _region_codes(layer_ids: list[int]) -> dict[int, list[str]]:
    """The region codes each layer is limited to, in one query (through the M2M table, not a
    prefetch of 142 region lists with their boundaries)."""
    codes: dict[int, list[str]] = {}
    through = Layer.regions.through
    for layer_id, code in through.objects.filter(layer_id__in=layer_ids).values_list(
        "layer_id", "region__code"
    ):
        codes.setdefault(layer_id, []).append(code)
    return codes


def layers_for_user(user: AbstractBaseUser | AnonymousUser) -> list[Layer]:
    """The active layers the user sees, with category and owner, by category then code."""
    jurisdiction = jurisdiction_for_user(user)
    if not may_see_layers(jurisdiction):
        return []
    layers = list(
        Layer.objects.filter(is_active=True)
        .select_related("category", "owner")
        .defer("description", "extent", "owner__phone")
        .order_by("category__ordering", "category__code", "code")
    )
    regions = _region_codes([layer.pk for layer in layers])
    return [
        layer for layer in layers if layer_visible(layer, jurisdiction, regions.get(layer.pk, []))
    ]


def layer_get_for_user(user: AbstractBaseUser | AnonymousUser, code: str) -> Layer:
    """The layer with this code if the user sees it; LayerNotFound otherwise."""
    jurisdiction = jurisdiction_for_user(user)
    layer = (
        Layer.objects.filter(code=code, is_active=True).select_related("category", "owner").first()
    )
    if layer is None or not layer_visible(
        layer, jurisdiction, _region_codes([layer.pk]).get(layer.pk, [])
    ):
        raise LayerNotFound(code)
    return layer


# --- freshness ----------------------------------------------------------------------------------


class Freshness(models.TextChoices):
    FRESH = "fresh", _("Up to date")
    STALE = "stale", _("Stale")
    UNKNOWN = "unknown", _("Unknown")


def layer_freshness(layer: Layer, now: datetime | None = None) -> str:
    """Fresh while its last update is within its update period (and half again); stale after;
    unknown when it was never updated or is an external service we cannot see into."""
    if layer.source == SourceKind.EXTERNAL or layer.last_updated_at is None:
        return Freshness.UNKNOWN
    now = now or timezone.now()
    allowed = timedelta(days=FREQUENCY_DAYS.get(layer.update_frequency, 366) * GRACE)
    return Freshness.FRESH if now - layer.last_updated_at <= allowed else Freshness.STALE


# --- features -----------------------------------------------------------------------------------


class SimplifyPreserveTopology(GeomOutputGeoFunc):
    """ST_SimplifyPreserveTopology on PostGIS, SimplifyPreserveTopology on SpatiaLite."""


def simplify_tolerance(zoom: int | None) -> float | None:
    """Degrees in half a screen pixel at the zoom (256-pixel tiles)."""
    if zoom is None:
        return None
    return SIMPLIFY_PIXELS * 360.0 / (256 * 2**zoom)


def _geometry_json(source: FeatureSource, zoom: int | None) -> AsGeoJSON:
    geom = F(source.geom_field)
    tolerance = simplify_tolerance(zoom)
    if tolerance is not None and source.geometry_type != GeometryType.POINT:
        simplified = SimplifyPreserveTopology(
            geom, Value(tolerance), output_field=GeometryField(srid=4326)
        )
        return AsGeoJSON(Coalesce(simplified, geom), precision=COORDINATE_DECIMALS)
    return AsGeoJSON(geom, precision=COORDINATE_DECIMALS)


def _in_box(qs: QuerySet, source: FeatureSource, box: Box) -> QuerySet:
    if connection.vendor == "sqlite":
        # SpatiaLite's R*Tree is only consulted through the SpatialIndex virtual table.
        column = qs.model._meta.get_field(source.geom_field).column
        return qs.filter(
            pk__in=RawSQL(
                "SELECT rowid FROM SpatialIndex WHERE f_table_name = %s "
                "AND f_geometry_column = %s AND search_frame = BuildMbr(%s, %s, %s, %s, 4326)",
                (qs.model._meta.db_table, column, *box),
            )
        )
    return qs.filter(**{f"{source.geom_field}__bboverlaps": bbox_polygon(box)})


@dataclass(frozen=True)
class FeaturePage:
    features: list[dict[str, Any]]
    clustered: bool
    next_after: int | None


def _cluster_page(layer: Layer, box: Box, zoom: int) -> FeaturePage:
    level = min(max(zoom, MIN_CLUSTER_ZOOM), layer.cluster_max_zoom or MIN_CLUSTER_ZOOM)
    rows = FeatureCluster.objects.filter(
        layer=layer,
        zoom=level,
        lon__gte=box[0],
        lon__lte=box[2],
        lat__gte=box[1],
        lat__lte=box[3],
    ).values_list("lon", "lat", "count", "feature_id")[:MAX_CLUSTERS]
    return FeaturePage(
        features=[
            {
                "type": "Feature",
                "id": feature_id,
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {"count": count},
            }
            for lon, lat, count, feature_id in rows
        ],
        clustered=True,
        next_after=None,
    )


def features_in_bbox(
    *,
    layer: Layer,
    jurisdiction: Jurisdiction,
    box: Box,
    zoom: int | None = None,
    after: int = 0,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> FeaturePage:
    """The layer's features whose box overlaps `box`, as GeoJSON features ordered by id,
    `page_size` at a time after id `after`; at a zoom where the layer is counted in clusters,
    those clusters instead (no paging). Geometry is simplified for the zoom when one is given.
    """
    if zoom is not None and zoom < layer.min_zoom:
        return FeaturePage(features=[], clustered=False, next_after=None)
    if (
        layer.source == SourceKind.DATASET
        and layer.cluster_max_zoom is not None
        and zoom is not None
        and zoom <= layer.cluster_max_zoom
    ):
        return _cluster_page(layer, box, zoom)
    source = source_for(layer)
    if source is None:
        return FeaturePage(features=[], clustered=False, next_after=None)
    qs = _in_box(source.rows_for(jurisdiction), source, box)
    rows = list(
        qs.filter(pk__gt=after)
        .order_by("pk")
        .annotate(feature_name=F(source.name_field), geojson=_geometry_json(source, zoom))
        .values_list("pk", "feature_name", "geojson")[: page_size + 1]
    )
    features = [
        {
            "type": "Feature",
            "id": pk,
            "geometry": json.loads(geojson) if geojson else None,
            "properties": {"name": name or ""},
        }
        for pk, name, geojson in rows[:page_size]
    ]
    more = len(rows) > page_size
    return FeaturePage(
        features=features,
        clustered=False,
        next_after=features[-1]["id"] if more and features else None,
    )


def feature_detail(*, layer: Layer, jurisdiction: Jurisdiction, feature_id: int) -> dict[str, Any]:
    """One feature of a layer the user sees: its geometry, name and attributes."""
    source = source_for(layer)
    if source is None:
        raise FeatureNotFound(feature_id)
    row = (
        source.detail_queryset(source.rows_for(jurisdiction))
        .filter(pk=feature_id)
        .annotate(geojson=AsGeoJSON(F(source.geom_field), precision=COORDINATE_DECIMALS))
        .first()
    )
    if row is None:
        raise FeatureNotFound(feature_id)
    return {
        "id": row.pk,
        "layer": layer.code,
        "name": str(getattr(row, source.name_field, "") or ""),
        "geometry": json.loads(row.geojson) if row.geojson else None,
        "attributes": [
            {"name": a.name, "label": a.label, "value": a.value} for a in source.attributes(row)
        ],
        **source.details(row),
    }

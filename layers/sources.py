"""Where a layer's features come from, behind one interface.

A `FeatureSource` says which rows a layer has, which of them a user may see, where each row's
geometry and name are, and what a row's attributes are. Tables of ours are registered here by
key: layers registers those of grids (regions, assets, resources, cameras); apps above it
register their own in their AppConfig.ready (citizens: buildings, parcels), so nothing here
imports them. An imported dataset is a source over `Feature` rows of one layer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from grids.assets import asset_class_of_code, asset_status_label
from grids.cameras import camera_of, camera_out
from grids.models import (
    Asset,
    CameraState,
    EmergencyResource,
    GridKind,
    Level,
    Region,
    ResourceKind,
)
from grids.selectors import Jurisdiction
from layers.models import Feature, GeometryType, Layer


@dataclass(frozen=True)
class Attribute:
    name: str
    label: str
    value: Any


def attr(name: str, label: Promise | str, value: Any) -> Attribute:
    return Attribute(name=name, label=str(label), value=value)


def _everyone(qs: QuerySet, jurisdiction: Jurisdiction) -> QuerySet:
    return qs


def scope_by_region(code_field: str) -> Callable[[QuerySet, Jurisdiction], QuerySet]:
    """Rows in the regions the user may see on the map (their subtrees, their units')."""

    def scope(qs: QuerySet, jurisdiction: Jurisdiction) -> QuerySet:
        return qs.filter(jurisdiction.map_region_filter(code_field))

    return scope


@dataclass(frozen=True)
class FeatureSource:
    key: str
    label: Promise | str
    geometry_type: str
    queryset: Callable[[], QuerySet]
    geom_field: str
    name_field: str
    attributes: Callable[[Any], list[Attribute]]
    scope: Callable[[QuerySet, Jurisdiction], QuerySet] = _everyone
    # A column saying when a row last changed (for "updated in the past year"), if any.
    updated_field: str | None = None
    # Extra keys for the feature's detail: a camera's player, an asset's page.
    details: Callable[[Any], dict[str, Any]] = field(default=lambda row: {})
    # Reads for the detail (select_related, annotations).
    detail_queryset: Callable[[QuerySet], QuerySet] = field(default=lambda qs: qs)

    def rows_for(self, jurisdiction: Jurisdiction) -> QuerySet:
        return self.scope(self.queryset(), jurisdiction)


TABLE_SOURCES: dict[str, FeatureSource] = {}


def register_table_source(source: FeatureSource) -> None:
    """Make a table of ours available to the catalogue under source.key (idempotent)."""
    TABLE_SOURCES[source.key] = source


def source_for(layer: Layer) -> FeatureSource | None:
    """The feature source of a table or dataset layer; None for external layers (the browser
    asks those) and for a table nobody registered."""
    if layer.source == "table":
        return TABLE_SOURCES.get(layer.table)
    if layer.source == "dataset":
        return _dataset_source(layer)
    return None


# --- imported datasets --------------------------------------------------------------------------


def _feature_attributes(feature: Feature) -> list[Attribute]:
    return [attr(str(name), str(name), value) for name, value in (feature.properties or {}).items()]


def _dataset_source(layer: Layer) -> FeatureSource:
    return FeatureSource(
        key=f"dataset:{layer.code}",
        label=layer.name,
        geometry_type=layer.geometry_type,
        queryset=lambda: Feature.objects.filter(layer_id=layer.pk),
        geom_field="geom",
        name_field="name",
        attributes=_feature_attributes,
        updated_field="updated_at",
    )


# --- the tables of grids ------------------------------------------------------------------------


def _link(name: str, *args: Any) -> str | None:
    # Pages live above layers (the dashboard); they are found by URL name, not imported.
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _region_attributes(region: Region) -> list[Attribute]:
    return [
        attr("code", _("code"), region.code),
        attr("name", _("name"), region.name),
        attr("level", _("level"), str(Level(region.level).label)),
        *([attr("kind", _("grid kind"), str(GridKind(region.kind).label))] if region.kind else []),
        attr("area_m2", _("area (m²)"), round(region.area_m2)),
    ]


def _regions(level: str, label: Promise) -> FeatureSource:
    return FeatureSource(
        key={"street": "streets", "community": "communities", "grid": "grids"}[level],
        label=label,
        geometry_type=GeometryType.POLYGON,
        queryset=lambda: Region.objects.filter(level=level),
        geom_field="geom",
        name_field="name",
        attributes=_region_attributes,
        scope=scope_by_region("code"),
    )


def _asset_attributes(asset: Asset) -> list[Attribute]:
    return [
        attr("code", _("code"), asset.code),
        attr("name", _("name"), asset.name),
        attr("class", _("class"), asset_class_of_code(asset.code)),
        attr("grid", _("grid"), getattr(asset, "grid_code", "")),
        attr("in_charge_unit", _("unit in charge"), asset.in_charge_unit.name),
        attr("owner_unit", _("owner unit"), asset.owner_unit.name),
        attr("maintenance_unit", _("maintenance unit"), asset.maintenance_unit.name),
        attr("status", _("status"), asset_status_label(asset.status)),
    ]


def _asset_detail(qs: QuerySet) -> QuerySet:
    return qs.annotate(grid_code=F("grid__code")).select_related(
        "in_charge_unit", "owner_unit", "maintenance_unit"
    )


def _resource_attributes(resource: EmergencyResource) -> list[Attribute]:
    rows = [
        attr("code", _("code"), resource.code),
        attr("name", _("name"), resource.name),
        attr("kind", _("kind"), str(ResourceKind(resource.kind).label)),
    ]
    if resource.capacity is not None:
        rows.append(attr("capacity", _("capacity"), resource.capacity))
    if resource.contact:
        rows.append(attr("contact", _("contact"), resource.contact))
    return rows


def _camera_attributes(resource: EmergencyResource) -> list[Attribute]:
    camera = camera_of(resource)
    rows = [attr("code", _("code"), resource.code), attr("name", _("name"), resource.name)]
    if camera is not None:
        if camera.place:
            rows.append(attr("place", _("place"), camera.place))
        if camera.direction_deg is not None:
            rows.append(attr("direction", _("direction"), f"{camera.direction_deg}°"))
        if camera.owner_unit is not None:
            rows.append(attr("owner", _("owner"), camera.owner_unit.name))
        rows.append(attr("state", _("camera state"), str(CameraState(camera.state).label)))
    return rows


def camera_player(resource: EmergencyResource) -> dict[str, Any]:
    return {"camera": camera_out(resource)}


BUILTIN_SOURCES: tuple[FeatureSource, ...] = (
    _regions(Level.STREET, _("Streets")),
    _regions(Level.COMMUNITY, _("Communities")),
    _regions(Level.GRID, _("Grids")),
    FeatureSource(
        key="assets",
        label=_("City components"),
        geometry_type=GeometryType.POINT,
        queryset=lambda: Asset.objects.all(),
        geom_field="point",
        name_field="name",
        attributes=_asset_attributes,
        scope=scope_by_region("grid__code"),
        details=lambda asset: {"link": _link("dispatch:asset", asset.code)},
        detail_queryset=_asset_detail,
    ),
    FeatureSource(
        key="resources",
        label=_("Emergency resources"),
        geometry_type=GeometryType.POINT,
        queryset=lambda: EmergencyResource.objects.filter(is_active=True).exclude(
            kind=ResourceKind.CAMERA
        ),
        geom_field="point",
        name_field="name",
        attributes=_resource_attributes,
        updated_field="updated_at",
    ),
    FeatureSource(
        key="cameras",
        label=_("Cameras"),
        geometry_type=GeometryType.POINT,
        queryset=lambda: EmergencyResource.objects.filter(is_active=True, kind=ResourceKind.CAMERA),
        geom_field="point",
        name_field="name",
        attributes=_camera_attributes,
        updated_field="updated_at",
        details=camera_player,
        detail_queryset=lambda qs: qs.select_related("camera__owner_unit"),
    ),
)


def register_builtin_sources() -> None:
    for source in BUILTIN_SOURCES:
        register_table_source(source)

"""The registry's places as layers of the catalogue: buildings and land parcels.

Registered with layers (which sits below and never imports citizens) when the app is ready.
They hold addresses and outlines only: no person is reached through a layer.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from citizens.models import Building, BuildingUse, Parcel
from layers.models import GeometryType
from layers.sources import Attribute, FeatureSource, attr, register_table_source, scope_by_region


def _building_attributes(building: Building) -> list[Attribute]:
    return [
        attr("code", _("code"), building.code),
        attr("address", _("address"), building.address),
        *([attr("name", _("name"), building.name)] if building.name else []),
        attr("floors", _("floors above ground"), building.floors),
        attr("use", _("use"), str(BuildingUse(building.use).label)),
        attr("grid", _("grid"), building.grid_id),
    ]


def _parcel_attributes(parcel: Parcel) -> list[Attribute]:
    return [
        attr("code", _("code"), parcel.code),
        *([attr("name", _("name"), parcel.name)] if parcel.name else []),
        attr("grid", _("grid"), parcel.grid_id),
    ]


def register_registry_layers() -> None:
    register_table_source(
        FeatureSource(
            key="buildings",
            label=_("Buildings"),
            geometry_type=GeometryType.POLYGON,
            queryset=lambda: Building.objects.all(),
            geom_field="footprint",
            name_field="address",
            attributes=_building_attributes,
            scope=scope_by_region("grid_id"),
        )
    )
    register_table_source(
        FeatureSource(
            key="parcels",
            label=_("Land parcels"),
            geometry_type=GeometryType.POLYGON,
            queryset=lambda: Parcel.objects.all(),
            geom_field="geom",
            name_field="name",
            attributes=_parcel_attributes,
            scope=scope_by_region("grid_id"),
        )
    )

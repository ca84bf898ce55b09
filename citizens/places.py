"""Places on the map, for a user: what stands at a point, the parcels and buildings in a box
(the map's layers), a parcel's totals, and the cases at a building. No personal data here:
people are read through citizens.access."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.gis.db.models.functions import AsGeoJSON, Distance
from django.contrib.gis.geos import Point, Polygon
from django.contrib.gis.measure import D
from django.db.models import Count, Q, QuerySet

from cases.models import OPEN_STATUSES, Case
from cases.selectors import case_filter_for
from citizens.models import Building, Dwelling, DwellingUse, Organisation, Parcel
from citizens.selectors import AnyUser, parcel_buildings, parcel_visible, registry_jurisdiction
from citizens.stats import lived_in_links_qs
from grids.emergency import metre_box
from grids.geo import Box, bbox_polygon, filter_in_box
from grids.selectors import Jurisdiction

# A pin dropped in the street in front of a building still names it.
NEAR_BUILDING_M = 30.0
# Cases reported on a building or on the pavement in front of it belong to it.
CASE_NEAR_M = 20.0
CASES_SHOWN = 20
MAX_FEATURES = 3000
COORDINATE_DIGITS = 6  # ~0.1 m


def _buildings(jurisdiction: Jurisdiction) -> QuerySet[Building]:
    return Building.objects.filter(jurisdiction.region_filter("grid__code"))


def parcels_for(jurisdiction: Jurisdiction) -> QuerySet[Parcel]:
    """Parcels whose grid, or one of whose buildings, is in the jurisdiction (the list form
    of citizens.selectors.parcel_visible)."""
    if jurisdiction.everything:
        return Parcel.objects.all()
    return Parcel.objects.filter(
        jurisdiction.region_filter("grid__code")
        | Q(pk__in=_buildings(jurisdiction).filter(parcel__isnull=False).values("parcel_id"))
    )


# --- at a point --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlaceAt:
    parcel: Parcel | None
    building: Building | None
    building_distance_m: float | None  # 0 inside the footprint


def places_at(user: AnyUser, point: Point) -> PlaceAt:
    """The parcel and the building at a WGS84 point, in the user's jurisdiction. Without a
    footprint under the point, the nearest building within NEAR_BUILDING_M."""
    jurisdiction = registry_jurisdiction(user)
    parcel = None
    for candidate in Parcel.objects.filter(geom__intersects=point).order_by("pk"):
        if parcel_visible(candidate, jurisdiction):
            parcel = candidate
            break
    buildings = _buildings(jurisdiction).select_related("parcel")
    building = buildings.filter(footprint__intersects=point).order_by("pk").first()
    distance: float | None = 0.0 if building else None
    box = metre_box(point.x, point.y, NEAR_BUILDING_M)
    if building is None and box is not None:
        near = (
            filter_in_box(buildings, "footprint", box)
            .annotate(distance=Distance("footprint", point))
            .order_by("distance", "pk")
            .first()
        )
        metres = near.distance.m if near is not None else None  # type: ignore[attr-defined]
        if near is not None and metres is not None and metres <= NEAR_BUILDING_M:
            building, distance = near, round(metres, 1)
    if parcel is None and building is not None and building.parcel is not None:
        parcel = building.parcel
    return PlaceAt(parcel=parcel, building=building, building_distance_m=distance)


# --- the map's layers --------------------------------------------------------------------------


def _features(qs: QuerySet, column: str, fields: tuple[str, ...]) -> tuple[list[dict], bool]:
    rows = list(
        qs.annotate(shape=AsGeoJSON(column, precision=COORDINATE_DIGITS))
        .order_by("pk")
        .values_list(*fields, "shape")[: MAX_FEATURES + 1]
    )
    features = [
        {
            "type": "Feature",
            "geometry": json.loads(row[-1]),
            "properties": dict(zip(fields, row[:-1], strict=True)),
        }
        for row in rows[:MAX_FEATURES]
    ]
    return features, len(rows) > MAX_FEATURES


def buildings_in_box(user: AnyUser, box: Box) -> tuple[list[dict], bool]:
    """GeoJSON features of the buildings in the box (footprints), and whether there were more
    than MAX_FEATURES."""
    qs = filter_in_box(_buildings(registry_jurisdiction(user)), "footprint", box)
    fields = ("id", "code", "address", "name", "use", "floors", "parcel_id", "grid_id")
    return _features(qs, "footprint", fields)


def parcels_in_box(user: AnyUser, box: Box) -> tuple[list[dict], bool]:
    qs = filter_in_box(parcels_for(registry_jurisdiction(user)), "geom", box)
    return _features(qs, "geom", ("id", "code", "name", "grid_id"))


# --- a parcel's totals ---------------------------------------------------------------------------


def parcel_totals(user: AnyUser, parcel: Parcel) -> dict[str, int]:
    """Counts over the parcel's buildings in the user's jurisdiction (the user may read their
    residents, so nothing is suppressed)."""
    buildings = parcel_buildings(user, parcel).values("pk")
    dwellings = Dwelling.objects.filter(building__in=buildings).aggregate(
        dwellings=Count("pk"), homes=Count("pk", filter=Q(use=DwellingUse.HOME))
    )
    lived_in = lived_in_links_qs().filter(building__in=buildings)
    people = lived_in.aggregate(
        residents=Count("person_id", distinct=True), households=Count("dwelling_id", distinct=True)
    )
    return {
        "buildings": parcel_buildings(user, parcel).count(),
        "dwellings": dwellings["dwellings"],
        "homes": dwellings["homes"],
        "residents": people["residents"],
        "households": people["households"],
        "vacant_dwellings": max(0, dwellings["homes"] - people["households"]),
        "organisations": Organisation.objects.filter(building__in=buildings).count(),
    }


# --- cases at a building ------------------------------------------------------------------------


@dataclass(frozen=True)
class BuildingCases:
    open: Sequence[Case]
    past: Sequence[Case]
    open_count: int
    past_count: int


def _around(footprint: Polygon, metres: float) -> Polygon | None:
    low = metre_box(footprint.extent[0], footprint.extent[1], metres)
    high = metre_box(footprint.extent[2], footprint.extent[3], metres)
    if low is None or high is None:
        return None
    return bbox_polygon((low[0], low[1], high[2], high[3]))


def building_cases(
    user: AnyUser, building: Building, *, jurisdiction: Jurisdiction | None = None
) -> BuildingCases:
    """The cases the user may see that were reported on the building or within CASE_NEAR_M
    of its footprint (on the pavement in front of it): open ones and past ones, newest
    first. A case is linked to a building by where it was reported, not by a column."""
    box = _around(building.footprint, CASE_NEAR_M)
    if box is None or not user.is_authenticated:
        return BuildingCases([], [], 0, 0)
    jurisdiction = jurisdiction or registry_jurisdiction(user)
    near = (
        Case.objects.filter(case_filter_for(user, jurisdiction))
        .filter(point__intersects=box)
        .annotate(distance=Distance("point", building.footprint))
        .filter(distance__lte=D(m=CASE_NEAR_M))
        .order_by("-reported_at", "-pk")
    )
    is_open = Q(status__in=sorted(OPEN_STATUSES))
    counts = near.aggregate(open=Count("pk", filter=is_open), past=Count("pk", filter=~is_open))
    rows = near.select_related("item").only(*CASE_ROW_FIELDS)
    if counts["open"] + counts["past"] <= CASES_SHOWN:  # the usual building: one query
        found = list(rows) if counts["open"] + counts["past"] else []
        opened = [case for case in found if case.status in OPEN_STATUSES]
        past = [case for case in found if case.status not in OPEN_STATUSES]
    else:
        opened = list(rows.filter(is_open)[:CASES_SHOWN]) if counts["open"] else []
        past = list(rows.exclude(is_open)[:CASES_SHOWN]) if counts["past"] else []
    return BuildingCases(
        open=opened, past=past, open_count=counts["open"], past_count=counts["past"]
    )


CASE_ROW_FIELDS = (
    "id",
    "number",
    "status",
    "address",
    "reported_at",
    "closed_at",
    "stage_warn_at",
    "stage_due_at",
    "item__name",
)


def case_row(case: Case) -> dict[str, Any]:
    return {
        "id": case.pk,
        "number": case.number,
        "status": case.status,
        "status_label": case.get_status_display(),
        "item": case.item.name,
        "address": case.address,
        "reported_at": case.reported_at,
        "closed_at": case.closed_at,
        "stage_warn_at": case.stage_warn_at,
        "stage_due_at": case.stage_due_at,
    }

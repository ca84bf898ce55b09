"""The registry's place API: find a place, what stands at a point, the map's layers, a
parcel's totals, a building's cases, its resident list to export, and the population picture.

Search and the map carry no person. The export shows persons and logs them through
citizens.access like every other read."""

from __future__ import annotations

from typing import Any

from django.contrib.gis.geos import Point
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from citizens.api.place_serializers import (
    BboxQuerySerializer,
    BuildingCasesSerializer,
    ParcelTotalsSerializer,
    PlaceAtSerializer,
    PlaceFeatureCollectionSerializer,
    PlaceHitSerializer,
    PlaceSearchQuerySerializer,
    RegionStatsSerializer,
)
from citizens.api.registry_serializers import ReasonQuerySerializer
from citizens.api.registry_views import _errors
from citizens.exports import building_residents_export, residents_csv
from citizens.models import KeyGroup
from citizens.places import (
    CASE_NEAR_M,
    building_cases,
    buildings_in_box,
    case_row,
    parcel_totals,
    parcels_in_box,
    places_at,
)
from citizens.search import places_search
from citizens.selectors import (
    building_get_for_user,
    parcel_get_for_user,
    registry_jurisdiction,
)
from citizens.stats import THRESHOLD, figures_shown, region_stats
from grids.api import LocateQuerySerializer


class PlaceSearchView(APIView):
    """Buildings by address, parcels by name or code, organisations by name, in your
    jurisdiction, best first. Partial input matches ("延安二路83", "83号"). Never a person."""

    @extend_schema(
        parameters=[PlaceSearchQuerySerializer],
        responses={200: PlaceHitSerializer(many=True), **_errors(400)},
    )
    def get(self, request: Request) -> Response:
        query = PlaceSearchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        hits = places_search(
            request.user, query.validated_data["q"], limit=query.validated_data["limit"]
        )
        return Response(PlaceHitSerializer([hit.as_dict() for hit in hits], many=True).data)


class PlaceAtView(APIView):
    """The parcel and the building at a point (or the nearest building within 30 m), in
    your jurisdiction; null where there is none."""

    @extend_schema(
        parameters=[LocateQuerySerializer],
        responses={200: PlaceAtSerializer, **_errors(400)},
    )
    def get(self, request: Request) -> Response:
        query = LocateQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        point = Point(query.validated_data["lon"], query.validated_data["lat"], srid=4326)
        found = places_at(request.user, point)
        parcel = found.parcel
        building = found.building
        body = {
            "lon": point.x,
            "lat": point.y,
            "parcel": None
            if parcel is None
            else {"id": parcel.pk, "code": parcel.code, "name": parcel.name,
                  "grid_code": parcel.grid_id},
            "building": None
            if building is None
            else {
                "id": building.pk,
                "code": building.code,
                "address": building.address,
                "name": building.name,
                "grid_code": building.grid_id,
                "parcel_id": building.parcel_id,
                "distance_m": found.building_distance_m,
            },
        }  # fmt: skip
        return Response(PlaceAtSerializer(body).data)


def _collection(features: list[dict], truncated: bool) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features, "truncated": truncated}


class BuildingsLayerView(APIView):
    """Building footprints in a box, as GeoJSON (at most 3,000; `truncated` says there were
    more). Properties: id, code, address, name, use, floors, parcel_id, grid_id."""

    @extend_schema(
        parameters=[BboxQuerySerializer],
        responses={200: PlaceFeatureCollectionSerializer, **_errors(400)},
        operation_id="v1_registry_buildings_layer",
    )
    def get(self, request: Request) -> Response:
        query = BboxQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(_collection(*buildings_in_box(request.user, query.validated_data["bbox"])))


class ParcelsLayerView(APIView):
    """Parcels in a box, as GeoJSON (at most 3,000). Properties: id, code, name, grid_id."""

    @extend_schema(
        parameters=[BboxQuerySerializer],
        responses={200: PlaceFeatureCollectionSerializer, **_errors(400)},
        operation_id="v1_registry_parcels_layer",
    )
    def get(self, request: Request) -> Response:
        query = BboxQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(_collection(*parcels_in_box(request.user, query.validated_data["bbox"])))


class ParcelTotalsView(APIView):
    """Counts over a parcel's buildings in your jurisdiction: buildings, dwellings,
    residents, households, vacant dwellings, organisations (no personal data)."""

    @extend_schema(responses={200: ParcelTotalsSerializer, **_errors(404)})
    def get(self, request: Request, parcel_id: int) -> Response:
        parcel = parcel_get_for_user(request.user, parcel_id)
        return Response(ParcelTotalsSerializer(parcel_totals(request.user, parcel)).data)


class BuildingCasesView(APIView):
    """The cases you may see that were reported on the building or within 20 m of it: open
    ones and past ones, newest first (20 of each, with the counts)."""

    @extend_schema(responses={200: BuildingCasesSerializer, **_errors(404)})
    def get(self, request: Request, building_id: int) -> Response:
        jurisdiction = registry_jurisdiction(request.user)
        building = building_get_for_user(request.user, building_id, jurisdiction=jurisdiction)
        found = building_cases(request.user, building, jurisdiction=jurisdiction)
        body = {
            "radius_m": CASE_NEAR_M,
            "open_count": found.open_count,
            "past_count": found.past_count,
            "open": [case_row(case) for case in found.open],
            "past": [case_row(case) for case in found.past],
        }
        return Response(BuildingCasesSerializer(body).data)


class BuildingResidentsExportView(APIView):
    """The building's residents as CSV, ID numbers and phones whole: for community staff (or
    street officers) with the permission to read them whole, in their own area. Every person
    on it is logged as exported, with the reason."""

    @extend_schema(
        parameters=[ReasonQuerySerializer],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR),
            **_errors(400, 403, 404),
        },
    )
    def get(self, request: Request, building_id: int) -> HttpResponse:
        building = building_get_for_user(request.user, building_id)
        query = ReasonQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = building_residents_export(
            user=request.user,
            building=building,
            reason=query.validated_data["reason"],
            request_id=request.META.get("HTTP_X_REQUEST_ID", "")[:64],
            ip=request.META.get("REMOTE_ADDR") or None,
        )
        response = HttpResponse(residents_csv(building, rows), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="residents-{building.pk}.csv"'
        response["Cache-Control"] = "no-store"
        return response


def _region(region: Any) -> dict[str, str]:
    return {"code": region.code, "name": region.name, "level": region.level}


class RegionStatsView(APIView):
    """The population picture of a grid, or of a community, street or district rolled up
    (give its code): persons, households, dwellings, vacant dwellings, the age and sex
    pyramid, key groups, organisations by kind, and the same per region below. A grid,
    community or street is counted now; the district is read from the nightly count (see
    `source` and `computed_at`). For a region outside your jurisdiction (one above yours),
    counts about persons below 5 are null."""

    @extend_schema(responses={200: RegionStatsSerializer, **_errors(404)})
    def get(self, request: Request, code: str) -> Response:
        stats = region_stats(request.user, code)
        groups = list(KeyGroup.objects.filter(is_active=True).order_by("code"))
        body = {
            "region": _region(stats.region),
            "chain": [_region(region) for region in stats.chain],
            "source": stats.source,
            "computed_at": stats.computed_at,
            "suppressed": stats.suppressed,
            "threshold": THRESHOLD,
            "figures": figures_shown(stats.total, stats.covered, stats.suppressed, groups),
            "children": [
                {
                    **_region(child),
                    "suppressed": suppressed,
                    "figures": figures_shown(figures, covered, suppressed, groups),
                }
                for child, figures, covered, suppressed in stats.children
            ],
        }
        return Response(RegionStatsSerializer(body).data)

"""REST for emergency linkage: nearest resources and inspectors to a point, resources by box.

The case-bound variant (`emergency/cases/{id}/nearest/`) lives in dispatch/api.py: grids
does not import cases.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.gis.geos import Point
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from grids.emergency import (
    DEFAULT_NEAREST,
    MAX_NEAREST,
    NearInspector,
    fresh_minutes,
    inspectors_nearest,
    resources_in_bbox,
    resources_nearest,
)
from grids.geo import Box, parse_bbox
from grids.models import EmergencyResource, ResourceKind
from grids.permissions import IsStaff

__all__ = ["IsStaff", "NearestView", "ResourcesGeoJsonView"]


class NearestOptionsSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=ResourceKind.choices,
        required=False,
        help_text=_("Only resources of this kind (default: the n nearest of each kind)."),
    )
    n = serializers.IntegerField(
        min_value=1,
        max_value=MAX_NEAREST,
        default=DEFAULT_NEAREST,
        help_text=_("How many resources (of each kind) and inspectors."),
    )


class NearestQuerySerializer(NearestOptionsSerializer):
    lon = serializers.FloatField(min_value=-180, max_value=180, help_text=_("WGS84 longitude"))
    lat = serializers.FloatField(min_value=-90, max_value=90, help_text=_("WGS84 latitude"))


class NearResourceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=ResourceKind.choices)
    kind_label = serializers.CharField()
    lon = serializers.FloatField()
    lat = serializers.FloatField()
    distance_m = serializers.FloatField()
    capacity = serializers.IntegerField(allow_null=True)
    contact = serializers.CharField()
    grid_code = serializers.CharField(allow_null=True)


class NearInspectorSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    name = serializers.CharField()
    lon = serializers.FloatField()
    lat = serializers.FloatField()
    distance_m = serializers.FloatField()
    recorded_at = serializers.DateTimeField()
    fix_age_s = serializers.IntegerField()
    accuracy_m = serializers.FloatField(allow_null=True)
    grid_codes = serializers.ListField(child=serializers.CharField())


class NearestSerializer(serializers.Serializer):
    lon = serializers.FloatField()
    lat = serializers.FloatField()
    fresh_minutes = serializers.IntegerField()
    resources = NearResourceSerializer(many=True)
    inspectors = NearInspectorSerializer(many=True)


def resource_out(resource: EmergencyResource, distance_m: float) -> dict[str, Any]:
    return {
        "id": resource.pk,
        "code": resource.code,
        "name": resource.name,
        "kind": resource.kind,
        "kind_label": str(ResourceKind(resource.kind).label),
        "lon": resource.point.x,
        "lat": resource.point.y,
        "distance_m": round(distance_m, 1),
        "capacity": resource.capacity,
        "contact": resource.contact,
        # Annotated by resources_nearest.
        "grid_code": resource.grid_code,  # type: ignore[attr-defined]
    }


def inspector_out(near: NearInspector) -> dict[str, Any]:
    return {
        "user_id": near.user.pk,
        "name": near.user.get_full_name() or near.user.get_username(),
        "lon": near.position.point.x,
        "lat": near.position.point.y,
        "distance_m": round(near.distance_m, 1),
        "recorded_at": near.position.recorded_at,
        "fix_age_s": near.fix_age_s,
        "accuracy_m": near.position.accuracy_m,
        "grid_codes": list(near.grid_codes),
    }


def nearest_body(
    request: Request, point: Point, options: dict[str, Any], *, now: datetime | None = None
) -> dict[str, Any]:
    """The nearest resources and inspectors as the API shows them (shared with dispatch)."""
    now = now or timezone.now()
    n = options.get("n", DEFAULT_NEAREST)
    resources = resources_nearest(point=point, n=n, kind=options.get("kind") or None)
    inspectors = inspectors_nearest(user=request.user, point=point, n=n, now=now)
    return {
        "lon": point.x,
        "lat": point.y,
        "fresh_minutes": fresh_minutes(),
        "resources": [resource_out(near.obj, near.distance_m) for near in resources],
        "inspectors": [inspector_out(near) for near in inspectors],
    }


_ERRORS = {
    status_code: inline_serializer(
        f"EmergencyError{status_code}",
        {
            "code": serializers.CharField(),
            "message": serializers.CharField(),
            "errors": serializers.DictField(),
        },
    )
    for status_code in (400, 403, 404)
}


class NearestView(APIView):
    """The nearest emergency resources (by kind) and on-duty inspectors to a point, in metres.

    Inspectors are those the user may see (their jurisdiction) whose latest GPS fix is
    younger than `fresh_minutes`; each comes with the fix's age in seconds.
    """

    permission_classes = [IsStaff]

    @extend_schema(
        parameters=[NearestQuerySerializer],
        responses={200: NearestSerializer, 400: _ERRORS[400], 403: _ERRORS[403]},
    )
    def get(self, request: Request) -> Response:
        params = NearestQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        point = Point(data["lon"], data["lat"], srid=4326)
        return Response(nearest_body(request, point, data))


class BboxQuerySerializer(serializers.Serializer):
    bbox = serializers.CharField(
        help_text=_("bounding box: min_lon,min_lat,max_lon,max_lat (WGS84)"),
    )
    kind = serializers.MultipleChoiceField(
        choices=ResourceKind.choices,
        required=False,
        help_text=_("Only these kinds (repeat the parameter for several)."),
    )

    def validate_bbox(self, value: str) -> Box:
        try:
            return parse_bbox(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None


class ResourcesGeoJsonView(APIView):
    """Active resources in a box as compact GeoJSON for a map layer (at most 5,000; then
    `truncated` is true and the client should zoom in). Properties: kind, name."""

    permission_classes = [IsStaff]

    @extend_schema(
        parameters=[BboxQuerySerializer],
        responses={
            200: inline_serializer(
                "ResourceFeatureCollection",
                {
                    "type": serializers.CharField(),
                    "truncated": serializers.BooleanField(),
                    "features": serializers.ListField(child=serializers.DictField()),
                },
            ),
            400: _ERRORS[400],
            403: _ERRORS[403],
        },
    )
    def get(self, request: Request) -> Response:
        params = BboxQuerySerializer(
            data={
                "bbox": request.query_params.get("bbox", ""),
                **(
                    {"kind": request.query_params.getlist("kind")}
                    if "kind" in request.query_params
                    else {}
                ),
            }
        )
        if not params.is_valid():
            raise exceptions.ValidationError(params.errors)
        data = params.validated_data
        rows, truncated = resources_in_bbox(box=data["bbox"], kinds=sorted(data.get("kind", ())))
        return Response(
            {
                "type": "FeatureCollection",
                "truncated": truncated,
                "features": [
                    {
                        "type": "Feature",
                        "id": pk,
                        "geometry": {"type": "Point", "coordinates": [round(x, 6), round(y, 6)]},
                        "properties": {"kind": kind, "name": name},
                    }
                    for pk, kind, name, x, y in rows
                ],
            }
        )

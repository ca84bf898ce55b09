"""Read-only REST over the map: regions as GeoJSON, and locate."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import django_filters
from django.contrib.gis.geos import GEOSGeometry, Point
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_gis.fields import GeometryField
from rest_framework_gis.pagination import GeoJsonPagination
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from grids.geo import Box, as_multipolygon, bbox_polygon, parse_bbox
from grids.models import GridKind, InspectorPosition, Level, Region
from grids.patrol import inspector_positions_for_user_qs
from grids.selectors import LocateError, OutsideDistrictError, locate, regions_for_user_qs

# Display tolerance in degrees per level (~1 m is 0.00001°): enough to keep outlines
# recognisable at the zoom each level is drawn at, while cutting payloads on big screens.
DEFAULT_SIMPLIFY: dict[str, float] = {
    Level.DISTRICT: 0.0001,
    Level.STREET: 0.00005,
    Level.COMMUNITY: 0.00002,
    Level.GRID: 0.00001,
}
MAX_SIMPLIFY = 0.01
# Inspector positions: a shift is a few hours; a handheld quiet longer is not on patrol.
DEFAULT_POSITION_AGE_MINUTES = 240
MAX_POSITIONS = 2000


class RegionPagination(GeoJsonPagination):
    page_size = 500
    page_size_query_param = "page_size"
    max_page_size = 2000

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        # A FeatureCollection: "features", not the page-number pagination's "results".
        paginated = super().get_paginated_response_schema(schema)
        paginated["required"] = ["type", "count", "features"]
        return paginated


class RegionFilter(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(choices=Level.choices)
    kind = django_filters.ChoiceFilter(choices=GridKind.choices)
    parent = django_filters.CharFilter(field_name="parent_id", label=_("parent code"))
    bbox = django_filters.CharFilter(
        method="filter_bbox",
        label=_("bounding box: min_lon,min_lat,max_lon,max_lat (WGS84)"),
    )

    class Meta:
        model = Region
        fields = ["level", "kind", "parent", "bbox"]

    def filter_bbox(self, queryset: QuerySet[Region], name: str, value: str) -> QuerySet[Region]:
        try:
            box = parse_bbox(value)
        except ValueError as exc:
            raise serializers.ValidationError({"bbox": str(exc)}) from None
        return queryset.filter(geom__intersects=bbox_polygon(box))


class SimplifiedGeometryField(GeometryField):
    """The boundary, simplified by the request's tolerance (or the level's default)."""

    def get_attribute(self, instance: Region) -> GEOSGeometry:
        tolerance = self.context.get("simplify")
        if tolerance is None:
            tolerance = DEFAULT_SIMPLIFY[instance.level]
        if tolerance <= 0:
            return instance.geom
        # GEOS hands back a Polygon for a one-part MultiPolygon; keep the type stable.
        return as_multipolygon(instance.geom.simplify(tolerance, preserve_topology=True))


class RegionSerializer(GeoFeatureModelSerializer):
    geom = SimplifiedGeometryField(read_only=True)
    parent_code = serializers.CharField(source="parent_id", allow_null=True, read_only=True)

    class Meta:
        model = Region
        geo_field = "geom"
        id_field = False  # the code is a property, as in export_regions
        fields = ["code", "name", "level", "kind", "parent_code", "area_m2"]


@extend_schema(
    parameters=[
        OpenApiParameter(
            "simplify",
            OpenApiTypes.FLOAT,
            description=_("Simplification tolerance in degrees (0 = full detail; max 0.01)."),
        )
    ]
)
class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    """Regions the user may see, as GeoJSON, with geometry simplified for display."""

    serializer_class = RegionSerializer
    filterset_class = RegionFilter
    pagination_class = RegionPagination
    lookup_field = "code"
    lookup_value_regex = "[0-9]{6,15}"

    def get_queryset(self) -> QuerySet[Region]:
        return regions_for_user_qs(self.request.user).order_by("code")

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        raw = self.request.query_params.get("simplify")
        if raw is not None:
            try:
                tolerance = float(raw)
            except ValueError:
                raise serializers.ValidationError(
                    {"simplify": _("A number is required.")}
                ) from None
            if not 0 <= tolerance <= MAX_SIMPLIFY:
                raise serializers.ValidationError(
                    {"simplify": _("Must be between 0 and %(max)s.") % {"max": MAX_SIMPLIFY}}
                )
            context["simplify"] = tolerance
        return context


class LocateQuerySerializer(serializers.Serializer):
    lon = serializers.FloatField(min_value=-180, max_value=180, help_text=_("WGS84 longitude"))
    lat = serializers.FloatField(min_value=-90, max_value=90, help_text=_("WGS84 latitude"))


_region_ref = inline_serializer(
    "RegionRef",
    {
        "code": serializers.CharField(),
        "name": serializers.CharField(),
        "kind": serializers.CharField(),
    },
)


class LocateView(APIView):
    """The grid under a WGS84 point and its chain up to the district."""

    @extend_schema(
        parameters=[LocateQuerySerializer],
        responses={
            200: inline_serializer(
                "Location",
                {
                    "grid": _region_ref,
                    "community": _region_ref,
                    "street": _region_ref,
                    "district": _region_ref,
                },
            ),
            422: inline_serializer(
                "LocateError",
                {
                    "code": serializers.CharField(),
                    "message": serializers.CharField(),
                    "errors": serializers.DictField(),
                },
            ),
        },
    )
    def get(self, request: Request) -> Response:
        params = LocateQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        point = Point(params.validated_data["lon"], params.validated_data["lat"], srid=4326)
        try:
            location = locate(point)
        except OutsideDistrictError as exc:
            return Response(
                {"code": "outside_district", "message": str(exc), "errors": {}},
                status=status.HTTP_422_UNPROCESSABLE_ENTITY,
            )
        except LocateError as exc:
            return Response(
                {"code": "invalid_point", "message": str(exc), "errors": {}},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(location.as_dict())


class PositionQuerySerializer(serializers.Serializer):
    max_age_minutes = serializers.IntegerField(
        min_value=1,
        max_value=7 * 24 * 60,
        default=DEFAULT_POSITION_AGE_MINUTES,
        help_text=_("Only positions recorded within this many minutes (default 240)."),
    )
    bbox = serializers.CharField(
        required=False, help_text=_("bounding box: min_lon,min_lat,max_lon,max_lat (WGS84)")
    )

    def validate_bbox(self, value: str) -> Box:
        try:
            return parse_bbox(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None


class InspectorPositionSerializer(GeoFeatureModelSerializer):
    name = serializers.SerializerMethodField()
    age_seconds = serializers.SerializerMethodField()

    class Meta:
        model = InspectorPosition
        geo_field = "point"
        fields = ["user", "name", "recorded_at", "age_seconds", "accuracy_m"]

    def get_name(self, position: InspectorPosition) -> str:
        return position.user.get_full_name() or position.user.get_username()

    def get_age_seconds(self, position: InspectorPosition) -> int:
        return max(0, int((self.context["now"] - position.recorded_at).total_seconds()))


class InspectorPositionsView(APIView):
    """The latest positions of the inspectors in your jurisdiction, for the live map.

    Command-centre staff, street and community officers and leaders; anyone else gets an
    empty collection. Capped at 2,000 features, newest first.
    """

    @extend_schema(
        parameters=[PositionQuerySerializer],
        responses={200: InspectorPositionSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        params = PositionQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        now = timezone.now()
        positions = inspector_positions_for_user_qs(
            request.user,
            fresh_since=now - timedelta(minutes=params.validated_data["max_age_minutes"]),
            bbox=params.validated_data.get("bbox"),
        )[:MAX_POSITIONS]
        serializer = InspectorPositionSerializer(positions, many=True, context={"now": now})
        return Response(serializer.data)

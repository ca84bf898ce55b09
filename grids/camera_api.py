"""REST for cameras: the nearest to a point (a case's), or those in a box, with what the
browser's player needs."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import ErrorSerializer
from grids.cameras import camera_out, cameras_qs
from grids.emergency import MAX_NEAREST, nearest, resources_in_bbox
from grids.emergency_api import IsStaff
from grids.geo import Box, parse_bbox, parse_lon_lat
from grids.models import ResourceKind

DEFAULT_CAMERAS = 5
# The one error body (config.api).
ERROR = OpenApiResponse(ErrorSerializer)


class CameraQuerySerializer(serializers.Serializer):
    near = serializers.CharField(
        required=False, help_text=_("lon,lat (WGS84): the nearest cameras first.")
    )
    bbox = serializers.CharField(
        required=False, help_text=_("min_lon,min_lat,max_lon,max_lat (WGS84)")
    )
    n = serializers.IntegerField(min_value=1, max_value=MAX_NEAREST, default=DEFAULT_CAMERAS)

    def validate_near(self, value: str) -> Any:
        try:
            return parse_lon_lat(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None

    def validate_bbox(self, value: str) -> Box:
        try:
            return parse_bbox(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("near" in attrs) == ("bbox" in attrs):
            message = _("Give either near or bbox.")
            raise serializers.ValidationError({"near": [message], "bbox": [message]})
        return attrs


class CameraSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    place = serializers.CharField()
    direction_deg = serializers.IntegerField(allow_null=True)
    owner = serializers.CharField()
    state = serializers.CharField()
    state_label = serializers.CharField()
    stream_url = serializers.CharField(help_text=_("HLS playlist; empty unless online."))
    snapshot_url = serializers.CharField()
    gateway = serializers.CharField(help_text=_("The host of the operators' RTSP gateway."))
    lon = serializers.FloatField()
    lat = serializers.FloatField()
    distance_m = serializers.FloatField(required=False)


class CameraListSerializer(serializers.Serializer):
    truncated = serializers.BooleanField()
    results = CameraSerializer(many=True)


class CamerasView(APIView):
    """Public cameras for staff: the n nearest to a point, or those in a box (at most 5,000)."""

    permission_classes = [IsStaff]

    @extend_schema(
        parameters=[CameraQuerySerializer],
        responses={200: CameraListSerializer, 400: ERROR, 401: ERROR, 403: ERROR},
    )
    def get(self, request: Request) -> Response:
        query = CameraQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        if "near" in data:
            found = nearest(cameras_qs(), data["near"], data["n"])
            results = [
                {**camera_out(near.obj), "distance_m": round(near.distance_m, 1)} for near in found
            ]
            return Response({"truncated": False, "results": results})
        rows, truncated = resources_in_bbox(box=data["bbox"], kinds=[ResourceKind.CAMERA])
        by_id = {row.pk: row for row in cameras_qs().filter(pk__in=[row[0] for row in rows])}
        results = [camera_out(by_id[row[0]]) for row in rows if row[0] in by_id]
        return Response({"truncated": truncated, "results": results})

"""City components (部件) over the API: those near a point (of a catalogue item's class), those
in a box, and one asset with the cases about it.

- `GET /api/v1/assets/?near=lon,lat&item=B011801[&n=5]` — the nearest street lamps to a
  report's point: what the handheld and the intake desk offer as "which lamp?";
- `GET /api/v1/assets/?bbox=minlon,minlat,maxlon,maxlat[&class=0118]` — for a map;
- `GET /api/v1/assets/{code}/` — one asset, its units, and its case history (the cases the
  user may see), so repeated failures of one lamp are visible.

Assets are scoped like the map: the regions the user may see; a foreign asset is a 404.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.api.case_serializers import ItemRefField, UnitRefSerializer
from cases.assets import asset_cases_for_user, asset_get_for_user, item_asset_class
from cases.models import Case, Item
from config.api import error_responses
from grids.assets import (
    ASSET_CLASS,
    asset_status_label,
    assets_for_user_qs,
    assets_in_bbox,
    assets_nearest,
    filter_asset_class,
)
from grids.emergency import MAX_NEAREST
from grids.emergency_api import IsStaff
from grids.geo import Box, parse_bbox, parse_lon_lat
from grids.models import Asset

DEFAULT_NEAREST_ASSETS = 5
ASSET_HISTORY = 50
REPEAT_WINDOW_DAYS = 90


_errors = error_responses  # config.api


class AssetQuerySerializer(serializers.Serializer):
    near = serializers.CharField(required=False, help_text=_("lon,lat (WGS84): nearest first."))
    bbox = serializers.CharField(
        required=False, help_text=_("min_lon,min_lat,max_lon,max_lat (WGS84)")
    )
    item = ItemRefField(
        required=False, help_text=_("A catalogue item: only assets of its class (components).")
    )
    asset_class = serializers.CharField(
        required=False, help_text=_("Major + minor class, 4 digits (0118: street lamps).")
    )
    n = serializers.IntegerField(min_value=1, max_value=MAX_NEAREST, default=DEFAULT_NEAREST_ASSETS)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        # `class` is the parameter's public name (a Python keyword).
        if hasattr(data, "dict"):
            data = data.dict()
        data = dict(data)
        if "class" in data:
            data["asset_class"] = data.pop("class")
        return super().to_internal_value(data)

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

    def validate_asset_class(self, value: str) -> str:
        if not ASSET_CLASS.match(value):
            raise serializers.ValidationError(_("Four digits: major and minor class."))
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("near" in attrs) == ("bbox" in attrs):
            message = _("Give either near or bbox.")
            raise serializers.ValidationError({"near": [message], "bbox": [message]})
        if "item" in attrs:
            item = Item.objects.filter(pk=attrs["item"], is_active=True).first()
            if item is None:
                raise serializers.ValidationError({"item": [_("Unknown catalogue item.")]})
            attrs["item_class"] = item_asset_class(item)
        return attrs


class AssetSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    major_class = serializers.CharField()
    minor_class = serializers.CharField()
    lon = serializers.FloatField()
    lat = serializers.FloatField()
    grid = serializers.CharField(help_text=_("The unit grid's code."))
    maintenance_unit = UnitRefSerializer()
    status = serializers.CharField()
    status_label = serializers.CharField()
    distance_m = serializers.FloatField(required=False, help_text=_("With near: metres."))


class AssetListSerializer(serializers.Serializer):
    truncated = serializers.BooleanField()
    results = AssetSerializer(many=True)


def asset_out(asset: Asset, distance_m: float | None = None) -> dict[str, Any]:
    body = {
        "id": asset.pk,
        "code": asset.code,
        "name": asset.name,
        "major_class": asset.major_class,
        "minor_class": asset.minor_class,
        "lon": asset.point.x,
        "lat": asset.point.y,
        "grid": getattr(asset, "grid_code", None) or asset.grid.code,
        "maintenance_unit": {"id": asset.maintenance_unit.pk, "name": asset.maintenance_unit.name},
        "status": asset.status,
        "status_label": asset_status_label(asset.status),
    }
    if distance_m is not None:
        body["distance_m"] = round(distance_m, 1)
    return body


class AssetListView(APIView):
    """City components near a point (optionally of a catalogue item's class) or in a box."""

    permission_classes = [IsStaff]

    @extend_schema(
        operation_id="v1_assets_list",
        parameters=[AssetQuerySerializer],
        responses={200: AssetListSerializer, **_errors(400, 403)},
    )
    def get(self, request: Request) -> Response:
        query = AssetQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        qs = filter_asset_class(
            assets_for_user_qs(request.user), data.get("asset_class") or data.get("item_class")
        )
        if "near" in data:
            found = assets_nearest(qs, data["near"], data["n"])
            return Response(
                {
                    "truncated": False,
                    "results": [asset_out(near.obj, near.distance_m) for near in found],
                }
            )
        rows, truncated = assets_in_bbox(qs, data["bbox"])
        return Response({"truncated": truncated, "results": [asset_out(row) for row in rows]})


class AssetCaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    status = serializers.CharField()
    item = serializers.CharField()
    reported_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    handling_unit = UnitRefSerializer(allow_null=True)


class AssetDetailSerializer(AssetSerializer):
    in_charge_unit = UnitRefSerializer()
    owner_unit = UnitRefSerializer()
    case_count = serializers.IntegerField(help_text=_("Cases about it that you may see."))
    recent_case_count = serializers.IntegerField(
        help_text=_("…of them reported in the past 90 days.")
    )
    cases = AssetCaseSerializer(many=True, help_text=_("The newest 50, newest first."))


def asset_history(user: Any, asset: Asset) -> dict[str, Any]:
    cases = asset_cases_for_user(user, asset)
    since = timezone.now() - timedelta(days=REPEAT_WINDOW_DAYS)
    return {
        "case_count": cases.count(),
        "recent_case_count": cases.filter(reported_at__gte=since).count(),
        "cases": [case_brief(case) for case in cases[:ASSET_HISTORY]],
    }


def case_brief(case: Case) -> dict[str, Any]:
    unit = case.handling_unit
    return {
        "id": case.pk,
        "number": case.number,
        "status": case.status,
        "item": case.item.name,
        "reported_at": case.reported_at,
        "closed_at": case.closed_at,
        "handling_unit": {"id": unit.pk, "name": unit.name} if unit else None,
    }


class AssetDetailView(APIView):
    """One asset, its three responsible units, and the cases about it you may see."""

    permission_classes = [IsStaff]

    @extend_schema(responses={200: AssetDetailSerializer, **_errors(403, 404)})
    def get(self, request: Request, code: str) -> Response:
        asset = asset_get_for_user(request.user, code)
        return Response(
            {
                **asset_out(asset),
                "in_charge_unit": {
                    "id": asset.in_charge_unit.pk,
                    "name": asset.in_charge_unit.name,
                },
                "owner_unit": {"id": asset.owner_unit.pk, "name": asset.owner_unit.name},
                **asset_history(request.user, asset),
            }
        )

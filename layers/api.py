"""The layer catalogue's REST: the layers I see, a layer's features in a box, one feature.

- `GET /api/v1/layers/` — the catalogue visible to me (code, name, category, owner, feature
  count, last update, freshness, and what a map needs to draw it);
- `GET /api/v1/layers/{code}/features/?bbox=minlon,minlat,maxlon,maxlat[&zoom=][&after=]` —
  a GeoJSON FeatureCollection, `page_size` features at a time (follow `next`), simplified for
  the zoom; a dense imported layer at low zoom answers counted clusters instead;
- `GET /api/v1/layers/{code}/features/{id}/` — one feature's attributes.

A layer or feature the user may not see is a 404, like one that does not exist.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.utils import translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from config.api import ErrorSerializer, error_responses
from config.pagination import BoundedLimitOffsetPagination
from grids.geo import Box, parse_bbox
from grids.selectors import jurisdiction_for_user
from layers.models import Layer, SourceKind
from layers.selectors import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    FeatureNotFound,
    LayerNotFound,
    feature_detail,
    features_in_bbox,
    layer_freshness,
    layer_get_for_user,
    layers_for_user,
)

# The project's one error body (config.api).
ERROR = OpenApiResponse(ErrorSerializer)


MAX_ID = 2**63 - 1  # the id column's range (SQLite refuses larger numbers)


_errors = error_responses


def localized(name: str, name_en: str) -> str:
    """The English name on English pages when there is one; the Chinese name otherwise."""
    language = translation.get_language() or ""
    return name_en if language.startswith("en") and name_en else name


class LayerCategoryRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    label = serializers.CharField()
    kind = serializers.CharField()
    ordering = serializers.IntegerField()


class LayerOwnerRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class LayerExternalSerializer(serializers.Serializer):
    kind = serializers.CharField()
    url = serializers.CharField()
    options = serializers.DictField()


class LayerSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField(help_text=_("Chinese name."))
    name_en = serializers.CharField()
    label = serializers.CharField(help_text=_("The name in the request's language."))
    category = LayerCategoryRefSerializer()
    owner = LayerOwnerRefSerializer(allow_null=True)
    geometry_type = serializers.CharField()
    source = serializers.CharField()
    external = LayerExternalSerializer(allow_null=True)
    style = serializers.DictField()
    min_zoom = serializers.IntegerField()
    feature_count = serializers.IntegerField()
    recent_feature_count = serializers.IntegerField(allow_null=True)
    last_updated_at = serializers.DateTimeField(allow_null=True)
    update_frequency = serializers.CharField()
    freshness = serializers.ChoiceField(choices=["fresh", "stale", "unknown"])
    features_url = serializers.CharField(allow_null=True)


def layer_out(layer: Layer) -> dict[str, Any]:
    category = layer.category
    return {
        "code": layer.code,
        "name": layer.name,
        "name_en": layer.name_en,
        "label": localized(layer.name, layer.name_en),
        "category": {
            "code": category.code,
            "name": category.name,
            "name_en": category.name_en,
            "label": localized(category.name, category.name_en),
            "kind": category.kind,
            "ordering": category.ordering,
        },
        "owner": {"code": layer.owner.code, "name": layer.owner.name} if layer.owner else None,
        "geometry_type": layer.geometry_type,
        "source": layer.source,
        "external": (
            {
                "kind": layer.external_kind,
                "url": layer.external_url,
                "options": layer.external_options or {},
            }
            if layer.source == SourceKind.EXTERNAL
            else None
        ),
        "style": layer.style or {},
        "min_zoom": layer.min_zoom,
        "feature_count": layer.feature_count,
        "recent_feature_count": layer.recent_feature_count,
        "last_updated_at": layer.last_updated_at,
        "update_frequency": layer.update_frequency,
        "freshness": layer_freshness(layer),
        "features_url": (
            None
            if layer.source == SourceKind.EXTERNAL
            else f"/api/v1/layers/{layer.code}/features/"
        ),
    }


class LayerQuerySerializer(serializers.Serializer):
    q = serializers.CharField(
        required=False, max_length=100, help_text=_("Words in the code, name or owner.")
    )
    category = serializers.CharField(required=False, max_length=32)


class LayerListView(APIView):
    """The layers you may see, by category, with what a map needs to draw each."""

    pagination_class = BoundedLimitOffsetPagination

    @extend_schema(
        parameters=[
            LayerQuerySerializer,
            OpenApiParameter("limit", OpenApiTypes.INT),
            OpenApiParameter("offset", OpenApiTypes.INT),
        ],
        responses={200: LayerSerializer(many=True), **_errors()},
    )
    def get(self, request: Request) -> Response:
        query = LayerQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        layers = layers_for_user(request.user)
        words = (query.validated_data.get("q") or "").strip().lower()
        if words:
            layers = [
                layer
                for layer in layers
                if words in layer.code.lower()
                or words in layer.name.lower()
                or words in layer.name_en.lower()
                or (layer.owner is not None and words in layer.owner.name.lower())
            ]
        category = query.validated_data.get("category")
        if category:
            layers = [layer for layer in layers if layer.category.code == category]
        paginator = BoundedLimitOffsetPagination()
        page = paginator.paginate_queryset(layers, request, view=self)  # type: ignore[arg-type]
        return paginator.get_paginated_response([layer_out(layer) for layer in page or []])


def _layer_or_404(request: Request, code: str) -> Layer:
    try:
        return layer_get_for_user(request.user, code)
    except LayerNotFound:
        raise exceptions.NotFound(
            _("No layer %(code)s that you may see.") % {"code": code}
        ) from None


class LayerDetailView(APIView):
    @extend_schema(responses={200: LayerSerializer, **_errors(404)})
    def get(self, request: Request, code: str) -> Response:
        return Response(layer_out(_layer_or_404(request, code)))


class FeatureQuerySerializer(serializers.Serializer):
    bbox = serializers.CharField(help_text=_("min_lon,min_lat,max_lon,max_lat (WGS84)"))
    zoom = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=22,
        help_text=_("The map's zoom: simplifies geometry, and may answer clusters."),
    )
    after = serializers.IntegerField(
        required=False, min_value=0, default=0, help_text=_("The last id of the previous page.")
    )
    page_size = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_PAGE_SIZE, default=DEFAULT_PAGE_SIZE
    )

    def validate_bbox(self, value: str) -> Box:
        try:
            return parse_bbox(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None


class LayerFeatureCollectionSerializer(serializers.Serializer):
    type = serializers.CharField()
    layer = serializers.CharField()
    zoom = serializers.IntegerField(allow_null=True)
    clustered = serializers.BooleanField(
        help_text=_("True: the features are clusters with a count, not the layer's rows.")
    )
    next = serializers.CharField(allow_null=True, help_text=_("The next page, if any."))
    features = serializers.ListField(child=serializers.DictField())


class LayerFeaturesView(APIView):
    """A layer's features overlapping a box, as a GeoJSON FeatureCollection."""

    # A map moves a lot: features have their own budget per user (API_RATE_LAYER_FEATURES).
    throttle_scope = "layer_features"
    throttle_classes = [ScopedRateThrottle]

    @extend_schema(
        operation_id="v1_layers_features_list",
        parameters=[FeatureQuerySerializer],
        responses={200: LayerFeatureCollectionSerializer, **_errors(400, 404)},
    )
    def get(self, request: Request, code: str) -> Response:
        query = FeatureQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        layer = _layer_or_404(request, code)
        data = query.validated_data
        page = features_in_bbox(
            layer=layer,
            jurisdiction=jurisdiction_for_user(request.user),
            box=data["bbox"],
            zoom=data.get("zoom"),
            after=data["after"],
            page_size=data["page_size"],
        )
        next_url = None
        if page.next_after is not None:
            params = dict(request.query_params.items())
            params["after"] = str(page.next_after)
            next_url = request.build_absolute_uri(f"{request.path}?{urlencode(params)}")
        return Response(
            {
                "type": "FeatureCollection",
                "layer": layer.code,
                "zoom": data.get("zoom"),
                "clustered": page.clustered,
                "next": next_url,
                "features": page.features,
            }
        )


class LayerAttributeSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    value = serializers.JSONField(allow_null=True)


class LayerFeatureDetailSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    layer = serializers.CharField()
    name = serializers.CharField()
    geometry = serializers.DictField(allow_null=True)
    attributes = LayerAttributeSerializer(many=True)
    link = serializers.CharField(
        required=False, allow_null=True, help_text=_("A page about the row, if there is one.")
    )
    camera = serializers.DictField(
        required=False, help_text=_("Cameras: the player's stream, snapshot and state.")
    )


class LayerFeatureDetailView(APIView):
    throttle_scope = "layer_features"
    throttle_classes = [ScopedRateThrottle]

    @extend_schema(responses={200: LayerFeatureDetailSerializer, **_errors(404)})
    def get(self, request: Request, code: str, feature_id: int) -> Response:
        layer = _layer_or_404(request, code)
        try:
            if feature_id > MAX_ID:
                raise FeatureNotFound(feature_id)
            detail = feature_detail(
                layer=layer,
                jurisdiction=jurisdiction_for_user(request.user),
                feature_id=feature_id,
            )
        except FeatureNotFound:
            raise exceptions.NotFound(
                _("No feature %(id)s in layer %(code)s.") % {"id": feature_id, "code": code}
            ) from None
        return Response(detail)

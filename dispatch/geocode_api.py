"""GET /api/v1/geocode/?q=: the intake desk's address search, through settings.GEOCODER."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from citizens.search import QUERY_MAX, QUERY_MIN
from config.api import error_responses
from dispatch.geocoding import DEFAULT_LIMIT, MAX_LIMIT, geocode
from grids.permissions import IsStaff


class GeocodeQuerySerializer(serializers.Serializer):
    q = serializers.CharField(
        min_length=QUERY_MIN,
        max_length=QUERY_MAX,
        help_text=_(
            "What the caller said: part of an address or a place's name (2 characters or more)."
        ),
    )
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=DEFAULT_LIMIT)


class GeocodeHitSerializer(serializers.Serializer):
    label = serializers.CharField(help_text=_("The place as the address field takes it."))
    detail = serializers.CharField(allow_blank=True, help_text=_("A second line, if any."))
    kind = serializers.CharField(
        help_text=_(
            "What sort of place: building, parcel, organisation, street, community with the "
            "default geocoder; whatever a plugged-in geocoder says otherwise."
        )
    )
    lon = serializers.FloatField()
    lat = serializers.FloatField()


class GeocodeView(APIView):
    """Places matching what a caller said, best first, for staff who take reports. The
    deployment's geocoder answers (settings.GEOCODER); the default searches the names of the
    streets and communities and the registry's buildings, parcels and organisations in your
    jurisdiction. 400 for a query too short or too long; 503 when the geocoder fails."""

    permission_classes = [IsStaff]

    @extend_schema(
        parameters=[GeocodeQuerySerializer],
        responses={200: GeocodeHitSerializer(many=True), **error_responses(400, 403, 503)},
    )
    def get(self, request: Request) -> Response:
        query = GeocodeQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        places = geocode(
            query.validated_data["q"], user=request.user, limit=query.validated_data["limit"]
        )
        return Response(GeocodeHitSerializer(places, many=True).data)

"""POST /api/v1/cases/: validate, insert one row with a point, answer 201 with the row."""

from __future__ import annotations

from django.contrib.gis.geos import Point
from django.urls import path
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from bench.bare.models import BareReport


class ReportIn(serializers.Serializer):
    request_id = serializers.CharField(max_length=64)
    description = serializers.CharField(max_length=4000)
    lon = serializers.FloatField(min_value=-180, max_value=180)
    lat = serializers.FloatField(min_value=-90, max_value=90)


class ReportOut(serializers.ModelSerializer):
    lon = serializers.SerializerMethodField()
    lat = serializers.SerializerMethodField()

    class Meta:
        model = BareReport
        fields = ["id", "request_id", "description", "lon", "lat", "created_at"]

    def get_lon(self, row: BareReport) -> float:
        return row.point.x

    def get_lat(self, row: BareReport) -> float:
        return row.point.y


class Reports(APIView):
    def post(self, request: Request) -> Response:
        form = ReportIn(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        row = BareReport.objects.create(
            request_id=data["request_id"],
            description=data["description"],
            point=Point(data["lon"], data["lat"], srid=4326),
        )
        return Response(ReportOut(row).data, status=status.HTTP_201_CREATED)


urlpatterns = [path("api/v1/cases/", Reports.as_view())]

"""REST for patrols (/api/v1/patrol/…): a day's track as a line (for the replay on the map),
and the patrol days per grid.

Who may see an inspector's track: the inspector, and those who direct them (the command
centre, street and community officers, leaders over one of the inspector's posts:
grids.patrol.directed_inspectors_qs). Anyone else gets a 404, as for a case outside one's
jurisdiction.
"""

from __future__ import annotations

from datetime import date, datetime

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import error_responses
from grids.models import PatrolGridDay, Region, User
from grids.patrol import directed_inspectors_qs, is_inspector
from grids.selectors import jurisdiction_for_user
from grids.tracks import track_for_day

COORDINATE_PLACES = 6  # ~0.1 m


def viewable_inspector(viewer: User | AnonymousUser, inspector_id: int) -> User:
    """The inspector whose patrol the viewer may see, or a 404."""
    if isinstance(viewer, User) and viewer.pk == inspector_id and is_inspector(viewer):
        return viewer
    inspector = (
        directed_inspectors_qs(jurisdiction_for_user(viewer)).filter(pk=inspector_id).first()
    )
    if inspector is None:
        raise exceptions.NotFound(
            _("No inspector %(id)s in your jurisdiction.") % {"id": inspector_id}
        )
    return inspector


class TrackQuerySerializer(serializers.Serializer):
    inspector = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text=gettext_lazy("The inspector's user id (default: you)."),
    )
    date = serializers.DateField(
        required=False, help_text=gettext_lazy("The local day, YYYY-MM-DD (default: today).")
    )


class TrackGridSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    is_own = serializers.BooleanField()
    distance_m = serializers.FloatField()
    duty_seconds = serializers.IntegerField()
    covered_share = serializers.FloatField()


class TrackInspectorSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class TrackPropertiesSerializer(serializers.Serializer):
    inspector = TrackInspectorSerializer()
    date = serializers.DateField()
    distance_m = serializers.FloatField()
    duty_seconds = serializers.IntegerField()
    fixes_received = serializers.IntegerField()
    fixes_used = serializers.IntegerField()
    jumps_dropped = serializers.IntegerField()
    started_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    covered_share = serializers.FloatField(
        allow_null=True, help_text=gettext_lazy("Of the inspector's own grids, within 30 m.")
    )
    times = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField()),
        help_text=gettext_lazy("Per line of the geometry, each vertex's time (epoch seconds)."),
    )
    grids = TrackGridSerializer(many=True)


class TrackGeometrySerializer(serializers.Serializer):
    type = serializers.CharField()
    coordinates = serializers.ListField(
        child=serializers.ListField(child=serializers.ListField(child=serializers.FloatField()))
    )


class TrackSerializer(serializers.Serializer):
    type = serializers.CharField()
    geometry = TrackGeometrySerializer(allow_null=True)
    properties = TrackPropertiesSerializer()


def _moment(epoch: float | None) -> datetime | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, tz=timezone.get_current_timezone())


class PatrolTrackView(APIView):
    """A day's patrol track as a GeoJSON Feature: the line cleaned of GPS jumps (speed filter)
    and simplified, each vertex's time for the replay, the distance, the time on duty and the
    share of each grid covered."""

    @extend_schema(
        parameters=[TrackQuerySerializer],
        responses={200: TrackSerializer, **error_responses(400, 404)},
    )
    def get(self, request: Request) -> Response:
        params = TrackQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        inspector_id = params.validated_data.get("inspector")
        if inspector_id is None:
            if not is_inspector(request.user):
                raise serializers.ValidationError({"inspector": [_("Name the inspector.")]})
            inspector_id = request.user.pk
        day: date = params.validated_data.get("date") or timezone.localdate()
        inspector = viewable_inspector(request.user, inspector_id)
        result = track_for_day(inspector.pk, day)
        lines = result.lines_degrees()
        names = dict(
            Region.objects.filter(code__in=[g.code for g in result.grids]).values_list(
                "code", "name"
            )
        )
        track = result.track
        body = {
            "type": "Feature",
            "geometry": {
                "type": "MultiLineString",
                "coordinates": [
                    [
                        [round(lon, COORDINATE_PLACES), round(lat, COORDINATE_PLACES)]
                        for lon, lat in xy
                    ]
                    for xy, _t in lines
                ],
            }
            if lines
            else None,
            "properties": {
                "inspector": {
                    "id": inspector.pk,
                    "name": inspector.get_full_name() or inspector.get_username(),
                },
                "date": day,
                "distance_m": round(track.distance_m, 1),
                "duty_seconds": round(track.duty_seconds),
                "fixes_received": track.fixes_received,
                "fixes_used": track.fixes_used,
                "jumps_dropped": track.jumps_dropped,
                "started_at": _moment(track.first_at),
                "ended_at": _moment(track.last_at),
                "covered_share": None
                if result.covered_share is None
                else round(result.covered_share, 4),
                "times": [[round(float(v), 1) for v in t] for _xy, t in lines],
                "grids": [
                    {
                        "code": g.code,
                        "name": names.get(g.code, ""),
                        "is_own": g.is_own,
                        "distance_m": round(g.distance_m, 1),
                        "duty_seconds": round(g.duty_seconds),
                        "covered_share": round(g.covered_share, 4),
                    }
                    for g in result.grids
                ],
            },
        }
        return Response(TrackSerializer(body).data)


class PatrolDaysQuerySerializer(serializers.Serializer):
    date = serializers.DateField(help_text=gettext_lazy("The local day, YYYY-MM-DD."))
    inspector = serializers.IntegerField(min_value=1, required=False)
    grid = serializers.RegexField(r"^[0-9]{15}$", required=False)


class PatrolGridDaySerializer(serializers.Serializer):
    inspector = TrackInspectorSerializer()
    date = serializers.DateField()
    grid = serializers.CharField()
    grid_name = serializers.CharField()
    is_own = serializers.BooleanField()
    distance_m = serializers.FloatField()
    duty_seconds = serializers.IntegerField()
    covered_share = serializers.FloatField()
    day_distance_m = serializers.FloatField()
    day_duty_seconds = serializers.IntegerField()
    jumps_dropped = serializers.IntegerField()


class PatrolDaysView(generics.GenericAPIView):
    """The patrol per grid and day of the inspectors you direct (or your own): distance walked,
    time on duty, share of the grid covered. Built nightly for the day before."""

    serializer_class = PatrolGridDaySerializer

    def get_queryset(self) -> QuerySet[PatrolGridDay]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator
            return PatrolGridDay.objects.none()
        params = PatrolDaysQuerySerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        user = self.request.user
        inspectors = directed_inspectors_qs(jurisdiction_for_user(user))
        visible = PatrolGridDay.objects.filter(patrol_day__user__in=inspectors)
        if is_inspector(user):
            visible = visible | PatrolGridDay.objects.filter(patrol_day__user=user)
        qs = visible.filter(day=params.validated_data["date"])
        if params.validated_data.get("inspector"):
            qs = qs.filter(patrol_day__user_id=params.validated_data["inspector"])
        if params.validated_data.get("grid"):
            qs = qs.filter(grid_id=params.validated_data["grid"])
        return qs.select_related("patrol_day__user", "grid").order_by(
            "grid_id", "patrol_day__user_id"
        )

    @extend_schema(
        parameters=[PatrolDaysQuerySerializer],
        responses={200: PatrolGridDaySerializer(many=True), **error_responses(400)},
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        rows = [
            {
                "inspector": {
                    "id": row.patrol_day.user_id,
                    "name": row.patrol_day.user.get_full_name()
                    or row.patrol_day.user.get_username(),
                },
                "date": row.day,
                "grid": row.grid_id,
                "grid_name": row.grid.name,
                "is_own": row.is_own,
                "distance_m": row.distance_m,
                "duty_seconds": row.duty_seconds,
                "covered_share": row.covered_share,
                "day_distance_m": row.patrol_day.distance_m,
                "day_duty_seconds": row.patrol_day.duty_seconds,
                "jumps_dropped": row.patrol_day.jumps_dropped,
            }
            for row in (page or [])
        ]
        return self.get_paginated_response(PatrolGridDaySerializer(rows, many=True).data)

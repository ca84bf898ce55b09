"""REST for the analysis (/api/v1/analysis/…): hot spots, alarms (and acting on them),
unusual rises, repeat places, the heat map and the small multiples. Scoped by jurisdiction
(analysis.selectors); a finding outside it is a 404, roles the analysis is not for get 403.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_gis.fields import GeometryField

from analysis.alarms import MAX_NOTE, alarm_acknowledge, alarm_handle
from analysis.models import Alarm, Hotspot, RepeatPlace, TrendFlag
from analysis.selectors import (
    HOTSPOT_STATES,
    MAX_HEAT_DAYS,
    alarm_qs_for_user,
    alarm_view,
    analysis_jurisdiction,
    heat_points,
    hotspot_case_ids,
    hotspot_get_for_user,
    hotspot_qs_for_user,
    repeat_place_get_for_user,
    repeat_place_history,
    repeat_place_qs_for_user,
    trend_flag_qs_for_user,
    trend_series,
)
from cases.models import NATIONAL_MAJOR_CLASSES
from config.api import error_responses


def _states(raw: str, allowed: list[str], field: str = "state") -> list[str]:
    states = [part.strip() for part in raw.split(",") if part.strip()]
    unknown = [state for state in states if state not in allowed]
    if unknown:
        raise serializers.ValidationError(
            {
                field: [
                    _("Unknown: %(states)s. One or more of: %(allowed)s.")
                    % {"states": ", ".join(unknown), "allowed": ", ".join(allowed)}
                ]
            }
        )
    return states


# --- shared pieces -----------------------------------------------------------------------------


@extend_schema_field(
    {
        "type": "object",
        "description": "A GeoJSON geometry (WGS84 longitude, latitude).",
        "properties": {"type": {"type": "string"}, "coordinates": {"type": "array", "items": {}}},
        "required": ["type", "coordinates"],
    }
)
class GeoJsonField(GeometryField):
    """A geometry as GeoJSON, described as such in the schema."""


class AnalysisItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class AnalysisRegionSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_NOTE,
        default="",
        help_text=_("What was done or ordered (optional)."),
    )


def _item(item: Any) -> dict[str, Any] | None:
    if item is None:
        return None
    return {"id": item.pk, "code": item.code, "name": item.name}


def _class_label(family: str, major: str) -> str:
    return NATIONAL_MAJOR_CLASSES.get(family, {}).get(major, major)


# --- hot spots ---------------------------------------------------------------------------------


class HotspotQuerySerializer(serializers.Serializer):
    state = serializers.CharField(
        required=False,
        help_text=_("new, acknowledged, handled or gone; several separated by commas."),
    )


class HotspotSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    scope = serializers.ChoiceField(choices=Hotspot.Scope.choices)
    item = AnalysisItemSerializer(allow_null=True)
    family = serializers.CharField()
    major_class = serializers.CharField()
    class_label = serializers.CharField()
    case_count = serializers.IntegerField()
    case_ids = serializers.ListField(child=serializers.IntegerField())
    hull = GeoJsonField(help_text=_("GeoJSON polygon around the cases (WGS84)."))
    centre = GeoJsonField()
    region = AnalysisRegionSerializer()
    level = serializers.CharField()
    state = serializers.ChoiceField(choices=Hotspot.State.choices)
    alarm_id = serializers.IntegerField()
    min_cases = serializers.IntegerField()
    radius_m = serializers.IntegerField()
    window_hours = serializers.IntegerField()
    first_case_at = serializers.DateTimeField()
    last_case_at = serializers.DateTimeField()
    first_seen_at = serializers.DateTimeField()
    last_seen_at = serializers.DateTimeField()
    gone_at = serializers.DateTimeField(allow_null=True)


def hotspot_data(hotspot: Hotspot, case_ids: list[int]) -> dict[str, Any]:
    return {
        "id": hotspot.pk,
        "scope": hotspot.scope,
        "item": _item(hotspot.item),
        "family": hotspot.family,
        "major_class": hotspot.major_class,
        "class_label": _class_label(hotspot.family, hotspot.major_class),
        "case_count": hotspot.case_count,
        "case_ids": case_ids,
        "hull": hotspot.hull,
        "centre": hotspot.centre,
        "region": {"code": hotspot.region_id, "name": hotspot.region.name},
        "level": hotspot.level,
        "state": hotspot.state,  # type: ignore[attr-defined]
        "alarm_id": hotspot.alarm_id,
        "min_cases": hotspot.min_cases,
        "radius_m": hotspot.radius_m,
        "window_hours": hotspot.window_hours,
        "first_case_at": hotspot.first_case_at,
        "last_case_at": hotspot.last_case_at,
        "first_seen_at": hotspot.first_seen_at,
        "last_seen_at": hotspot.last_seen_at,
        "gone_at": hotspot.gone_at,
    }


class HotspotListView(generics.GenericAPIView):
    """Hot spots you may see, newest first: item (or class), case count, case ids, hull
    (GeoJSON) and state. `?state=new,acknowledged` filters."""

    serializer_class = HotspotSerializer

    def get_queryset(self) -> QuerySet[Hotspot]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator
            return Hotspot.objects.none()
        params = HotspotQuerySerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        raw = params.validated_data.get("state", "")
        states = _states(raw, HOTSPOT_STATES) if raw else None
        return hotspot_qs_for_user(self.request.user, states=states)

    @extend_schema(
        parameters=[HotspotQuerySerializer],
        responses={200: HotspotSerializer(many=True), **error_responses(400, 403)},
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        rows = list(page) if page is not None else []
        ids = hotspot_case_ids([h.pk for h in rows])
        data = HotspotSerializer([hotspot_data(h, ids.get(h.pk, [])) for h in rows], many=True)
        return self.get_paginated_response(data.data)


class HotspotDetailView(APIView):
    @extend_schema(responses={200: HotspotSerializer, **error_responses(403, 404)})
    def get(self, request: Request, hotspot_id: int) -> Response:
        hotspot = hotspot_get_for_user(request.user, hotspot_id)
        ids = hotspot_case_ids([hotspot.pk]).get(hotspot.pk, [])
        return Response(HotspotSerializer(hotspot_data(hotspot, ids)).data)


# --- alarms ------------------------------------------------------------------------------------


class AlarmQuerySerializer(serializers.Serializer):
    state = serializers.CharField(
        required=False, help_text=_("new, acknowledged or handled; several separated by commas.")
    )
    kind = serializers.ChoiceField(choices=Alarm.Kind.choices, required=False)
    since = serializers.DateTimeField(
        required=False, help_text=_("Only alarms raised at or after this moment.")
    )


class AlarmSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Alarm.Kind.choices)
    kind_label = serializers.CharField()
    subject = serializers.CharField()
    summary = serializers.CharField()
    region_code = serializers.CharField()
    region_name = serializers.CharField()
    level = serializers.CharField()
    level_label = serializers.CharField()
    state = serializers.ChoiceField(choices=Alarm.State.choices)
    state_label = serializers.CharField()
    raised_at = serializers.DateTimeField()
    url = serializers.CharField()
    lon = serializers.FloatField(allow_null=True)
    lat = serializers.FloatField(allow_null=True)
    hotspot_id = serializers.IntegerField(allow_null=True)
    acknowledged_by = serializers.CharField(allow_null=True)
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    handled_by = serializers.CharField(allow_null=True)
    handled_at = serializers.DateTimeField(allow_null=True)
    note = serializers.CharField()


def _name(user: Any) -> str | None:
    if user is None:
        return None
    return str(user.get_full_name() or user.get_username())


def alarm_data(alarm: Alarm) -> dict[str, Any]:
    view = alarm_view(alarm)
    # The reverse one-to-one raises (an AttributeError) when the alarm is not a hot spot's.
    hotspot = getattr(alarm, "hotspot", None)
    return {
        **view.__dict__,
        "hotspot_id": hotspot.pk if hotspot is not None else None,
        "acknowledged_by": _name(alarm.acknowledged_by),
        "acknowledged_at": alarm.acknowledged_at,
        "handled_by": _name(alarm.handled_by),
        "handled_at": alarm.handled_at,
        "note": alarm.note,
    }


class AlarmListView(generics.GenericAPIView):
    """Alarms you may see, newest first; the big screen's list reads the same selector."""

    serializer_class = AlarmSerializer

    def get_queryset(self) -> QuerySet[Alarm]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator
            return Alarm.objects.none()
        params = AlarmQuerySerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        qs = alarm_qs_for_user(self.request.user).select_related("hotspot")
        if params.validated_data.get("state"):
            qs = qs.filter(
                state__in=_states(params.validated_data["state"], list(Alarm.State.values))
            )
        if params.validated_data.get("kind"):
            qs = qs.filter(kind=params.validated_data["kind"])
        if params.validated_data.get("since"):
            qs = qs.filter(raised_at__gte=params.validated_data["since"])
        return qs

    @extend_schema(
        parameters=[AlarmQuerySerializer],
        responses={200: AlarmSerializer(many=True), **error_responses(400, 403)},
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        data = [alarm_data(alarm) for alarm in (page or [])]
        return self.get_paginated_response(AlarmSerializer(data, many=True).data)


class _AlarmAction(APIView):
    action_name = ""

    def act(self, request: Request, alarm_id: int, note: str) -> Alarm:
        raise NotImplementedError

    def post(self, request: Request, alarm_id: int) -> Response:
        body = NoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        alarm = self.act(request, alarm_id, body.validated_data["note"])
        alarm = alarm_qs_for_user(request.user).select_related("hotspot").get(pk=alarm.pk)
        return Response(AlarmSerializer(alarm_data(alarm)).data)


class AlarmAcknowledgeView(_AlarmAction):
    """Take note of a new alarm (someone is on it); 409 when someone already has."""

    @extend_schema(
        request=NoteSerializer,
        responses={200: AlarmSerializer, **error_responses(400, 403, 404, 409)},
    )
    def post(self, request: Request, alarm_id: int) -> Response:
        return super().post(request, alarm_id)

    def act(self, request: Request, alarm_id: int, note: str) -> Alarm:
        return alarm_acknowledge(alarm_id=alarm_id, actor=request.user, note=note)


class AlarmHandleView(_AlarmAction):
    """Mark an alarm handled (a clean-up or a lasting fix was ordered); 409 when it is."""

    @extend_schema(
        request=NoteSerializer,
        responses={200: AlarmSerializer, **error_responses(400, 403, 404, 409)},
    )
    def post(self, request: Request, alarm_id: int) -> Response:
        return super().post(request, alarm_id)

    def act(self, request: Request, alarm_id: int, note: str) -> Alarm:
        return alarm_handle(alarm_id=alarm_id, actor=request.user, note=note)


# --- unusual rises -------------------------------------------------------------------------------


class TrendQuerySerializer(serializers.Serializer):
    period = serializers.ChoiceField(choices=TrendFlag.Period.choices, required=False)
    since = serializers.DateField(
        required=False, help_text=_("Only periods starting on or after this day.")
    )


class TrendFlagSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    item = AnalysisItemSerializer()
    region = AnalysisRegionSerializer()
    level = serializers.CharField()
    period = serializers.ChoiceField(choices=TrendFlag.Period.choices)
    period_start = serializers.DateField()
    count = serializers.IntegerField()
    expected = serializers.FloatField()
    p_value = serializers.FloatField()
    baseline_days = serializers.IntegerField()
    first_flagged_at = serializers.DateTimeField()
    last_flagged_at = serializers.DateTimeField()
    alarm_id = serializers.IntegerField(allow_null=True)


def trend_flag_data(flag: TrendFlag) -> dict[str, Any]:
    return {
        "id": flag.pk,
        "item": _item(flag.item),
        "region": {"code": flag.region_id, "name": flag.region.name},
        "level": flag.level,
        "period": flag.period,
        "period_start": flag.period_start,
        "count": flag.count,
        "expected": round(flag.expected, 2),
        "p_value": flag.p_value,
        "baseline_days": flag.baseline_days,
        "first_flagged_at": flag.first_flagged_at,
        "last_flagged_at": flag.last_flagged_at,
        "alarm_id": flag.alarm_id,
    }


class TrendFlagListView(generics.GenericAPIView):
    """Counts the baseline makes improbable, per item and area, today or this week."""

    serializer_class = TrendFlagSerializer

    def get_queryset(self) -> QuerySet[TrendFlag]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator
            return TrendFlag.objects.none()
        params = TrendQuerySerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        qs = trend_flag_qs_for_user(self.request.user)
        if params.validated_data.get("period"):
            qs = qs.filter(period=params.validated_data["period"])
        if params.validated_data.get("since"):
            qs = qs.filter(period_start__gte=params.validated_data["since"])
        return qs

    @extend_schema(
        parameters=[TrendQuerySerializer],
        responses={200: TrendFlagSerializer(many=True), **error_responses(400, 403)},
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        data = [trend_flag_data(flag) for flag in (page or [])]
        return self.get_paginated_response(TrendFlagSerializer(data, many=True).data)


class SeriesQuerySerializer(serializers.Serializer):
    days = serializers.IntegerField(min_value=7, max_value=92, default=28)
    top = serializers.IntegerField(min_value=1, max_value=30, default=12)


class SeriesItemSerializer(serializers.Serializer):
    item_id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    counts = serializers.ListField(child=serializers.IntegerField())
    expected = serializers.ListField(child=serializers.FloatField(allow_null=True))
    flagged = serializers.ListField(child=serializers.DateField())


class SeriesSerializer(serializers.Serializer):
    days = serializers.ListField(child=serializers.DateField())
    items = SeriesItemSerializer(many=True)


class TrendSeriesView(APIView):
    """Small multiples: daily counts of the busiest items, with the baseline's expectation."""

    @extend_schema(
        parameters=[SeriesQuerySerializer],
        responses={200: SeriesSerializer, **error_responses(400, 403)},
    )
    def get(self, request: Request) -> Response:
        params = SeriesQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        return Response(trend_series(request.user, **params.validated_data))


# --- repeat places -------------------------------------------------------------------------------


class RepeatPlaceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    place_kind = serializers.ChoiceField(choices=RepeatPlace.PlaceKind.choices)
    place_key = serializers.CharField()
    place_name = serializers.CharField()
    family = serializers.CharField()
    major_class = serializers.CharField()
    minor_class = serializers.CharField()
    class_label = serializers.CharField()
    region = AnalysisRegionSerializer()
    level = serializers.CharField()
    point = GeoJsonField()
    case_count = serializers.IntegerField()
    first_closed_at = serializers.DateTimeField()
    last_closed_at = serializers.DateTimeField()
    first_seen_at = serializers.DateTimeField()
    last_seen_at = serializers.DateTimeField()
    gone_at = serializers.DateTimeField(allow_null=True)
    supervised_at = serializers.DateTimeField(allow_null=True)
    alarm_id = serializers.IntegerField(allow_null=True)


class RepeatCaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    item = serializers.CharField()
    address = serializers.CharField()
    reported_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    closure_kind = serializers.CharField()
    handling_unit = serializers.CharField()
    reworks = serializers.IntegerField()


class RepeatPlaceDetailSerializer(RepeatPlaceSerializer):
    history = RepeatCaseSerializer(many=True)


def repeat_place_data(place: RepeatPlace) -> dict[str, Any]:
    return {
        "id": place.pk,
        "place_kind": place.place_kind,
        "place_key": place.place_key,
        "place_name": place.place_name,
        "family": place.family,
        "major_class": place.major_class,
        "minor_class": place.minor_class,
        "class_label": _class_label(place.family, place.major_class),
        "region": {"code": place.region_id, "name": place.region.name},
        "level": place.level,
        "point": place.point,
        "case_count": place.case_count,
        "first_closed_at": place.first_closed_at,
        "last_closed_at": place.last_closed_at,
        "first_seen_at": place.first_seen_at,
        "last_seen_at": place.last_seen_at,
        "gone_at": place.gone_at,
        "supervised_at": place.supervised_at,
        "alarm_id": place.alarm_id,
    }


class RepeatQuerySerializer(serializers.Serializer):
    current = serializers.BooleanField(
        required=False, default=True, help_text=_("false: include places no longer repeating.")
    )


class RepeatPlaceListView(generics.GenericAPIView):
    """Places where cases of one class keep being closed (K in D days), most first."""

    serializer_class = RepeatPlaceSerializer

    def get_queryset(self) -> QuerySet[RepeatPlace]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator
            return RepeatPlace.objects.none()
        params = RepeatQuerySerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        qs = repeat_place_qs_for_user(self.request.user)
        if params.validated_data["current"]:
            qs = qs.filter(gone_at__isnull=True)
        return qs

    @extend_schema(
        parameters=[RepeatQuerySerializer],
        responses={200: RepeatPlaceSerializer(many=True), **error_responses(400, 403)},
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        data = [repeat_place_data(place) for place in (page or [])]
        return self.get_paginated_response(RepeatPlaceSerializer(data, many=True).data)


class RepeatPlaceDetailView(APIView):
    """A repeat place with its history: every case, when it was reported and closed, who
    handled it."""

    @extend_schema(responses={200: RepeatPlaceDetailSerializer, **error_responses(403, 404)})
    def get(self, request: Request, place_id: int) -> Response:
        place = repeat_place_get_for_user(request.user, place_id)
        data = {**repeat_place_data(place), "history": repeat_place_history(place)}
        return Response(RepeatPlaceDetailSerializer(data).data)


# --- the heat map --------------------------------------------------------------------------------


class HeatQuerySerializer(serializers.Serializer):
    days = serializers.IntegerField(min_value=1, max_value=MAX_HEAT_DAYS, default=7)


class HeatSerializer(serializers.Serializer):
    days = serializers.IntegerField()
    generated_at = serializers.DateTimeField()
    points = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField()),
        help_text=_("[lat, lon, reports] on a 0.001° lattice."),
    )


class HeatView(APIView):
    """Reports of the last days in your jurisdiction, gathered for a heat map."""

    @extend_schema(
        parameters=[HeatQuerySerializer],
        responses={200: HeatSerializer, **error_responses(400, 403)},
    )
    def get(self, request: Request) -> Response:
        params = HeatQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        analysis_jurisdiction(request.user)
        now = timezone.now()
        points = heat_points(request.user, days=params.validated_data["days"], now=now)
        return Response(
            HeatSerializer(
                {"days": params.validated_data["days"], "generated_at": now, "points": points}
            ).data
        )

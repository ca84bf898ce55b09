"""Shapes of the registry's place API: search, at a point, the map's layers, a parcel's
totals, a building's cases, and the population picture. None of them carries a person."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from citizens.search import DEFAULT_LIMIT, MAX_LIMIT, QUERY_MAX
from grids.geo import Box, parse_bbox
from grids.models import Level

KINDS = (("building", "building"), ("parcel", "parcel"), ("organisation", "organisation"))


class PlaceSearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(
        max_length=QUERY_MAX,
        help_text=_(
            "Part of an address, a parcel's name or code, or an organisation's name (at least "
            "2 characters; words separated by spaces must all match)."
        ),
    )
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=DEFAULT_LIMIT)


class PlaceHitSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=KINDS)
    id = serializers.IntegerField()
    label = serializers.CharField(
        help_text=_("The address, the parcel's name or code, or the name.")
    )
    detail = serializers.CharField(
        help_text=_("The building's code, the parcel's code, or the organisation's address.")
    )
    lon = serializers.FloatField()
    lat = serializers.FloatField()
    grid_code = serializers.CharField()
    building_id = serializers.IntegerField(
        allow_null=True, help_text=_("The building (of a building or an organisation).")
    )


class BboxQuerySerializer(serializers.Serializer):
    bbox = serializers.CharField(help_text=_("min_lon,min_lat,max_lon,max_lat (WGS84)"))

    def validate_bbox(self, value: str) -> Box:
        try:
            return parse_bbox(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None


class PlaceFeatureCollectionSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="FeatureCollection")
    features = serializers.ListField(child=serializers.DictField())
    truncated = serializers.BooleanField(
        help_text=_("More features than one answer holds: zoom in.")
    )


class ParcelAtSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    grid_code = serializers.CharField()


class BuildingAtSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    address = serializers.CharField()
    name = serializers.CharField()
    grid_code = serializers.CharField()
    parcel_id = serializers.IntegerField(allow_null=True)
    distance_m = serializers.FloatField(help_text=_("0 when the point is on the footprint."))


class PlaceAtSerializer(serializers.Serializer):
    lon = serializers.FloatField()
    lat = serializers.FloatField()
    parcel = ParcelAtSerializer(allow_null=True)
    building = BuildingAtSerializer(allow_null=True)


class ParcelTotalsSerializer(serializers.Serializer):
    buildings = serializers.IntegerField()
    dwellings = serializers.IntegerField()
    homes = serializers.IntegerField(help_text=_("Dwellings for living in."))
    residents = serializers.IntegerField()
    households = serializers.IntegerField()
    vacant_dwellings = serializers.IntegerField()
    organisations = serializers.IntegerField()


class CaseAtBuildingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    item = serializers.CharField()
    address = serializers.CharField()
    reported_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    stage_warn_at = serializers.DateTimeField(allow_null=True)
    stage_due_at = serializers.DateTimeField(allow_null=True)


class BuildingCasesSerializer(serializers.Serializer):
    radius_m = serializers.FloatField(
        help_text=_("Cases reported on the footprint or this close to it.")
    )
    open_count = serializers.IntegerField()
    past_count = serializers.IntegerField()
    open = CaseAtBuildingSerializer(many=True)
    past = CaseAtBuildingSerializer(many=True)


# --- the population picture ---------------------------------------------------------------

_SMALL = _("null: fewer than 5, not shown to you.")


def _count(help_text: Any = "") -> serializers.IntegerField:
    return serializers.IntegerField(allow_null=True, help_text=help_text or _SMALL)


class StatsRegionSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.ChoiceField(choices=Level.choices)


class PyramidSerializer(serializers.Serializer):
    bands = serializers.ListField(child=serializers.CharField(), help_text=_("Age in years."))
    male = serializers.ListField(child=serializers.IntegerField(allow_null=True))
    female = serializers.ListField(child=serializers.IntegerField(allow_null=True))
    unknown = _count(_("Without a sex or birth date (null: fewer than 5, not shown to you)."))


class KeyGroupFigureSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    count = _count()


class OrganisationKindSerializer(serializers.Serializer):
    kind = serializers.CharField()
    count = serializers.IntegerField()


class FiguresSerializer(serializers.Serializer):
    persons = _count()
    households = _count(_("Dwellings for living in that someone lives in (null: fewer than 5)."))
    vacant_dwellings = _count()
    aged_60_plus = _count()
    dwellings = serializers.IntegerField()
    homes = serializers.IntegerField(help_text=_("Dwellings for living in."))
    buildings = serializers.IntegerField()
    organisations = serializers.IntegerField()
    pyramid = PyramidSerializer()
    key_groups = KeyGroupFigureSerializer(many=True)
    organisation_kinds = OrganisationKindSerializer(many=True)


class ChildFiguresSerializer(StatsRegionSerializer):
    suppressed = serializers.BooleanField()
    figures = FiguresSerializer()


class RegionStatsSerializer(serializers.Serializer):
    region = StatsRegionSerializer()
    chain = StatsRegionSerializer(many=True, help_text=_("The regions above, district first."))
    source = serializers.CharField(
        help_text=_("live: counted now; nightly: read from the nightly count (computed_at).")
    )
    computed_at = serializers.DateTimeField()
    suppressed = serializers.BooleanField(
        help_text=_("Counts about persons below 5 are hidden (null): the region is not yours.")
    )
    threshold = serializers.IntegerField()
    figures = FiguresSerializer()
    children = ChildFiguresSerializer(many=True, help_text=_("The regions below that you see."))

"""Serializers for the handheld endpoints: parsing requests and rendering responses, nothing
else. The rules live in the services (cases.services, cases.attachments, grids.patrol)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_gis.fields import GeometryField

from cases.api.files import AttachmentUrlsMixin
from cases.models import Attachment, Case, CaseEvent, Domain, FilingCondition, Item, Status
from config.api import ErrorSerializer
from grids.api import RegionSerializer
from grids.models import Post, Region, Unit
from grids.patrol import MAX_BATCH, MAX_CLIENT_ID, FixInput

# --- errors (documentation of the one error body) ---------------------------------------------


# The one error body (config.api), under the name this module's users import.
HandheldErrorSerializer = ErrorSerializer


# --- me -------------------------------------------------------------------------------------


class PostRegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["code", "name", "level"]


class UnitBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Unit
        fields = ["id", "code", "name", "kind"]


class MyPostSerializer(serializers.ModelSerializer):
    role_label = serializers.CharField(source="get_role_display", read_only=True)
    region = PostRegionSerializer(read_only=True, allow_null=True)
    unit = UnitBriefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Post
        fields = ["id", "role", "role_label", "inspector_type", "region", "unit"]


class JurisdictionSerializer(serializers.Serializer):
    everything = serializers.BooleanField(help_text=_("Sees the whole deployment."))
    region_codes = serializers.ListField(
        child=serializers.CharField(), help_text=_("Roots of the region subtrees the user sees.")
    )
    unit_ids = serializers.ListField(
        child=serializers.IntegerField(), help_text=_("Units the user acts for.")
    )
    roles = serializers.ListField(child=serializers.CharField())

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return {
            "everything": instance.everything,
            "region_codes": sorted(instance.region_codes),
            "unit_ids": sorted(instance.unit_ids),
            "roles": sorted(instance.roles),
        }


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    posts = MyPostSerializer(many=True)
    jurisdiction = JurisdictionSerializer()


# --- my grids -------------------------------------------------------------------------------


class GridFeatureSerializer(RegionSerializer):
    """A grid the inspector patrols, as a GeoJSON feature, at full detail: the handheld
    decides from it whether a problem lies inside the inspector's grid."""

    geometry = None  # RegionSerializer's simplified method field, replaced by the column
    geom = GeometryField(read_only=True)

    class Meta(RegionSerializer.Meta):
        geo_field = "geom"
        # A copy without the replaced field (rest_framework_gis appends its geo field in place).
        fields = [name for name in RegionSerializer.Meta.fields if name != "geometry"]


# --- catalogue ------------------------------------------------------------------------------


class CatalogueConditionSerializer(serializers.ModelSerializer):
    class Meta:
        model = FilingCondition
        fields = [
            "id",
            "code",
            "description",
            "closing_condition",
            "limit_value",
            "limit_unit",
        ]


class CatalogueItemSerializer(serializers.ModelSerializer):
    default_unit = UnitBriefSerializer(read_only=True, allow_null=True)
    conditions = CatalogueConditionSerializer(many=True, read_only=True)

    class Meta:
        model = Item
        fields = [
            "id",
            "code",
            "name",
            "family",
            "major_class",
            "minor_class",
            "default_unit",
            "default_unit_code",
            "entry_level",
            "conditions",
        ]


class CatalogueDomainSerializer(serializers.ModelSerializer):
    items = CatalogueItemSerializer(many=True, read_only=True)

    class Meta:
        model = Domain
        fields = ["code", "name", "items"]


class CatalogueSerializer(serializers.Serializer):
    domains = CatalogueDomainSerializer(many=True)


# --- attachments ----------------------------------------------------------------------------


@extend_schema_field({"type": "string", "format": "binary"})
class PhotoFileField(serializers.FileField):
    """A file part of a multipart request (documented as binary, not as a URL)."""


class PhotoUploadSerializer(serializers.Serializer):
    photo = PhotoFileField(help_text=_("A JPEG, PNG or HEIC photo."))


class UploadedPhotoSerializer(AttachmentUrlsMixin, serializers.ModelSerializer):
    class Meta:
        model = Attachment
        fields = ["id", "content_type", "width", "height", "taken_at", "thumbnail_url", "url"]


# --- tasks ----------------------------------------------------------------------------------

TASK_KIND_BY_STATUS: dict[str, str] = {Status.VERIFYING: "verify", Status.CHECKING: "check"}


class ItemBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Item
        fields = ["id", "code", "name"]


class InspectorTaskSerializer(serializers.ModelSerializer):
    kind = serializers.SerializerMethodField()
    case_id = serializers.IntegerField(source="id", read_only=True)
    item = ItemBriefSerializer(read_only=True)
    grid = serializers.CharField(source="grid_id", read_only=True)
    point = GeometryField(read_only=True)

    class Meta:
        model = Case
        fields = [
            "kind",
            "case_id",
            "number",
            "status",
            "version",
            "urgency",
            "item",
            "description",
            "address",
            "grid",
            "point",
            "reported_at",
            "stage_warn_at",
            "stage_due_at",
        ]

    @extend_schema_field(serializers.ChoiceField(choices=sorted(TASK_KIND_BY_STATUS.values())))
    def get_kind(self, case: Case) -> str:
        return TASK_KIND_BY_STATUS[case.status]


# --- history --------------------------------------------------------------------------------


class HistoryCaseSerializer(serializers.ModelSerializer):
    item = ItemBriefSerializer(read_only=True)

    class Meta:
        model = Case
        fields = ["id", "number", "status", "item", "address"]


class HistoryEventSerializer(serializers.ModelSerializer):
    case = HistoryCaseSerializer(read_only=True)

    class Meta:
        model = CaseEvent
        fields = [
            "id",
            "action",
            "actor_role",
            "created_at",
            "from_status",
            "to_status",
            "note",
            "case",
        ]


# --- patrol ---------------------------------------------------------------------------------


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 instant with its UTC offset: a device's local time alone is ambiguous."""

    default_error_messages = {
        "naive": _("Give the time with its UTC offset (e.g. 2026-05-01T08:30:00+08:00)."),
    }

    def to_internal_value(self, value: Any) -> datetime:
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None  # well-formed but impossible (month 13): the parent says invalid
            if parsed is not None and parsed.tzinfo is None:
                self.fail("naive")
        return super().to_internal_value(value)


class PatrolFixSerializer(serializers.Serializer):
    lon = serializers.FloatField(min_value=-180, max_value=180, help_text=_("WGS84 longitude"))
    lat = serializers.FloatField(min_value=-90, max_value=90, help_text=_("WGS84 latitude"))
    recorded_at = AwareDateTimeField(help_text=_("The device's time of the fix, with offset."))
    accuracy_m = serializers.FloatField(required=False, allow_null=True, min_value=0)
    speed_mps = serializers.FloatField(required=False, allow_null=True, min_value=0)
    client_id = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_CLIENT_ID,
        help_text=_("The device's id for the fix: a retried fix with the same id is one fix."),
    )

    def to_fix(self) -> FixInput:
        data = self.validated_data
        return FixInput(
            lon=data["lon"],
            lat=data["lat"],
            recorded_at=data["recorded_at"],
            accuracy_m=data.get("accuracy_m"),
            speed_mps=data.get("speed_mps"),
            client_id=data.get("client_id", ""),
        )


class PatrolEnvelopeSerializer(serializers.Serializer):
    """The batch as parsed: each fix is then parsed on its own, so that one bad fix does not
    refuse the rest. PatrolBatchSerializer documents the same body."""

    fixes = serializers.ListField(child=serializers.JSONField(), min_length=1, max_length=MAX_BATCH)


class PatrolBatchSerializer(serializers.Serializer):
    fixes = PatrolFixSerializer(
        many=True,
        min_length=1,
        max_length=MAX_BATCH,
        help_text=_("Up to 500 fixes, oldest first or in any order."),
    )


class RejectedFixSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text=_("The fix's position in the batch."))
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class PatrolResultSerializer(serializers.Serializer):
    accepted = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    rejected = RejectedFixSerializer(many=True)


class PatrolTrackQuerySerializer(serializers.Serializer):
    date = serializers.DateField(
        required=False, help_text=_("The local day (YYYY-MM-DD); today when left out.")
    )


class TrackFixSerializer(serializers.Serializer):
    lon = serializers.FloatField()
    lat = serializers.FloatField()
    recorded_at = serializers.DateTimeField()
    accuracy_m = serializers.FloatField(allow_null=True)


class PatrolTrackSerializer(serializers.Serializer):
    date = serializers.DateField()
    distance_m = serializers.FloatField(help_text=_("Metres walked through the precise fixes."))
    fixes = TrackFixSerializer(many=True, help_text=_("The day's fixes, oldest first."))
    truncated = serializers.BooleanField(help_text=_("More fixes than one answer holds."))

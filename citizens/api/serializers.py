"""Citizen API serializers: parse requests into service arguments, render a citizen's reports.

What a citizen sees of a case is its public face: the status, the item, where, when, their own
photos and the public timeline; nothing about the staff who handled it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.gis.geos import Point
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases.api.case_serializers import ItemRefField, inline_enum, request_type_field
from cases.api.files import AttachmentUrlsMixin
from cases.models import Attachment, Case, RequestType, Status
from cases.services import MAX_DESCRIPTION, ReportInput
from citizens.models import OtpPurpose
from citizens.reports import can_rate, public_timeline, report_photos

# A hard cap for the schema and the parser; the working limit is CITIZEN_REPORT_MAX_PHOTOS.
PHOTOS_HARD_CAP = 20


def _phone() -> serializers.CharField:
    return serializers.CharField(
        max_length=20, help_text=_("Mainland mobile number, e.g. 13812345678.")
    )


def _device() -> serializers.CharField:
    return serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


# --- accounts ---------------------------------------------------------------------------------


class OtpRequestSerializer(serializers.Serializer):
    phone = _phone()
    purpose = inline_enum(OtpPurpose.values, help_text=_("register or login."))


class OtpSentSerializer(serializers.Serializer):
    expires_at = serializers.DateTimeField()
    resend_after = serializers.DateTimeField()
    dev_code = serializers.CharField(
        required=False,
        help_text=_("Development installs (DEBUG) only: the code that was sent."),
    )


class RegisterSerializer(serializers.Serializer):
    phone = _phone()
    code = serializers.CharField(max_length=10, help_text=_("The code sent by SMS."))
    password = serializers.CharField(max_length=128, style={"input_type": "password"})
    name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    device = _device()


class CitizenLoginSerializer(serializers.Serializer):
    phone = _phone()
    password = serializers.CharField(
        max_length=128,
        required=False,
        allow_blank=True,
        default="",
        style={"input_type": "password"},
    )
    code = serializers.CharField(
        max_length=10,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("A one-time code (purpose login) instead of the password."),
    )
    device = _device()


class CitizenTokenSerializer(serializers.Serializer):
    token = serializers.CharField()
    expires_at = serializers.DateTimeField()
    user_id = serializers.IntegerField()


# --- reports ----------------------------------------------------------------------------------


class CitizenReportSerializer(serializers.Serializer):
    """A report as JSON (no photos); send multipart/form-data to attach photos."""

    request_id = serializers.CharField(
        min_length=1,
        max_length=40,
        help_text=_("Client-generated id (a UUID): sending the same report again is one report."),
    )
    item = ItemRefField()
    request_type = request_type_field()
    description = serializers.CharField(min_length=1, max_length=MAX_DESCRIPTION)
    lon = serializers.FloatField(min_value=-180, max_value=180, help_text=_("WGS84 longitude"))
    lat = serializers.FloatField(min_value=-90, max_value=90, help_text=_("WGS84 latitude"))
    address = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")

    def report_input(self) -> ReportInput:
        data = self.validated_data
        return ReportInput(
            source="citizen_app",
            item_id=data["item"],
            request_type=data["request_type"],
            description=data["description"],
            point=Point(data["lon"], data["lat"], srid=4326),
            address=data["address"],
        )


class CitizenReportFormSerializer(CitizenReportSerializer):
    photos = serializers.ListField(
        child=serializers.FileField(allow_empty_file=False),
        max_length=PHOTOS_HARD_CAP,
        required=False,
        default=list,
        help_text=_("Photos (JPEG, PNG, HEIC); the number and size are limited."),
    )

    def validate_photos(self, value: list) -> list:
        # The working limit is a setting; the service checks it again.
        if len(value) > settings.CITIZEN_REPORT_MAX_PHOTOS:
            raise serializers.ValidationError(
                _("At most %(n)d photos.") % {"n": settings.CITIZEN_REPORT_MAX_PHOTOS}
            )
        return value


class RateSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5, help_text=_("1 (bad) to 5."))
    comment = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    request_id = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")


class PublicItemSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class PublicEventSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    status = serializers.CharField(help_text=_("The case's status code."))
    status_label = serializers.CharField()
    action = serializers.CharField()
    action_label = serializers.CharField()
    note = serializers.CharField(help_text=_("Only the reasons owed to you; numbers masked."))


class ReportPhotoSerializer(AttachmentUrlsMixin, serializers.ModelSerializer):
    class Meta:
        model = Attachment
        fields = ["id", "url", "thumbnail_url", "width", "height"]


class MyReportSerializer(serializers.ModelSerializer):
    item = PublicItemSerializer()
    status = serializers.CharField(read_only=True, help_text=_("The case's status code."))
    status_label = serializers.SerializerMethodField()
    request_type_label = serializers.SerializerMethodField()
    is_open = serializers.BooleanField(read_only=True)
    lon = serializers.SerializerMethodField()
    lat = serializers.SerializerMethodField()
    can_rate = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "id",
            "number",
            "status",
            "status_label",
            "is_open",
            "item",
            "request_type",
            "request_type_label",
            "description",
            "address",
            "lon",
            "lat",
            "reported_at",
            "closed_at",
            "rating",
            "rating_comment",
            "can_rate",
        ]

    def get_status_label(self, case: Case) -> str:
        return str(Status(case.status).label)

    def get_request_type_label(self, case: Case) -> str:
        return str(RequestType(case.request_type).label)

    def get_lon(self, case: Case) -> float:
        return float(case.point.x)

    def get_lat(self, case: Case) -> float:
        return float(case.point.y)

    def get_can_rate(self, case: Case) -> bool:
        return can_rate(case)


class MyReportDetailSerializer(MyReportSerializer):
    photos = serializers.SerializerMethodField()
    timeline = serializers.SerializerMethodField()

    class Meta(MyReportSerializer.Meta):
        fields = [*MyReportSerializer.Meta.fields, "photos", "timeline"]

    @extend_schema_field(ReportPhotoSerializer(many=True))
    def get_photos(self, case: Case) -> list[dict[str, Any]]:
        return ReportPhotoSerializer(report_photos(case), many=True, context=self.context).data

    @extend_schema_field(PublicEventSerializer(many=True))
    def get_timeline(self, case: Case) -> list[dict[str, Any]]:
        return PublicEventSerializer(public_timeline(case), many=True).data


# --- the public map ---------------------------------------------------------------------------


class NearbyQuerySerializer(serializers.Serializer):
    bbox = serializers.CharField(help_text=_("min_lon,min_lat,max_lon,max_lat (WGS84)."))
    status = serializers.ChoiceField(
        choices=["open", "closed"],
        required=False,
        allow_blank=True,
        default="",
        help_text=_("open or closed; both when left out."),
    )


class PublicRequestSerializer(serializers.Serializer):
    """A report as Open311 publishes it: never who reported or handled it."""

    service_request_id = serializers.CharField(help_text=_("The case number."))
    status = serializers.CharField(help_text=_("open or closed."))
    status_notes = serializers.CharField()
    service_name = serializers.CharField()
    service_code = serializers.CharField()
    description = serializers.CharField(help_text=_("Phone and ID numbers masked."))
    address = serializers.CharField()
    requested_datetime = serializers.CharField()
    updated_datetime = serializers.CharField()
    lat = serializers.FloatField()
    long = serializers.FloatField()


class NearbySerializer(serializers.Serializer):
    results = PublicRequestSerializer(many=True)
    truncated = serializers.BooleanField(help_text=_("More reports than one answer holds."))


class CategorySerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_("Send it as the report's item."))
    name = serializers.CharField()
    group = serializers.CharField()
    description = serializers.CharField(help_text=_("What counts as this problem."))
    keywords = serializers.CharField()

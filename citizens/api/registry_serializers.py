"""Shapes of the registry API. Persons are rendered from citizens.access.PersonView, never
from the model: what is masked has been decided (and the read logged) before."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from citizens.models import (
    Building,
    Dwelling,
    Organisation,
    Parcel,
    PersonAccessLog,
    ReadPurpose,
)


class ReasonQuerySerializer(serializers.Serializer):
    reason = serializers.CharField(
        min_length=1,
        max_length=255,
        help_text=_("Why you read these persons' records (kept in the access log)."),
    )
    full = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_("true: ID numbers and phones whole (only for the roles allowed)."),
    )


class LookupSerializer(ReasonQuerySerializer):
    id_number = serializers.CharField(
        max_length=32, help_text=_("The resident ID number (18 characters).")
    )


class RegistryRegionSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class PersonOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    sex = serializers.CharField()
    birth_date = serializers.DateField(
        allow_null=True,
        help_text=_("Only with the ID number whole (the masked digits are the birth date)."),
    )
    age = serializers.IntegerField(allow_null=True)
    id_number = serializers.CharField(help_text=_("Masked (first 6 and last 4) unless whole."))
    phone = serializers.CharField()
    registered_address = serializers.CharField()
    actual_address = serializers.CharField()
    grid_code = serializers.CharField()
    key_groups = serializers.ListField(child=serializers.CharField())
    masked = serializers.BooleanField()


class ParcelRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Parcel
        fields = ["id", "code", "name"]


class BuildingRefSerializer(serializers.ModelSerializer):
    grid_code = serializers.CharField(source="grid_id")

    class Meta:
        model = Building
        fields = ["id", "code", "name", "address", "grid_code"]


class DwellingRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Dwelling
        fields = ["id", "building_id", "unit", "floor", "room", "use"]


class DwellingRowSerializer(DwellingRefSerializer):
    people = serializers.IntegerField(help_text=_("People linked to it now."))

    class Meta(DwellingRefSerializer.Meta):
        fields = [*DwellingRefSerializer.Meta.fields, "area_m2", "people"]


class BuildingRowSerializer(BuildingRefSerializer):
    dwelling_count = serializers.IntegerField()

    class Meta(BuildingRefSerializer.Meta):
        fields = [*BuildingRefSerializer.Meta.fields, "floors", "use", "dwelling_count"]


class OrganisationRowSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "credit_code", "name", "kind", "dwelling_id", "representative"]


class ParcelDetailSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    grid_code = serializers.CharField()
    lon = serializers.FloatField(help_text=_("A point on the parcel (WGS84)."))
    lat = serializers.FloatField()
    location = serializers.DictField(child=RegistryRegionSerializer(allow_null=True))
    buildings = BuildingRowSerializer(many=True)


class BuildingDetailSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    address = serializers.CharField()
    floors = serializers.IntegerField()
    underground_floors = serializers.IntegerField()
    use = serializers.CharField()
    lon = serializers.FloatField(help_text=_("A point on the footprint (WGS84)."))
    lat = serializers.FloatField()
    parcel = ParcelRefSerializer(allow_null=True)
    location = serializers.DictField(child=RegistryRegionSerializer(allow_null=True))
    dwellings = DwellingRowSerializer(many=True)
    organisations = OrganisationRowSerializer(many=True)


class LinkOutSerializer(serializers.Serializer):
    """A person's link to a dwelling, with the person as may be shown."""

    id = serializers.IntegerField()
    role = serializers.CharField()
    since = serializers.DateField(allow_null=True)
    until = serializers.DateField(allow_null=True)
    dwelling = DwellingRefSerializer()
    person = PersonOutSerializer()


class DwellingDetailSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    unit = serializers.CharField()
    floor = serializers.IntegerField()
    room = serializers.CharField()
    use = serializers.CharField()
    building = BuildingRefSerializer()
    parcel = ParcelRefSerializer(allow_null=True)
    people = LinkOutSerializer(many=True)


class ChainLinkSerializer(serializers.Serializer):
    """Up the chain from a person: the dwelling, its building and the building's parcel."""

    id = serializers.IntegerField()
    role = serializers.CharField()
    since = serializers.DateField(allow_null=True)
    dwelling = DwellingRefSerializer()
    building = BuildingRefSerializer()
    parcel = ParcelRefSerializer(allow_null=True)


class PersonDetailSerializer(serializers.Serializer):
    person = PersonOutSerializer()
    dwellings = ChainLinkSerializer(many=True)
    location = serializers.DictField(
        child=RegistryRegionSerializer(allow_null=True),
        help_text=_("grid, community, street and district the person lives in."),
    )


class KeyGroupCountSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    count = serializers.IntegerField()


class AccessLogSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username")
    purpose = serializers.ChoiceField(choices=ReadPurpose.choices)

    class Meta:
        model = PersonAccessLog
        fields = [
            "id",
            "username",
            "role",
            "person_id",
            "grid_code",
            "purpose",
            "full",
            "reason",
            "accessed_at",
            "request_id",
            "ip",
        ]

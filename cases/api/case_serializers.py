"""Case API serializers: parse requests into service arguments, render cases and their history.

Nothing here decides anything about a case: the services (cases.services, cases.intake) do.
"""

from __future__ import annotations

from typing import Any

from django.contrib.gis.geos import Point
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases.api.files import AttachmentUrlsMixin
from cases.intake import ContactView, mask_name
from cases.models import (
    Attachment,
    Case,
    CaseEvent,
    HandlingLevel,
    LimitUnit,
    SourceChannel,
    Urgency,
)
from cases.services import MAX_DESCRIPTION, ReportInput
from cases.workflow import Action, Transition
from grids.emergency import grid_inspector_ids
from grids.models import Role, Unit, User

MAX_ATTACHMENTS = 20
MAX_PHOTOS = 9
MAX_NOTE = 2000

# --- shared pieces ----------------------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    """The one error body (cases.api.errors)."""

    code = serializers.CharField()
    message = serializers.CharField()
    errors = serializers.DictField(help_text=_("Messages per field."))
    current_version = serializers.IntegerField(
        required=False, help_text=_("With version_conflict: the case's version now.")
    )


@extend_schema_field(
    {
        "oneOf": [{"type": "integer"}, {"type": "string"}],
        "description": "A catalogue item's id, or its code (e.g. S010201).",
    }
)
class ItemRefField(serializers.Field):
    """A catalogue item by id or by code; the service decides whether it may be used."""

    default_error_messages = {"unknown": _("Unknown catalogue item.")}

    def to_internal_value(self, data: Any) -> int:
        from cases.models import Item

        if isinstance(data, bool):
            self.fail("unknown")
        if isinstance(data, int):
            return data
        if not isinstance(data, str) or not data.strip() or len(data) > 20:
            self.fail("unknown")
        value = data.strip()
        if value.isdigit():
            return int(value)
        pk = Item.objects.filter(code=value).values_list("pk", flat=True).first()
        if pk is None:
            self.fail("unknown")
        return int(pk or 0)

    def to_representation(self, value: Any) -> Any:
        return value


def _lon() -> serializers.FloatField:
    return serializers.FloatField(
        min_value=-180, max_value=180, help_text=_("WGS84 longitude (GPS / BeiDou, not GCJ-02)")
    )


def _lat() -> serializers.FloatField:
    return serializers.FloatField(min_value=-90, max_value=90, help_text=_("WGS84 latitude"))


def _attachment_ids() -> serializers.ListField:
    return serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        max_length=MAX_ATTACHMENTS,
        required=False,
        default=list,
        help_text=_("Photos uploaded first through POST /api/v1/attachments/."),
    )


def _photos() -> serializers.ListField:
    return serializers.ListField(
        child=serializers.FileField(allow_empty_file=False),
        max_length=MAX_PHOTOS,
        required=False,
        default=list,
        help_text=_("Photo files (JPEG, PNG, HEIC), sent with the request."),
    )


def inline_enum(choices: list[str], **kwargs: Any) -> serializers.ChoiceField:
    """A choice field documented as an inline enum: the same choice set under another field
    name (grids' `level`, the case `status`) would otherwise clash in the schema components."""
    return extend_schema_field({"type": "string", "enum": list(choices)})(
        serializers.ChoiceField(choices=choices, **kwargs)
    )


def _request_id() -> serializers.CharField:
    return serializers.CharField(
        min_length=1,
        max_length=64,
        help_text=_("Client-generated id (a UUID): the same id twice is one action."),
    )


# --- reports ----------------------------------------------------------------------------------


class ReportSerializer(serializers.Serializer):
    """A staff report from the handheld (JSON; photos uploaded first, referred to by id)."""

    request_id = _request_id()
    source = serializers.ChoiceField(choices=SourceChannel.choices, default=SourceChannel.INSPECTOR)
    item = ItemRefField()
    condition = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, help_text=_("Filing condition id.")
    )
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.NORMAL)
    description = serializers.CharField(min_length=1, max_length=MAX_DESCRIPTION)
    lon = _lon()
    lat = _lat()
    address = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    self_handled = serializers.BooleanField(
        default=False, help_text=_("Fixed on the spot: the case is reported and closed at once.")
    )
    note = serializers.CharField(max_length=MAX_NOTE, required=False, allow_blank=True, default="")
    attachment_ids = _attachment_ids()

    def report_input(self) -> ReportInput:
        data = self.validated_data
        return ReportInput(
            source=data["source"],
            item_id=data["item"],
            condition_id=data.get("condition"),
            urgency=data["urgency"],
            description=data["description"],
            point=Point(data["lon"], data["lat"], srid=4326),
            address=data["address"],
            attachment_ids=tuple(data["attachment_ids"]),
        )


class ReportFormSerializer(ReportSerializer):
    """The same report as multipart/form-data, with the photo files in `photos`."""

    photos = _photos()


# --- actions ----------------------------------------------------------------------------------


class ActionSerializer(serializers.Serializer):
    action = serializers.CharField(
        min_length=1, max_length=32, help_text=_("An action from GET …/actions/.")
    )
    payload = extend_schema_field({"type": "object", "additionalProperties": True})(
        serializers.JSONField(
            required=False, default=dict, help_text=_("The action's fields (see payload_fields).")
        )
    )
    version = serializers.IntegerField(
        min_value=1, help_text=_("The case version the action was decided on.")
    )
    request_id = _request_id()
    note = serializers.CharField(max_length=MAX_NOTE, required=False, allow_blank=True, default="")
    lon = serializers.FloatField(min_value=-180, max_value=180, required=False, allow_null=True)
    lat = serializers.FloatField(min_value=-90, max_value=90, required=False, allow_null=True)
    attachment_ids = _attachment_ids()

    def validate_payload(self, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise serializers.ValidationError(_("An object is required."))
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if (attrs.get("lon") is None) != (attrs.get("lat") is None):
            missing = "lat" if attrs.get("lat") is None else "lon"
            raise serializers.ValidationError({missing: [_("Give both lon and lat, or neither.")]})
        return attrs

    def point(self) -> Point | None:
        data = self.validated_data
        if data.get("lon") is None:
            return None
        return Point(data["lon"], data["lat"], srid=4326)


class ActionFormSerializer(ActionSerializer):
    """The same action as multipart/form-data (payload as a JSON string), with `photos`."""

    photos = _photos()


class ContactQuerySerializer(serializers.Serializer):
    reason = serializers.CharField(
        min_length=1,
        max_length=255,
        help_text=_("Why the whole contact is needed (kept in the access log)."),
    )


# --- intake -----------------------------------------------------------------------------------


class ContactInSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    phone = serializers.RegexField(
        r"^\+?[0-9][0-9 \-]{2,28}$",
        max_length=30,
        required=False,
        allow_blank=True,
        default="",
        error_messages={"invalid": _("Digits, spaces and dashes, optionally starting with +.")},
    )


class IntakeSerializer(serializers.Serializer):
    source = serializers.ChoiceField(
        choices=SourceChannel.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text=_(
            "The channel. Ignored with an agency key (the key's channel); citizens' accounts: "
            "citizen_app (default), web or wechat."
        ),
    )
    item = ItemRefField()
    condition = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.NORMAL)
    description = serializers.CharField(min_length=1, max_length=MAX_DESCRIPTION)
    lon = _lon()
    lat = _lat()
    address = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    contact = ContactInSerializer(required=False, help_text=_("The caller: personal data."))
    external_id = serializers.CharField(
        max_length=48,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Your system's ticket number: sending it again returns the same case."),
    )
    request_id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    attachment_ids = _attachment_ids()

    def report_input(self) -> ReportInput:
        data = self.validated_data
        contact = data.get("contact") or {}
        return ReportInput(
            source=data["source"],
            item_id=data["item"],
            condition_id=data.get("condition"),
            urgency=data["urgency"],
            description=data["description"],
            point=Point(data["lon"], data["lat"], srid=4326),
            address=data["address"],
            contact_name=contact.get("name", ""),
            contact_phone=contact.get("phone", ""),
            attachment_ids=tuple(data["attachment_ids"]),
        )


class CaseRegionSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()


class CaseLocationSerializer(serializers.Serializer):
    grid = CaseRegionSerializer()
    community = CaseRegionSerializer()
    street = CaseRegionSerializer()
    district = CaseRegionSerializer()


class DuplicateSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="case.pk")
    number = serializers.CharField(source="case.number")
    status = serializers.CharField(source="case.status")
    reported_at = serializers.DateTimeField(source="case.reported_at")
    distance_m = serializers.FloatField()


class IntakeResultSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="case.pk")
    number = serializers.CharField(source="case.number")
    status = serializers.CharField(source="case.status")
    source = serializers.CharField(source="case.source")
    location = CaseLocationSerializer()
    duplicates = DuplicateSerializer(
        many=True, help_text=_("Open cases of the same item nearby, nearest first.")
    )


# --- rendering a case -------------------------------------------------------------------------


class ItemOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class UnitRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CaseListSerializer(serializers.ModelSerializer):
    item = ItemOutSerializer()
    grid = serializers.CharField(source="grid_id", help_text=_("Unit grid code."))
    handling_level = inline_enum(HandlingLevel.values, read_only=True)
    handling_unit = UnitRefSerializer(allow_null=True)

    class Meta:
        model = Case
        fields = [
            "id",
            "number",
            "status",
            "urgency",
            "item",
            "address",
            "point",
            "grid",
            "handling_level",
            "handling_unit",
            "reported_at",
            "stage_due_at",
            "stage_warn_at",
            "version",
        ]


class AttachmentSerializer(AttachmentUrlsMixin, serializers.ModelSerializer):
    class Meta:
        model = Attachment
        fields = [
            "id",
            "url",
            "thumbnail_url",
            "content_type",
            "width",
            "height",
            "size",
            "taken_at",
            "created_at",
        ]


# Standings that are not posts: the deadline sweeper, a citizen or agency, a case's reporter.
OTHER_ROLE_LABELS = {
    "system": _("System"),
    "citizen": _("Citizen or agency"),
    "reporter": _("Reporter"),
}


class ActorSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    role = serializers.CharField()
    role_label = serializers.CharField()


def _actor(event: CaseEvent) -> dict[str, Any]:
    role = event.actor_role
    label = Role(role).label if role in Role.values else OTHER_ROLE_LABELS.get(role, role)
    actor = event.actor
    if actor is None:
        return {"id": None, "name": str(_("System")), "role": role, "role_label": str(label)}
    name = actor.get_full_name() or actor.get_username()
    # A citizen's own name is personal data; an agency's service account is named after it.
    if role in ("citizen", "reporter") and not hasattr(actor, "agency_key"):
        name = mask_name(name)
    return {"id": actor.pk, "name": name, "role": role, "role_label": str(label)}


class EventSerializer(serializers.ModelSerializer):
    action_label = serializers.SerializerMethodField()
    actor = serializers.SerializerMethodField()
    handling_unit = UnitRefSerializer(allow_null=True)
    attachments = AttachmentSerializer(many=True)

    class Meta:
        model = CaseEvent
        fields = [
            "id",
            "action",
            "action_label",
            "actor",
            "created_at",
            "from_status",
            "to_status",
            "from_level",
            "to_level",
            "handling_unit",
            "note",
            "point",
            "data",
            "version",
            "attachments",
        ]

    def get_action_label(self, event: CaseEvent) -> str:
        from cases.workflow import TRANSITIONS

        try:
            return str(TRANSITIONS[Action(event.action)].label)
        except ValueError:
            return event.action

    @extend_schema_field(ActorSerializer)
    def get_actor(self, event: CaseEvent) -> dict[str, Any]:
        return _actor(event)


# --- what the user may do now -----------------------------------------------------------------


class ChoiceSerializer(serializers.Serializer):
    value = serializers.JSONField()
    label = serializers.CharField()


class PayloadFieldSerializer(serializers.Serializer):
    name = serializers.CharField()
    type = serializers.ChoiceField(choices=["boolean", "integer", "number", "string"])
    required = serializers.BooleanField()
    help = serializers.CharField()
    choices = ChoiceSerializer(many=True, required=False)
    suggested = serializers.JSONField(required=False, allow_null=True)


class ActionHintSerializer(serializers.Serializer):
    action = serializers.CharField()
    label = serializers.CharField()
    needs_note = serializers.BooleanField()
    photos = serializers.BooleanField(help_text=_("Whether photos belong with this action."))
    payload_fields = PayloadFieldSerializer(many=True)


def _field(name: str, type_: str, help_text: Any, required: bool = True) -> dict[str, Any]:
    # help_text stays lazy: it is translated per request, in the reader's language.
    return {"name": name, "type": type_, "required": required, "help": help_text}


def _translated(spec: dict[str, Any]) -> dict[str, Any]:
    """A payload field hint with its words in the active language."""
    field = {**spec, "help": str(spec["help"])}
    if "choices" in spec:
        field["choices"] = [{**c, "label": str(c["label"])} for c in spec["choices"]]
    return field


# The payload each action's handler reads (cases/handlers.py), as hints for clients.
PAYLOAD_FIELDS: dict[str, list[dict[str, Any]]] = {
    Action.SEND_VERIFY: [
        _field(
            "inspector_id",
            "integer",
            _("The inspector of the grid to send (default: all of the grid's inspectors)."),
            required=False,
        )
    ],
    Action.VERIFY: [_field("confirmed", "boolean", _("Was the problem found on site?"))],
    Action.MARK_DUPLICATE: [
        _field("original_case_id", "integer", _("The open case this one duplicates."))
    ],
    Action.DISPATCH: [_field("unit_id", "integer", _("The unit that will handle the case."))],
    Action.REQUEST_EXTENSION: [
        _field("value", "number", _("How much more time (at most 1000).")),
        {
            **_field("unit", "string", _("The unit of the extra time.")),
            "choices": [{"value": v, "label": lbl} for v, lbl in LimitUnit.choices],
        },
    ],
    Action.CLOSE_EXCEPTIONALLY: [
        {
            **_field("closure_kind", "string", _("Why the case closes without a check.")),
            "choices": [
                {"value": "erroneous", "label": str(_("Erroneous"))},
                {"value": "special", "label": str(_("Special"))},
            ],
        }
    ],
    Action.RATE: [
        _field("rating", "integer", _("Satisfaction from 1 to 5.")),
        _field("comment", "string", _("The citizen's words."), required=False),
    ],
}
# Feedback's handler insists on a note (how it was handled) though the table does not.
NOTE_REQUIRED = frozenset({Action.FEEDBACK})
# The actions whose record is a photo of the site: the handling, the verification, the check.
# (The actions endpoint takes photos with any action; these are the ones a form offers them on.)
PHOTO_ACTIONS = frozenset(
    {Action.SELF_HANDLE, Action.VERIFY, Action.FEEDBACK, Action.CHECK_PASS, Action.CHECK_FAIL}
)


def _units() -> QuerySet[Unit]:
    return Unit.objects.filter(is_active=True).order_by("kind", "code")


def action_hints(case: Case, rows: list[Transition]) -> list[dict[str, Any]]:
    """What a client needs to offer the actions: label, whether a note is needed, the fields.

    The dispatch hint lists the active units (a district has a few dozen) and suggests the
    catalogue item's responsible unit.
    """
    hints = []
    for row in rows:
        fields = [_translated(f) for f in PAYLOAD_FIELDS.get(row.action, [])]
        if row.action is Action.SEND_VERIFY:
            # "" sends it to the whole grid (the field is left out of the payload).
            fields[0]["choices"] = [
                {"value": "", "label": str(_("All inspectors of the grid"))},
                *(
                    {"value": user.pk, "label": user.get_full_name() or user.get_username()}
                    for user in User.objects.filter(
                        pk__in=grid_inspector_ids(case.grid_id)
                    ).order_by("username")
                ),
            ]
        if row.action is Action.DISPATCH:
            fields[0]["choices"] = [
                {"value": unit.pk, "label": unit.name} for unit in _units().only("pk", "name")
            ]
            fields[0]["suggested"] = case.item.default_unit_id
        hints.append(
            {
                "action": str(row.action),
                "label": str(row.label),
                "needs_note": row.note_required or row.action in NOTE_REQUIRED,
                "photos": row.action in PHOTO_ACTIONS,
                "payload_fields": fields,
            }
        )
    return hints


class ContactOutSerializer(serializers.Serializer):
    name = serializers.CharField()
    phone = serializers.CharField()
    masked = serializers.BooleanField()


class CaseDetailSerializer(serializers.ModelSerializer):
    """Everything about a case the user may see; the context carries what the view read:
    timeline, actions, contact (already access-checked and logged) and location."""

    item = ItemOutSerializer()
    condition = serializers.SerializerMethodField()
    handling_level = inline_enum(HandlingLevel.values, read_only=True)
    handling_unit = UnitRefSerializer(allow_null=True)
    location = serializers.SerializerMethodField()
    contact = serializers.SerializerMethodField()
    attachments = serializers.SerializerMethodField()
    timeline = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "id",
            "number",
            "source",
            "status",
            "item",
            "condition",
            "urgency",
            "description",
            "address",
            "point",
            "location",
            "handling_level",
            "handling_unit",
            "closure_kind",
            "pending_request",
            "pending_request_data",
            "duplicate_of",
            "verified",
            "version",
            "reported_at",
            "filed_at",
            "dispatched_at",
            "handled_at",
            "closed_at",
            "stage",
            "stage_started_at",
            "stage_warn_at",
            "stage_due_at",
            "case_warn_at",
            "case_due_at",
            "suspended_at",
            "reworks_count",
            "extensions_count",
            "returns_count",
            "rating",
            "rating_comment",
            "contact",
            "attachments",
            "timeline",
            "actions",
        ]

    @extend_schema_field(
        {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "code": {"type": "string"},
                "description": {"type": "string"},
            },
        }
    )
    def get_condition(self, case: Case) -> dict[str, Any]:
        condition = case.condition
        return {"id": condition.pk, "code": condition.code, "description": condition.description}

    @extend_schema_field(CaseLocationSerializer)
    def get_location(self, case: Case) -> dict[str, Any]:
        return self.context["location"]

    @extend_schema_field(ContactOutSerializer(allow_null=True))
    def get_contact(self, case: Case) -> dict[str, Any] | None:
        contact: ContactView | None = self.context.get("contact")
        if contact is None:
            return None
        return {"name": contact.name, "phone": contact.phone, "masked": contact.masked}

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_attachments(self, case: Case) -> list[dict[str, Any]]:
        attachments = [a for event in self.context["timeline"] for a in event.attachments.all()]
        return AttachmentSerializer(attachments, many=True, context=self.context).data

    @extend_schema_field(EventSerializer(many=True))
    def get_timeline(self, case: Case) -> list[dict[str, Any]]:
        return EventSerializer(self.context["timeline"], many=True, context=self.context).data

    @extend_schema_field(ActionHintSerializer(many=True))
    def get_actions(self, case: Case) -> list[dict[str, Any]]:
        return self.context["actions"]

"""Case API serializers: parse requests into service arguments, render cases and their history.

Nothing here decides anything about a case: the services (cases.services, cases.intake) do.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.gis.geos import Point
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases.api.files import AttachmentUrlsMixin
from cases.handlers import active_co_handlings, co_unit_candidates
from cases.intake import ContactView, mask_name
from cases.models import (
    Attachment,
    Case,
    CaseEvent,
    CoHandling,
    HandlingLevel,
    Item,
    RequestType,
    SourceChannel,
    Supervision,
    Urgency,
)
from cases.routing import suggest_unit
from cases.selectors import case_qs_for_user, duplicate_candidates
from cases.services import MAX_DESCRIPTION, ReportInput
from cases.tables import tables
from cases.workflow import Action, Emphasis, PayloadField, Transition
from config import api
from grids.emergency import grid_inspector_ids
from grids.models import Role, Unit, UnitKind, User

MAX_ATTACHMENTS = 20
MAX_PHOTOS = 9
MAX_NOTE = 2000

# --- shared pieces ----------------------------------------------------------------------------


ErrorSerializer = api.ErrorSerializer  # the one error body, documented once (config.api)


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
        if isinstance(data, bool):
            self.fail("unknown")
        if isinstance(data, int):
            return data
        if not isinstance(data, str) or not data.strip() or len(data) > 20:
            self.fail("unknown")
        value = data.strip()
        if value.isdigit():
            return int(value)
        pk = tables().item_ids.get(value)  # the catalogue's codes, cached
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


def request_type_field() -> serializers.ChoiceField:
    """What the reporter asks for: a problem (the default), a request for help, a suggestion."""
    return serializers.ChoiceField(
        choices=RequestType.choices,
        default=RequestType.PROBLEM,
        help_text=_("problem, help (a request for help) or suggestion."),
    )


def _asset_id() -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        required=False,
        allow_null=True,
        default=None,
        help_text=_(
            "The city component the report is about (an id from GET /api/v1/assets/?near=…): "
            "it must stand near the point, in the district, and be of the item's class."
        ),
    )


def _keep_at_district() -> serializers.CharField:
    # The service says what is wrong with any other value (a field error on handling_level).
    return serializers.CharField(
        max_length=10,
        required=False,
        allow_blank=True,
        default="",
        help_text=_(
            "“district”: a district intake operator keeps the case at the district. Left out, "
            "the case starts at its item's entry level (urgent cases: the district)."
        ),
    )


def _request_id() -> serializers.CharField:
    return serializers.CharField(
        min_length=1,
        max_length=64,
        help_text=_("Client-generated id (a UUID): the same id twice is one action."),
    )


# --- reports ----------------------------------------------------------------------------------


class ReportSerializer(api.FieldsOnce, serializers.Serializer):
    """A staff report from the handheld (JSON; photos uploaded first, referred to by id)."""

    request_id = _request_id()
    source = serializers.ChoiceField(choices=SourceChannel.choices, default=SourceChannel.INSPECTOR)
    item = ItemRefField()
    condition = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, help_text=_("Filing condition id.")
    )
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.NORMAL)
    request_type = request_type_field()
    description = serializers.CharField(min_length=1, max_length=MAX_DESCRIPTION)
    lon = _lon()
    lat = _lat()
    address = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    self_handled = serializers.BooleanField(
        default=False, help_text=_("Fixed on the spot: the case is reported and closed at once.")
    )
    note = serializers.CharField(max_length=MAX_NOTE, required=False, allow_blank=True, default="")
    attachment_ids = _attachment_ids()
    asset_id = _asset_id()
    handling_level = _keep_at_district()

    def report_input(self) -> ReportInput:
        data = self.validated_data
        return ReportInput(
            source=data["source"],
            item_id=data["item"],
            condition_id=data.get("condition"),
            urgency=data["urgency"],
            request_type=data["request_type"],
            description=data["description"],
            point=Point(data["lon"], data["lat"], srid=4326),
            address=data["address"],
            attachment_ids=tuple(data["attachment_ids"]),
            asset_id=data.get("asset_id"),
            handling_level=data["handling_level"],
        )


class ReportFormSerializer(ReportSerializer):
    """The same report as multipart/form-data, with the photo files in `photos`."""

    photos = _photos()


# --- actions ----------------------------------------------------------------------------------


class ActionSerializer(api.FieldsOnce, serializers.Serializer):
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


class ContactInSerializer(api.FieldsOnce, serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    phone = serializers.RegexField(
        r"^\+?[0-9][0-9 \-]{2,28}$",
        max_length=30,
        required=False,
        allow_blank=True,
        default="",
        error_messages={"invalid": _("Digits, spaces and dashes, optionally starting with +.")},
    )


class IntakeSerializer(api.FieldsOnce, serializers.Serializer):
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
    sub_channel = serializers.CharField(
        max_length=50,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("The line or platform within the channel (e.g. one of the merged hotlines)."),
    )
    item = ItemRefField()
    condition = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.NORMAL)
    request_type = request_type_field()
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
    asset_id = _asset_id()
    handling_level = _keep_at_district()

    def report_input(self) -> ReportInput:
        data = self.validated_data
        contact = data.get("contact") or {}
        return ReportInput(
            handling_level=data["handling_level"],
            source=data["source"],
            sub_channel=data["sub_channel"],
            item_id=data["item"],
            condition_id=data.get("condition"),
            urgency=data["urgency"],
            request_type=data["request_type"],
            description=data["description"],
            point=Point(data["lon"], data["lat"], srid=4326),
            address=data["address"],
            contact_name=contact.get("name", ""),
            contact_phone=contact.get("phone", ""),
            attachment_ids=tuple(data["attachment_ids"]),
            asset_id=data.get("asset_id"),
        )


class CaseRegionSerializer(api.FieldsOnce, serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()


class CaseLocationSerializer(api.FieldsOnce, serializers.Serializer):
    grid = CaseRegionSerializer()
    community = CaseRegionSerializer()
    street = CaseRegionSerializer()
    district = CaseRegionSerializer()


class DuplicateSerializer(api.FieldsOnce, serializers.Serializer):
    id = serializers.IntegerField(source="case.pk")
    number = serializers.CharField(source="case.number")
    status = serializers.CharField(source="case.status")
    reported_at = serializers.DateTimeField(source="case.reported_at")
    distance_m = serializers.FloatField()


class IntakeResultSerializer(api.FieldsOnce, serializers.Serializer):
    id = serializers.IntegerField(source="case.pk")
    number = serializers.CharField(source="case.number")
    status = serializers.CharField(source="case.status")
    source = serializers.CharField(source="case.source")
    sub_channel = serializers.CharField(
        source="case.sub_channel",
        help_text=_("The line or platform within the channel, as reported (may be blank)."),
    )
    location = CaseLocationSerializer()
    duplicates = DuplicateSerializer(
        many=True, help_text=_("Open cases of the same item nearby, nearest first.")
    )


# --- rendering a case -------------------------------------------------------------------------


class ItemOutSerializer(api.FieldsOnce, serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class UnitRefSerializer(api.FieldsOnce, serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CaseListSerializer(api.FieldsOnce, serializers.ModelSerializer):
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


class AttachmentSerializer(api.FieldsOnce, AttachmentUrlsMixin, serializers.ModelSerializer):
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


class EventSerializer(api.FieldsOnce, serializers.ModelSerializer):
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
    group = serializers.CharField(
        required=False, help_text=_("The heading the choice sits under (a unit's kind).")
    )


class PayloadFieldSerializer(serializers.Serializer):
    name = serializers.CharField()
    type = serializers.ChoiceField(
        choices=["boolean", "integer", "number", "string", "text", "date", "point"],
        help_text=_("text: several lines; point: {lon, lat} in WGS84."),
    )
    required = serializers.BooleanField()
    label = serializers.CharField(help_text=_("What a form calls the field."))
    help = serializers.CharField(help_text=_("What the field is for, in a sentence."))
    choices = ChoiceSerializer(many=True, required=False)
    suggested = serializers.JSONField(required=False, allow_null=True)


class ActionHintSerializer(serializers.Serializer):
    action = serializers.CharField()
    label = serializers.CharField()
    needs_note = serializers.BooleanField()
    photos = serializers.BooleanField(help_text=_("Whether photos belong with this action."))
    emphasis = serializers.ChoiceField(
        choices=[e.value for e in Emphasis],
        help_text=_(
            "primary: the next step of the loop; destructive: ends the case without handling "
            "it (confirm first)."
        ),
    )
    confirm = serializers.BooleanField(
        help_text=_(
            "Ask the user to confirm before sending it: every destructive action, and those "
            "that hand the case away for good (push_down)."
        )
    )
    confirm_text = serializers.CharField(
        allow_blank=True,
        help_text=_(
            "What the confirmation says, with %(number)s for the case number; blank: the "
            "client's own words for a destructive action."
        ),
    )
    payload_fields = PayloadFieldSerializer(many=True)


# How many likely duplicates the mark-duplicate hint offers.
DUPLICATE_CHOICES = 10
# A supervision's suggested due date: this many days from today.
SUPERVISION_DAYS = 3


def _user_label(user: User) -> str:
    return user.get_full_name() or user.get_username()


def _source_choices(source: str, case: Case, user: Any) -> tuple[list[dict[str, Any]], Any]:
    """The choices (and the suggestion) a field's source names, for this case and user."""
    if source == "units":
        units = Unit.objects.filter(is_active=True).order_by("kind", "code")
        suggested = suggest_unit(case)
        return _unit_choices(units), (suggested.pk if suggested is not None else None)
    if source == "items":
        items = Item.objects.filter(is_active=True).select_related("domain").order_by("code")
        return [
            {"value": i.pk, "label": f"{i.code} {i.name}", "group": i.domain.name} for i in items
        ], case.item_id
    if source == "grid_inspectors":
        inspectors = User.objects.filter(pk__in=grid_inspector_ids(case.grid_id)).order_by(
            "username"
        )
        # "" sends it to the whole grid (the field is left out of the payload).
        return [
            {"value": "", "label": str(_("All inspectors of the grid"))},
            *({"value": u.pk, "label": _user_label(u)} for u in inspectors),
        ], None
    if source == "duplicates":
        candidates = duplicate_candidates(
            item=case.item,
            point=case.point,
            at=case.reported_at,
            exclude_case_id=case.pk,
            limit=DUPLICATE_CHOICES,
        )
        visible = set(
            case_qs_for_user(user)
            .filter(pk__in=[c.pk for c in candidates])
            .values_list("pk", flat=True)
        )
        choices = [
            {"value": c.pk, "label": f"{c.number} · {c.address or c.item.name}"}
            for c in candidates
            if c.pk in visible
        ]
        return choices, (choices[0]["value"] if choices else None)
    if source == "co_units_to_add":
        return _unit_choices(co_unit_candidates(case).order_by("kind", "code")), None
    if source == "co_units":
        parts = active_co_handlings(case).select_related("unit").order_by("added_at", "pk")
        return [{"value": p.unit_id, "label": p.unit.name} for p in parts], None
    raise ValueError(f"unknown payload source {source!r}")  # pragma: no cover - a table bug


def _unit_choices(units: Any) -> list[dict[str, Any]]:
    """Units under their kind (departments, street offices), for a grouped, searchable list."""
    return [
        {"value": u.pk, "label": u.name, "group": str(UnitKind(u.kind).label)}
        for u in units.only("pk", "name", "kind")
    ]


def _field_hint(spec: PayloadField, case: Case, user: Any) -> dict[str, Any]:
    """A payload field as a client shows it, its words in the reader's language."""
    hint: dict[str, Any] = {
        "name": spec.name,
        "type": spec.type,
        "required": spec.required,
        "label": str(spec.label),
        "help": str(spec.help),
    }
    if spec.choices:
        hint["choices"] = [{"value": c.value, "label": str(c.label)} for c in spec.choices]
    if spec.source.startswith("case."):
        # A correction starts from what the case says now.
        hint["suggested"] = getattr(case, spec.source.removeprefix("case."))
    elif spec.source:
        hint["choices"], suggested = _source_choices(spec.source, case, user)
        if suggested is not None:
            hint["suggested"] = suggested
    if spec.type == "date":
        today = timezone.localdate()
        hint["suggested"] = (today + timedelta(days=SUPERVISION_DAYS)).isoformat()
    return hint


def _possible(hint: dict[str, Any]) -> bool:
    """A required field offered with choices must have one (no unit to add: no action)."""
    return not (
        hint["required"]
        and "choices" in hint
        and not [c for c in hint["choices"] if c["value"] != ""]
    )


def action_hints(case: Case, rows: list[Transition], user: Any) -> list[dict[str, Any]]:
    """What a client needs to offer the actions: label, whether a note is needed, photos, and
    the payload fields with their words, choices and suggestions (all from the workflow
    table). An action whose required field has no possible value now is left out."""
    hints = []
    for row in rows:
        fields = [_field_hint(spec, case, user) for spec in row.fields]
        if not all(_possible(field) for field in fields):
            continue
        hints.append(
            {
                "action": str(row.action),
                "label": str(row.label),
                "needs_note": row.note_required,
                "photos": row.photos,
                "emphasis": str(row.emphasis),
                "confirm": row.asks_confirmation,
                "confirm_text": str(row.confirm) if row.confirm is not None else "",
                "payload_fields": fields,
            }
        )
    return hints


class ContactOutSerializer(serializers.Serializer):
    name = serializers.CharField()
    phone = serializers.CharField()
    masked = serializers.BooleanField()


class CaseAssetSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField(help_text=_("16 digits: admin code, major, minor, serial."))
    name = serializers.CharField()
    major_class = serializers.CharField()
    minor_class = serializers.CharField()
    lon = serializers.FloatField()
    lat = serializers.FloatField()
    maintenance_unit = UnitRefSerializer()


class CoHandlerSerializer(api.FieldsOnce, serializers.ModelSerializer):
    """A unit co-handling the case (联办) and how far its part has got."""

    unit = UnitRefSerializer()
    active = serializers.BooleanField(source="is_active")

    class Meta:
        model = CoHandling
        fields = [
            "unit",
            "active",
            "added_at",
            "signed_at",
            "fed_back_at",
            "feedback_note",
            "removed_at",
        ]


class SupervisionSerializer(api.FieldsOnce, serializers.ModelSerializer):
    """A supervision (督办) of the case: who, when, until when, and whether it is overdue."""

    created_by = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Supervision
        fields = [
            "id",
            "kind",
            "created_by",
            "created_at",
            "stage",
            "from_level",
            "to_level",
            "escalated",
            "note",
            "due_at",
            "settled_at",
            "overdue",
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_created_by(self, supervision: Supervision) -> str | None:
        user = supervision.created_by
        return _user_label(user) if user is not None else None

    def get_overdue(self, supervision: Supervision) -> bool:
        return supervision_overdue(supervision)


def supervision_overdue(supervision: Supervision, now: Any = None) -> bool:
    """Open past its due date (an automatic supervision has none: it is about lateness)."""
    now = now or timezone.now()
    return (
        supervision.settled_at is None
        and supervision.due_at is not None
        and supervision.due_at < now
    )


class CaseDetailSerializer(api.FieldsOnce, serializers.ModelSerializer):
    """Everything about a case the user may see; the context carries what the view read:
    timeline, actions, contact (already access-checked and logged) and location."""

    item = ItemOutSerializer()
    asset = serializers.SerializerMethodField()
    condition = serializers.SerializerMethodField()
    handling_level = inline_enum(HandlingLevel.values, read_only=True)
    handling_unit = UnitRefSerializer(allow_null=True)
    location = serializers.SerializerMethodField()
    contact = serializers.SerializerMethodField()
    attachments = serializers.SerializerMethodField()
    timeline = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()
    co_handlers = serializers.SerializerMethodField()
    supervisions = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "id",
            "number",
            "source",
            "sub_channel",
            "status",
            "item",
            "condition",
            "urgency",
            "request_type",
            "description",
            "address",
            "point",
            "location",
            "asset",
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
            "co_handlers",
            "supervisions",
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

    @extend_schema_field(CaseAssetSerializer(allow_null=True))
    def get_asset(self, case: Case) -> dict[str, Any] | None:
        asset = case.asset
        if asset is None:
            return None
        unit = asset.maintenance_unit
        return {
            "id": asset.pk,
            "code": asset.code,
            "name": asset.name,
            "major_class": asset.major_class,
            "minor_class": asset.minor_class,
            "lon": asset.point.x,
            "lat": asset.point.y,
            "maintenance_unit": {"id": unit.pk, "name": unit.name},
        }

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

    @extend_schema_field(CoHandlerSerializer(many=True))
    def get_co_handlers(self, case: Case) -> list[dict[str, Any]]:
        return CoHandlerSerializer(self.context.get("co_handlers", []), many=True).data

    @extend_schema_field(SupervisionSerializer(many=True))
    def get_supervisions(self, case: Case) -> list[dict[str, Any]]:
        return SupervisionSerializer(self.context.get("supervisions", []), many=True).data

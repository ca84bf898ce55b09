"""Offline sync: a handheld's queued reports and actions, applied in order, one result each.

Each item is applied by the services in its own transaction, under a request id made from the
user and the item's client id, so a replayed batch writes nothing new and gets the same
results for the items that were applied. An item that fails does not roll back the others;
an item that depends on it (an action on the case it would have reported, or a later action
on the same case) is skipped. Failed items are not remembered: replaying retries them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import (
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.api.case_serializers import (
    ActionSerializer,
    ErrorSerializer,
    ReportSerializer,
)
from cases.api.cases import BodyLimits
from cases.errors import CaseError
from cases.models import CaseEvent
from cases.services import case_report, case_transition
from cases.workflow import Action
from config.api import JSONParser, error_body

MAX_ITEMS = 200
MAX_CLIENT_ID = 40
KINDS = ("report", "action")


def sync_request_id(user: AbstractBaseUser, client_id: str) -> str:
    """The request id an item is applied under: the same user and client id, the same id."""
    return f"sync:{user.pk}:{client_id}"


# --- items ------------------------------------------------------------------------------------


def _client_id() -> serializers.CharField:
    return serializers.CharField(
        min_length=1,
        max_length=MAX_CLIENT_ID,
        help_text=gettext_lazy("The handheld's id for the item, unique for the user (a UUID)."),
    )


def _device_time() -> serializers.DateTimeField:
    return serializers.DateTimeField(
        help_text=gettext_lazy("When it was done on the handheld (ISO 8601 with offset).")
    )


class SyncReportSerializer(ReportSerializer):
    """A report queued offline: the fields of POST /api/v1/cases/ (photos by id)."""

    request_id = None
    client_id = _client_id()
    kind = serializers.ChoiceField(choices=["report"])
    device_time = _device_time()


class SyncActionSerializer(ActionSerializer):
    """An action queued offline: the fields of POST /api/v1/cases/{id}/actions/, on a case by
    id or on one reported earlier from the handheld (by that report's client id)."""

    request_id = None
    client_id = _client_id()
    kind = serializers.ChoiceField(choices=["action"])
    device_time = _device_time()
    case_id = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    case_client_id = serializers.CharField(
        max_length=MAX_CLIENT_ID,
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy("A report's client id, earlier in this batch or in an earlier one."),
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if (attrs.get("case_id") is None) == (not attrs.get("case_client_id")):
            message = _("Give case_id or case_client_id (one of them).")
            raise serializers.ValidationError({"case_id": [message], "case_client_id": [message]})
        return attrs


SyncItem = PolymorphicProxySerializer(
    component_name="SyncItem",
    serializers={"report": SyncReportSerializer, "action": SyncActionSerializer},
    resource_type_field_name="kind",
    many=True,
)


@extend_schema_field(SyncItem)
class SyncItemsField(serializers.ListField):
    """Items are checked one by one when applied (a bad item is that item's error); the batch
    checks only what the results need: a client id each, unique, and a kind."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            child=serializers.DictField(), min_length=1, max_length=MAX_ITEMS, **kwargs
        )

    def to_internal_value(self, data: Any) -> list[dict[str, Any]]:
        items = super().to_internal_value(data)
        errors: dict[int, dict[str, list[str]]] = {}
        seen: set[str] = set()
        for index, item in enumerate(items):
            problems: dict[str, list[str]] = {}
            client_id = item.get("client_id")
            # No surrounding spaces: the client id is part of the request id, which is trimmed.
            if (
                not isinstance(client_id, str)
                or client_id != client_id.strip()
                or not 0 < len(client_id) <= MAX_CLIENT_ID
            ):
                problems["client_id"] = [
                    _("A string of 1–%(n)d characters.") % {"n": MAX_CLIENT_ID}
                ]
            elif client_id in seen:
                problems["client_id"] = [_("Used by another item of this batch.")]
            else:
                seen.add(client_id)
            if item.get("kind") not in KINDS:
                problems["kind"] = [_("report or action.")]
            if problems:
                errors[index] = problems
        if errors:
            raise serializers.ValidationError(errors)
        return items


class SyncBatchSerializer(serializers.Serializer):
    items = SyncItemsField()


class SyncResultSerializer(serializers.Serializer):
    client_id = serializers.CharField()
    # A plain string in the schema: an enum named "status" would clash with the case status's
    # (SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] could name both).
    status = serializers.CharField(help_text=gettext_lazy("ok, error or skipped."))
    case_id = serializers.IntegerField(allow_null=True)
    version = serializers.IntegerField(
        allow_null=True, help_text=gettext_lazy("The case version right after this item.")
    )
    error = ErrorSerializer(allow_null=True)


class SyncResponseSerializer(serializers.Serializer):
    results = SyncResultSerializer(many=True)


# --- applying a batch -------------------------------------------------------------------------


@dataclass
class _Batch:
    actor: AbstractBaseUser
    # client id → the case it reported or acted on (None when it failed or was skipped)
    applied: dict[str, int | None] = field(default_factory=dict)
    # cases on which an earlier item of the batch failed or was skipped
    blocked_cases: set[int] = field(default_factory=set)
    results: list[dict[str, Any]] = field(default_factory=list)

    def ok(self, client_id: str, case_id: int, request_id: str) -> None:
        version = (
            CaseEvent.objects.filter(request_id=request_id).values_list("version", flat=True).get()
        )
        self.applied[client_id] = case_id
        self.results.append(
            {
                "client_id": client_id,
                "status": "ok",
                "case_id": case_id,
                "version": version,
                "error": None,
            }
        )

    def fail(
        self, client_id: str, case_id: int | None, error: dict[str, Any], *, skipped: bool = False
    ) -> None:
        self.applied[client_id] = None
        if case_id is not None:
            self.blocked_cases.add(case_id)
        self.results.append(
            {
                "client_id": client_id,
                "status": "skipped" if skipped else "error",
                "case_id": case_id,
                "version": None,
                "error": error,
            }
        )


def _case_error(exc: CaseError) -> dict[str, Any]:
    extra = {k: v for k, v in exc.extra.items() if isinstance(v, str | int | float | bool)}
    return error_body(exc.code, exc.message, exc.field_errors, **extra)


def _invalid(errors: Any) -> dict[str, Any]:
    return error_body("invalid", _("The item has errors."), errors)


def _skipped(depends_on: str) -> dict[str, Any]:
    return error_body(
        "dependency_failed",
        _("Not applied: it depends on item %(client_id)s, which was not applied.")
        % {"client_id": depends_on},
    )


def _apply_report(batch: _Batch, item: dict[str, Any]) -> None:
    client_id = item["client_id"]
    form = SyncReportSerializer(data=item)
    if not form.is_valid():
        batch.fail(client_id, None, _invalid(form.errors))
        return
    request_id = sync_request_id(batch.actor, client_id)
    try:
        case = case_report(
            actor=batch.actor,
            data=form.report_input(),
            request_id=request_id,
            self_handled=form.validated_data["self_handled"],
            note=form.validated_data["note"],
        )
    except CaseError as exc:
        batch.fail(client_id, None, _case_error(exc))
        return
    batch.ok(client_id, case.pk, request_id)


def _reported_case_id(batch: _Batch, case_client_id: str) -> int | None:
    """The case a report from an earlier batch made, by that report's client id."""
    return (
        CaseEvent.objects.filter(
            request_id=sync_request_id(batch.actor, case_client_id),
            action__in=[Action.REPORT, Action.SELF_HANDLE],
        )
        .values_list("case_id", flat=True)
        .first()
    )


def _apply_action(batch: _Batch, item: dict[str, Any]) -> None:
    client_id = item["client_id"]
    form = SyncActionSerializer(data=item)
    if not form.is_valid():
        # A well-formed case id still names the case: later items on it are skipped.
        case_field = form.fields["case_id"]
        try:
            case_id = case_field.run_validation(item.get("case_id"))
        except serializers.ValidationError:
            case_id = None
        batch.fail(client_id, case_id, _invalid(form.errors))
        return
    data = form.validated_data
    case_id = data.get("case_id")
    depends_on = data["case_client_id"]
    if depends_on:
        if depends_on in batch.applied:
            case_id = batch.applied[depends_on]
            if case_id is None:
                batch.fail(client_id, None, _skipped(depends_on), skipped=True)
                return
        else:
            case_id = _reported_case_id(batch, depends_on)
            if case_id is None:
                batch.fail(
                    client_id,
                    None,
                    _invalid({"case_client_id": [_("No report of yours has this client id.")]}),
                )
                return
    if case_id in batch.blocked_cases:
        earlier = next(
            result["client_id"]
            for result in reversed(batch.results)
            if result["case_id"] == case_id and result["status"] != "ok"
        )
        batch.fail(client_id, case_id, _skipped(earlier), skipped=True)
        return
    request_id = sync_request_id(batch.actor, client_id)
    try:
        case = case_transition(
            case_id=case_id,
            action=data["action"],
            actor=batch.actor,
            request_id=request_id,
            expected_version=data["version"],
            payload=data["payload"],
            note=data["note"],
            point=form.point(),
            attachment_ids=data["attachment_ids"],
        )
    except CaseError as exc:
        batch.fail(client_id, case_id, _case_error(exc))
        return
    batch.ok(client_id, case.pk, request_id)


def sync_apply(*, actor: AbstractBaseUser, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Apply the items in order; one result per item, in the same order."""
    batch = _Batch(actor=actor)
    for item in items:
        if item["kind"] == "report":
            _apply_report(batch, item)
        else:
            _apply_action(batch, item)
    return batch.results


class SyncView(BodyLimits, APIView):
    """Apply a batch queued offline (at most 200 items), in order, one result per item."""

    parser_classes = [JSONParser]

    @extend_schema(
        request=SyncBatchSerializer,
        responses={
            200: SyncResponseSerializer,
            400: OpenApiResponse(ErrorSerializer, gettext_lazy("The batch itself is malformed.")),
            401: ErrorSerializer,
            413: ErrorSerializer,
            429: ErrorSerializer,
        },
    )
    def post(self, request: Request) -> Response:
        batch = SyncBatchSerializer(data=request.data)
        batch.is_valid(raise_exception=True)
        results = sync_apply(actor=request.user, items=batch.validated_data["items"])
        return Response({"results": results})

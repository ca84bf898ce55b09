"""Case endpoints: list and report, detail, actions, the reporter's contact, a unit's queue,
and the one-window intake. Parse, call a service or selector, render."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, generics, serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.api.case_serializers import (
    MAX_PHOTOS,
    ActionFormSerializer,
    ActionHintSerializer,
    ActionSerializer,
    CaseDetailSerializer,
    CaseListSerializer,
    ContactOutSerializer,
    ContactQuerySerializer,
    ErrorSerializer,
    IntakeResultSerializer,
    IntakeSerializer,
    ReportFormSerializer,
    ReportSerializer,
    action_hints,
)
from cases.intake import (
    case_act_submit,
    case_intake,
    case_location,
    case_queue_for_user,
    case_report_submit,
    contact_read,
)
from cases.models import OPEN_STATUSES, AgencyKey, Case, SourceChannel, Status, Urgency
from cases.selectors import case_events, case_get_for_user, case_qs_for_user
from cases.services import actions_available
from grids.geo import bbox_polygon, parse_bbox


class BodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"
    default_detail = _("The request body is too large.")


# A report or action may carry this many photos of the attachment size limit, plus its fields.
def _max_body_bytes() -> int:
    return MAX_PHOTOS * settings.ATTACHMENT_MAX_BYTES + settings.DATA_UPLOAD_MAX_MEMORY_SIZE


class BodyLimits:
    """Django's own body limits raise SuspiciousOperation (an HTML 400); answer them in the
    API's error body instead, and refuse a body declared too large before reading it."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > _max_body_bytes():
            raise BodyTooLarge()
        super().initial(request, *args, **kwargs)  # type: ignore[misc]

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, RequestDataTooBig):
            exc = BodyTooLarge()
        elif isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
            exc = exceptions.ParseError(str(exc))
        return super().handle_exception(exc)  # type: ignore[misc]


def _errors(*codes: int) -> dict[int, OpenApiResponse]:
    """The error responses an operation documents; every one may answer 401 and 429."""
    return {code: OpenApiResponse(ErrorSerializer) for code in sorted({401, 429, *codes})}


def _is_multipart(request: Request) -> bool:
    return (request.content_type or "").startswith("multipart/")


def _request_id_header(request: Request) -> str:
    return request.META.get("HTTP_X_REQUEST_ID", "")[:64]


def _client_ip(request: Request) -> str | None:
    # REMOTE_ADDR, not X-Forwarded-For (which the client can forge): behind a proxy, have the
    # proxy pass the client's address through.
    return request.META.get("REMOTE_ADDR") or None


def render_case(request: Request, case: Case, *, request_id: str = "") -> dict[str, Any]:
    """The detail body: the case, its timeline and photos, what the user may do now, and the
    reporter's contact masked for the roles that may see it (the read is logged)."""
    user = request.user
    contact = contact_read(
        user=user,
        case=case,
        full=False,
        request_id=request_id or _request_id_header(request),
        ip=_client_ip(request),
    )
    context = {
        "request": request,
        "timeline": list(case_events(case)),
        "actions": action_hints(case, actions_available(case=case, actor=user)),
        "contact": contact,
        "location": case_location(case),
    }
    return CaseDetailSerializer(case, context=context).data


# --- list and report --------------------------------------------------------------------------


class IdFilter(django_filters.NumberFilter):
    """A row id: a whole number that fits the id column (SQLite refuses larger ones)."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, min_value=1, max_value=2**63 - 1, **kwargs)


class CaseFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=Status.choices, help_text=_("Repeat for several: ?status=filed&status=dispatched")
    )
    item = django_filters.CharFilter(field_name="item__code", help_text=_("Catalogue item code."))
    source = django_filters.ChoiceFilter(choices=SourceChannel.choices)
    street = django_filters.CharFilter(
        field_name="street__code", lookup_expr="startswith", help_text=_("Street code (prefix).")
    )
    community = django_filters.CharFilter(
        field_name="community__code",
        lookup_expr="startswith",
        help_text=_("Community code (prefix)."),
    )
    grid = django_filters.CharFilter(
        field_name="grid__code", lookup_expr="startswith", help_text=_("Grid code (prefix).")
    )
    handling_unit = IdFilter(field_name="handling_unit_id")
    urgency = django_filters.ChoiceFilter(choices=Urgency.choices)
    reported_at = django_filters.IsoDateTimeFromToRangeFilter(
        help_text=_("reported_at_after / reported_at_before, ISO 8601.")
    )
    overdue = django_filters.BooleanFilter(
        method="filter_overdue", help_text=_("true: the current stage is past its due time.")
    )
    bbox = django_filters.CharFilter(
        method="filter_bbox", help_text=_("min_lon,min_lat,max_lon,max_lat (WGS84).")
    )

    class Meta:
        model = Case
        fields: list[str] = []

    def filter_overdue(self, queryset: QuerySet[Case], name: str, value: bool) -> QuerySet[Case]:
        now = timezone.now()
        if value:
            # Only open cases carry a stage clock; saying so lets the partial index serve it.
            return queryset.filter(status__in=sorted(OPEN_STATUSES), stage_due_at__lt=now)
        return queryset.filter(Q(stage_due_at__isnull=True) | Q(stage_due_at__gte=now))

    def filter_bbox(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        try:
            box = parse_bbox(value)
        except ValueError as exc:
            raise serializers.ValidationError({"bbox": [str(exc)]}) from None
        return queryset.filter(point__intersects=bbox_polygon(box))


class NewestFirst(CursorPagination):
    ordering = ("-reported_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class CaseListView(BodyLimits, generics.GenericAPIView):
    """The cases you may see, newest first; and a staff report from the handheld."""

    serializer_class = CaseListSerializer
    filterset_class = CaseFilter
    pagination_class = NewestFirst

    def get_queryset(self) -> QuerySet[Case]:
        return case_qs_for_user(self.request.user).select_related("item", "handling_unit")

    @extend_schema(responses={200: CaseListSerializer(many=True), **_errors(400, 404)})
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        request={
            "application/json": ReportSerializer,
            "multipart/form-data": ReportFormSerializer,
        },
        responses={
            201: CaseDetailSerializer,
            200: OpenApiResponse(CaseDetailSerializer, _("A retry: the case made the first time.")),
            **_errors(400, 403, 409, 413, 415, 422),
        },
    )
    def post(self, request: Request) -> Response:
        form = (ReportFormSerializer if _is_multipart(request) else ReportSerializer)(
            data=request.data
        )
        form.is_valid(raise_exception=True)
        outcome = case_report_submit(
            actor=request.user,
            data=form.report_input(),
            request_id=form.validated_data["request_id"],
            self_handled=form.validated_data["self_handled"],
            note=form.validated_data["note"],
            photos=form.validated_data.get("photos", []),
        )
        return Response(
            render_case(request, outcome.case, request_id=form.validated_data["request_id"]),
            status=status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK,
        )


# --- one case ---------------------------------------------------------------------------------


class CaseDetailView(APIView):
    @extend_schema(responses={200: CaseDetailSerializer, **_errors(404)})
    def get(self, request: Request, case_id: int) -> Response:
        return Response(render_case(request, case_get_for_user(request.user, case_id)))


class CaseActionsView(BodyLimits, APIView):
    """What you may do with the case now; and doing it."""

    @extend_schema(responses={200: ActionHintSerializer(many=True), **_errors(404)})
    def get(self, request: Request, case_id: int) -> Response:
        case = case_get_for_user(request.user, case_id)
        return Response(action_hints(case, actions_available(case=case, actor=request.user)))

    @extend_schema(
        request={
            "application/json": ActionSerializer,
            "multipart/form-data": ActionFormSerializer,
        },
        responses={200: CaseDetailSerializer, **_errors(400, 403, 404, 409, 413, 415, 422)},
    )
    def post(self, request: Request, case_id: int) -> Response:
        form = (ActionFormSerializer if _is_multipart(request) else ActionSerializer)(
            data=request.data
        )
        form.is_valid(raise_exception=True)
        data = form.validated_data
        case = case_act_submit(
            actor=request.user,
            case_id=case_id,
            action=data["action"],
            request_id=data["request_id"],
            expected_version=data["version"],
            payload=data["payload"],
            note=data["note"],
            point=form.point(),
            attachment_ids=data["attachment_ids"],
            photos=data.get("photos", []),
        )
        return Response(render_case(request, case, request_id=data["request_id"]))


class CaseContactView(APIView):
    """The reporter's whole contact, with a reason; the read is logged."""

    @extend_schema(
        parameters=[ContactQuerySerializer],
        responses={200: ContactOutSerializer, **_errors(400, 403, 404)},
    )
    def get(self, request: Request, case_id: int) -> Response:
        case = case_get_for_user(request.user, case_id)
        query = ContactQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        contact = contact_read(
            user=request.user,
            case=case,
            full=True,
            reason=query.validated_data["reason"],
            request_id=_request_id_header(request),
            ip=_client_ip(request),
        )
        if contact is None:  # pragma: no cover - a full read returns a contact or raises
            return Response(status=status.HTTP_404_NOT_FOUND)
        return Response({"name": contact.name, "phone": contact.phone, "masked": contact.masked})


# --- a unit's queue ---------------------------------------------------------------------------


@extend_schema_view(get=extend_schema(responses={200: CaseListSerializer(many=True), **_errors()}))
class MyQueueView(generics.ListAPIView):
    """Cases with your unit (or your street office) to sign for, handle, or wait on, the
    nearest stage due first."""

    serializer_class = CaseListSerializer
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[Case]:
        return case_queue_for_user(self.request.user).select_related("item", "handling_unit")


# --- one-window intake ------------------------------------------------------------------------


class IntakeView(BodyLimits, APIView):
    """One window for every channel: operators (hotline, 110, web, WeChat), citizens' app
    accounts, other agencies' systems with their key (the key's channel is the source)."""

    parser_classes = [JSONParser]

    @extend_schema(
        request=IntakeSerializer,
        responses={
            201: IntakeResultSerializer,
            200: OpenApiResponse(IntakeResultSerializer, _("A resent ticket: the same case.")),
            **_errors(400, 403, 409, 422),
        },
    )
    def post(self, request: Request) -> Response:
        form = IntakeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        agency = request.auth if isinstance(request.auth, AgencyKey) else None
        outcome = case_intake(
            actor=request.user,
            data=form.report_input(),
            agency=agency,
            external_id=form.validated_data["external_id"],
            request_id=form.validated_data["request_id"],
        )
        return Response(
            IntakeResultSerializer(outcome).data,
            status=status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK,
        )

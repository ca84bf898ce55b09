"""Case endpoints: list and report, detail, actions, the reporter's contact, a unit's queue,
and the one-window intake. Parse, call a service or selector, render."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.conf import settings
from django.contrib.gis.geos import Point
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, serializers, status
from rest_framework.pagination import CursorPagination
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
    IntakeResultSerializer,
    IntakeSerializer,
    ItemRefField,
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
    intake_duplicates,
)
from cases.models import (
    OPEN_STATUSES,
    AgencyKey,
    Case,
    CoHandling,
    SourceChannel,
    Status,
    Supervision,
    Urgency,
)
from cases.selectors import case_events, case_get_for_user, case_qs_for_user
from cases.services import actions_available, known_parts
from config import api
from config.api import JSONParser
from grids.geo import bbox_polygon, parse_bbox
from grids.permissions import IsStaff


# A report or action may carry this many photos of the attachment size limit, plus its fields.
class BodyLimits(api.BodyLimits):
    def max_body_bytes(self) -> int:
        return MAX_PHOTOS * settings.ATTACHMENT_MAX_BYTES + settings.DATA_UPLOAD_MAX_MEMORY_SIZE


# The names other modules (and branches) import from here.
BodyTooLarge = api.BodyTooLarge
_errors = api.error_responses
_client_ip = api.client_ip


def _is_multipart(request: Request) -> bool:
    return (request.content_type or "").startswith("multipart/")


def _request_id_header(request: Request) -> str:
    return request.META.get("HTTP_X_REQUEST_ID", "")[:64]


INCLUDE_ACTIONS = OpenApiParameter(
    "include",
    str,
    required=False,
    enum=["actions"],
    description=_(
        "actions: the answer carries the action hints the user may take next (otherwise "
        "`actions` is an empty list)."
    ),
)


def wants_actions(request: Request) -> bool:
    """`?include=actions`: a write's answer carries the action hints only when asked (the case
    page and the handheld apps ask when they show the actions next); the detail GET always
    carries them."""
    include = ",".join(request.query_params.getlist("include"))
    return "actions" in {part.strip() for part in include.split(",")}


def render_case(
    request: Request, case: Case, *, request_id: str = "", actions: bool = True
) -> dict[str, Any]:
    """The detail body: the case, its timeline and photos, what the user may do now (unless
    `actions` is False: then an empty list), and the reporter's contact masked for the roles
    that may see it (the read is logged). What the write that returned the case already knows
    (cases.services.known_parts) is not read again."""
    user = request.user
    known = known_parts(case)
    contact = contact_read(
        user=user,
        case=case,
        full=False,
        request_id=request_id or _request_id_header(request),
        ip=_client_ip(request),
    )
    context = {
        "request": request,
        "timeline": known.timeline if known.timeline is not None else list(case_events(case)),
        "actions": (
            action_hints(case, actions_available(case=case, actor=user), user) if actions else []
        ),
        "co_handlers": (
            list(
                CoHandling.objects.filter(case=case)
                .select_related("unit")
                .order_by("added_at", "pk")
            )
            if known.co_handlers
            else []
        ),
        "supervisions": (
            list(
                Supervision.objects.filter(case=case)
                .select_related("created_by")
                .order_by("created_at", "pk")
            )
            if known.supervisions
            else []
        ),
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
        parameters=[INCLUDE_ACTIONS],
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
            render_case(
                request,
                outcome.case,
                request_id=form.validated_data["request_id"],
                actions=wants_actions(request),
            ),
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
        rows = actions_available(case=case, actor=request.user)
        return Response(action_hints(case, rows, request.user))

    @extend_schema(
        parameters=[INCLUDE_ACTIONS],
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
        return Response(
            render_case(
                request, case, request_id=data["request_id"], actions=wants_actions(request)
            )
        )


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


# --- likely duplicates, before a report is taken ---------------------------------------------


class DuplicateQuerySerializer(serializers.Serializer):
    item = ItemRefField()
    lon = serializers.FloatField(min_value=-180, max_value=180)
    lat = serializers.FloatField(min_value=-90, max_value=90)


class DuplicateCandidateSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="case.pk")
    number = serializers.CharField(source="case.number")
    status = serializers.CharField(source="case.status")
    status_label = serializers.CharField(source="case.get_status_display")
    item = serializers.CharField(source="case.item.name")
    address = serializers.CharField(source="case.address")
    description = serializers.CharField(source="case.description")
    reported_at = serializers.DateTimeField(source="case.reported_at")
    distance_m = serializers.FloatField()


class DuplicateCandidatesView(APIView):
    """Open cases of the item near the point, reported within the item's window, that you can
    see, nearest first: what the intake desk shows while the call is taken."""

    @extend_schema(
        parameters=[DuplicateQuerySerializer],
        responses={200: DuplicateCandidateSerializer(many=True), **_errors(400)},
    )
    def get(self, request: Request) -> Response:
        query = DuplicateQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        found = intake_duplicates(
            user=request.user,
            item_id=query.validated_data["item"],
            point=Point(query.validated_data["lon"], query.validated_data["lat"], srid=4326),
        )
        return Response(DuplicateCandidateSerializer(found, many=True).data)


# --- one-window intake ------------------------------------------------------------------------


class IsStaffOrAgency(IsStaff):
    """Staff with a post, or another agency's system with its key (its service account holds
    no post and may do nothing else). Citizens report through /api/v1/citizen/reports/."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, AgencyKey) or super().has_permission(request, view)


class IntakeView(BodyLimits, APIView):
    """One window for every channel: operators (hotline, 110, web, WeChat) and other agencies'
    systems with their key (the key's channel is the source). Citizens' apps report through
    /api/v1/citizen/reports/."""

    parser_classes = [JSONParser]
    permission_classes = [IsStaffOrAgency]

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

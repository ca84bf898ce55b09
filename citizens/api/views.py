"""Citizen API: one-time codes, register, log in; report, my reports, rate. Parse, call a
service or selector, render."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, generics, permissions, status
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle, UserRateThrottle
from rest_framework.views import APIView

from cases.api.auth import token_revoke
from cases.models import ApiToken, Case
from citizens.accounts import (
    CitizenSession,
    citizen_login,
    citizen_login_name,
    citizen_register,
    is_citizen,
    otp_request,
)
from citizens.api.serializers import (
    CategorySerializer,
    CitizenLoginSerializer,
    CitizenReportFormSerializer,
    CitizenReportSerializer,
    CitizenTokenSerializer,
    MyReportDetailSerializer,
    MyReportSerializer,
    NearbyQuerySerializer,
    NearbySerializer,
    OtpRequestSerializer,
    OtpSentSerializer,
    RateSerializer,
    RegisterSerializer,
)
from citizens.errors import InvalidCredentials
from citizens.open311.services import requests_in_bbox, services_list
from citizens.reports import (
    citizen_rate,
    citizen_report_get,
    citizen_report_submit,
    citizen_reports_qs,
)
from config.api import BodyLimits, BodyTooLarge, client_ip, error_responses
from config.lockout import login_check, login_failed
from grids.geo import parse_bbox


def _errors(*codes: int) -> dict[int, OpenApiResponse]:
    # Log-in and the public endpoints need no credentials: no 401 unless named.
    return error_responses(*codes, base=(429,))


_client_ip = client_ip


def _session_body(session: CitizenSession) -> dict[str, Any]:
    return {
        "token": session.token.token,
        "expires_at": session.token.expires_at,
        "user_id": session.user.pk,
    }


class _Public(APIView):
    """No credentials; limited per address (scope in REST_FRAMEWORK's rates)."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [ScopedRateThrottle]


class OtpRequestView(_Public):
    """Send a one-time code by SMS (to register, or to log in without the password). The
    answer is the same whether or not the phone has an account."""

    throttle_scope = "citizen_otp"

    @extend_schema(
        request=OtpRequestSerializer,
        responses={202: OtpSentSerializer, **_errors(400, 503)},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        form = OtpRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        sent = otp_request(
            phone=form.validated_data["phone"],
            purpose=form.validated_data["purpose"],
            ip=_client_ip(request),
        )
        body: dict[str, Any] = {"expires_at": sent.expires_at, "resend_after": sent.resend_after}
        if sent.dev_code:
            body["dev_code"] = sent.dev_code
        return Response(body, status=status.HTTP_202_ACCEPTED)


class RegisterView(_Public):
    """Create a citizen account with the phone's code and a password; returns a token."""

    throttle_scope = "citizen_auth"

    @extend_schema(
        request=RegisterSerializer,
        responses={201: CitizenTokenSerializer, **_errors(400, 409)},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        form = RegisterSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        session = citizen_register(
            phone=data["phone"],
            code=data["code"],
            password=data["password"],
            name=data["name"],
            device=data["device"],
        )
        return Response(_session_body(session), status=status.HTTP_201_CREATED)


class CitizenLoginView(_Public):
    """Log in with phone and password, or phone and a one-time code; returns a token. Wrong
    passwords lock password log-in for the account and the address for a while (429
    `locked_out`, config.lockout); a one-time code still lets the owner in."""

    throttle_scope = "citizen_auth"

    @extend_schema(
        request=CitizenLoginSerializer,
        responses={200: CitizenTokenSerializer, **_errors(400)},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        form = CitizenLoginSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        by_password = bool(data["password"]) and not data["code"]
        name = citizen_login_name(data["phone"]) if by_password else ""
        if by_password:
            login_check(request, name)
        try:
            session = citizen_login(
                phone=data["phone"],
                password=data["password"],
                code=data["code"],
                device=data["device"],
            )
        except InvalidCredentials:
            if by_password:
                login_failed(request, name)
            raise
        return Response(_session_body(session))


# --- the public side: the map of reports and the categories ---------------------------------


class NearbyView(_Public):
    """Reports inside a map view from the last 90 days, newest first (at most 300), as Open311
    publishes them: the item, the state, the place and the times, never who reported them."""

    throttle_scope = "open311"

    @extend_schema(
        parameters=[NearbyQuerySerializer],
        responses={200: NearbySerializer, **_errors(400)},
        auth=[],
    )
    def get(self, request: Request) -> Response:
        query = NearbyQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        try:
            box = parse_bbox(query.validated_data["bbox"])
        except ValueError as exc:
            raise exceptions.ValidationError({"bbox": [str(exc)]}) from None
        found = requests_in_bbox(box, status=query.validated_data["status"])
        return Response(
            NearbySerializer({"results": found.entries, "truncated": found.truncated}).data
        )


class CategoriesView(_Public):
    """What a citizen may report: the published catalogue items, in their groups."""

    throttle_scope = "open311"

    @extend_schema(responses={200: CategorySerializer(many=True), **_errors()}, auth=[])
    def get(self, request: Request) -> Response:
        rows = [
            {
                "code": service["service_code"],
                "name": service["service_name"],
                "group": service["group"],
                "description": service["description"],
                "keywords": service["keywords"],
            }
            for service in services_list()
        ]
        return Response(CategorySerializer(rows, many=True).data)


# --- reports ----------------------------------------------------------------------------------


class IsCitizen(permissions.BasePermission):
    message = _("This is for citizen accounts.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return is_citizen(request.user)


ReportBodyTooLarge = BodyTooLarge


class NewestFirst(CursorPagination):
    ordering = ("-reported_at", "-id")
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


class ReportsView(BodyLimits, generics.GenericAPIView):
    """Your reports, newest first; and a new report (JSON, or multipart with photos)."""

    permission_classes = [permissions.IsAuthenticated, IsCitizen]
    serializer_class = MyReportSerializer
    pagination_class = NewestFirst
    filter_backends: list = []

    def get_throttles(self) -> list:
        if self.request.method == "POST":
            self.throttle_scope = "citizen_report"
            return [UserRateThrottle(), ScopedRateThrottle()]
        return [UserRateThrottle()]

    def max_body_bytes(self) -> int:
        # As many photos as a report may carry, plus its fields.
        return (
            settings.CITIZEN_REPORT_MAX_PHOTOS * settings.CITIZEN_PHOTO_MAX_BYTES
            + settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        )

    def get_queryset(self) -> QuerySet[Case]:
        return citizen_reports_qs(self.request.user)

    @extend_schema(responses={200: MyReportSerializer(many=True), **_errors(401, 403)})
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(MyReportSerializer(page, many=True).data)

    @extend_schema(
        request={
            "application/json": CitizenReportSerializer,
            "multipart/form-data": CitizenReportFormSerializer,
        },
        responses={
            201: MyReportDetailSerializer,
            200: OpenApiResponse(MyReportDetailSerializer, _("A retry: the report made before.")),
            **_errors(400, 401, 403, 409, 413, 415, 422),
        },
    )
    def post(self, request: Request) -> Response:
        multipart = (request.content_type or "").startswith("multipart/")
        form = (CitizenReportFormSerializer if multipart else CitizenReportSerializer)(
            data=request.data
        )
        form.is_valid(raise_exception=True)
        outcome = citizen_report_submit(
            user=request.user,
            data=form.report_input(),
            request_id=form.validated_data["request_id"],
            photos=form.validated_data.get("photos", []),
        )
        case = citizen_report_get(request.user, outcome.case.pk)
        return Response(
            MyReportDetailSerializer(case, context={"request": request}).data,
            status=status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK,
        )


@extend_schema_view(
    get=extend_schema(responses={200: MyReportDetailSerializer, **_errors(401, 403, 404)})
)
class ReportDetailView(APIView):
    """One of your reports with its public timeline."""

    permission_classes = [permissions.IsAuthenticated, IsCitizen]

    def get(self, request: Request, case_id: int) -> Response:
        case = citizen_report_get(request.user, case_id)
        return Response(MyReportDetailSerializer(case, context={"request": request}).data)


class RateView(APIView):
    """Rate a closed report of yours, once: 1 to 5 and a comment."""

    permission_classes = [permissions.IsAuthenticated, IsCitizen]

    @extend_schema(
        request=RateSerializer,
        responses={200: MyReportDetailSerializer, **_errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, case_id: int) -> Response:
        form = RateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        citizen_rate(
            user=request.user,
            case_id=case_id,
            rating=data["rating"],
            comment=data["comment"],
            request_id=data["request_id"],
        )
        case = citizen_report_get(request.user, case_id)
        return Response(MyReportDetailSerializer(case, context={"request": request}).data)


class CitizenLogoutView(APIView):
    """Log out: the token stops working at once."""

    permission_classes = [permissions.IsAuthenticated, IsCitizen]

    @extend_schema(request=None, responses={204: None, **_errors(401, 403)})
    def post(self, request: Request) -> Response:
        if isinstance(request.auth, ApiToken):
            token_revoke(token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)

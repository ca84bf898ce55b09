"""Citizen API: one-time codes, register, log in; report, my reports, rate. Parse, call a
service or selector, render."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, generics, permissions, status
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle, UserRateThrottle
from rest_framework.views import APIView

from cases.api.case_serializers import ErrorSerializer
from cases.models import Case
from citizens.accounts import (
    CitizenSession,
    citizen_login,
    citizen_register,
    is_citizen,
    otp_request,
)
from citizens.api.serializers import (
    CitizenLoginSerializer,
    CitizenReportFormSerializer,
    CitizenReportSerializer,
    CitizenTokenSerializer,
    MyReportDetailSerializer,
    MyReportSerializer,
    OtpRequestSerializer,
    OtpSentSerializer,
    RateSerializer,
    RegisterSerializer,
)
from citizens.reports import (
    citizen_rate,
    citizen_report_get,
    citizen_report_submit,
    citizen_reports_qs,
)


def _errors(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: OpenApiResponse(ErrorSerializer) for code in sorted({429, *codes})}


def _client_ip(request: Request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


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
        return Response(
            {"expires_at": sent.expires_at, "resend_after": sent.resend_after},
            status=status.HTTP_202_ACCEPTED,
        )


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
    """Log in with phone and password, or phone and a one-time code; returns a token."""

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
        session = citizen_login(
            phone=data["phone"], password=data["password"], code=data["code"], device=data["device"]
        )
        return Response(_session_body(session))


# --- reports ----------------------------------------------------------------------------------


class IsCitizen(permissions.BasePermission):
    message = _("This is for citizen accounts.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return is_citizen(request.user)


class ReportBodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"
    default_detail = _("The request body is too large.")


class NewestFirst(CursorPagination):
    ordering = ("-reported_at", "-id")
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


def _max_body_bytes() -> int:
    return (
        settings.CITIZEN_REPORT_MAX_PHOTOS * settings.CITIZEN_PHOTO_MAX_BYTES
        + settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    )


class ReportsView(generics.GenericAPIView):
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

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # Refuse a body declared larger than the photo limits allow before reading it.
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > _max_body_bytes():
            raise ReportBodyTooLarge()
        super().initial(request, *args, **kwargs)

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, RequestDataTooBig):
            exc = ReportBodyTooLarge()
        elif isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
            exc = exceptions.ParseError(str(exc))
        return super().handle_exception(exc)

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

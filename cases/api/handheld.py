"""The inspector's handheld: who am I, my grids, the catalogue, photo upload, my tasks, patrol
track upload and my history.

Each view parses, calls a service or a scoped selector, and renders. Acting on a task goes
through POST cases/{id}/actions/ like every other action on a case.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, time
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import F, Prefetch, QuerySet
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.http import parse_etags, quote_etag
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, permissions, status
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.api.handheld_serializers import (
    TASK_KIND_BY_STATUS,
    CatalogueSerializer,
    GridFeatureSerializer,
    HandheldErrorSerializer,
    HistoryEventSerializer,
    InspectorTaskSerializer,
    MeSerializer,
    PatrolBatchSerializer,
    PatrolEnvelopeSerializer,
    PatrolFixSerializer,
    PatrolResultSerializer,
    PatrolTrackQuerySerializer,
    PatrolTrackSerializer,
    PhotoUploadSerializer,
    UploadedPhotoSerializer,
)
from cases.attachments import attachment_upload
from cases.models import Case, CaseEvent, Domain, FilingCondition, Item
from cases.selectors import case_qs_for_user
from config.api import BodyLimits, JSONParser
from grids.models import User
from grids.patrol import (
    FixInput,
    PatrolBatchTooLarge,
    RejectedFix,
    inspector_grids_qs,
    is_inspector,
    patrol_record,
    patrol_track,
)
from grids.selectors import jurisdiction_for_user

# Room for the multipart envelope around the photo (boundary, part headers, small fields).
MULTIPART_OVERHEAD_BYTES = 64 * 1024
CATALOGUE_MAX_AGE_SECONDS = 300


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(HandheldErrorSerializer, description=description)


UNAUTHENTICATED = {401: _error("Not logged in, or the token expired or was revoked.")}


# --- scoped reads ---------------------------------------------------------------------------


def inspector_tasks_qs(user: User | AnonymousUser) -> QuerySet[Case]:
    """The user's open verify and check tasks: cases in the grids they patrol, due first."""
    return (
        case_qs_for_user(user)
        .filter(
            status__in=sorted(TASK_KIND_BY_STATUS),
            grid_id__in=inspector_grids_qs(user).values("code"),
        )
        .select_related("item")
        .order_by(F("stage_due_at").asc(nulls_last=True), "pk")
    )


def history_qs(user: User | AnonymousUser) -> QuerySet[CaseEvent]:
    """What the user did (reports included), on cases they still see."""
    return CaseEvent.objects.filter(
        actor_id=user.pk, case__in=case_qs_for_user(user).order_by()
    ).select_related("case__item")


def catalogue_domains() -> QuerySet[Domain]:
    """Domains with their active items and the items' filing conditions."""
    items = (
        Item.objects.filter(is_active=True)
        .select_related("default_unit")
        .prefetch_related(
            Prefetch("conditions", queryset=FilingCondition.objects.order_by("order", "code"))
        )
        .order_by("code")
    )
    return (
        Domain.objects.filter(pk__in=Item.objects.filter(is_active=True).values("domain_id"))
        .prefetch_related(Prefetch("items", queryset=items))
        .order_by("ordering", "code")
    )


# --- me -------------------------------------------------------------------------------------


class MeView(APIView):
    """The user, their active posts and what they may see."""

    @extend_schema(responses={200: MeSerializer, **UNAUTHENTICATED})
    def get(self, request: Request) -> Response:
        user = request.user
        posts = user.posts.filter(is_active=True).select_related("region", "unit").order_by("pk")
        body = {
            "id": user.pk,
            "username": user.get_username(),
            "name": user.get_full_name() or user.get_username(),
            "posts": posts,
            "jurisdiction": jurisdiction_for_user(user),
        }
        return Response(MeSerializer(body).data)


class MyGridsView(APIView):
    """The grids the inspector patrols, as a GeoJSON FeatureCollection at full detail."""

    @extend_schema(responses={200: GridFeatureSerializer(many=True), **UNAUTHENTICATED})
    def get(self, request: Request) -> Response:
        grids = inspector_grids_qs(request.user)
        return Response(GridFeatureSerializer(grids, many=True).data)


# --- catalogue ------------------------------------------------------------------------------


class CatalogueView(APIView):
    """Domains → active items → filing conditions, with an ETag (send If-None-Match)."""

    # The catalogue is public (Open311 publishes it too): citizens' apps read it to report.
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "If-None-Match",
                OpenApiTypes.STR,
                location=OpenApiParameter.HEADER,
                required=False,
                description=gettext_lazy("The ETag of the catalogue the handheld holds."),
            )
        ],
        responses={
            200: CatalogueSerializer,
            304: OpenApiResponse(description="Not modified: the handheld's copy is current."),
            **UNAUTHENTICATED,
        },
    )
    def get(self, request: Request) -> Response:
        body = CatalogueSerializer({"domains": catalogue_domains()}).data
        digest = hashlib.sha256(JSONRenderer().render(body)).hexdigest()[:40]
        etag = quote_etag(digest)
        headers = {
            "ETag": etag,
            "Cache-Control": f"private, max-age={CATALOGUE_MAX_AGE_SECONDS}",
        }
        held = {
            tag.removeprefix("W/") for tag in parse_etags(request.headers.get("If-None-Match", ""))
        }
        if etag in held or "*" in held:
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers=headers)
        return Response(body, headers=headers)


# --- attachments ----------------------------------------------------------------------------


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"
    default_detail = gettext_lazy("The upload is too large.")


def _too_large() -> PayloadTooLarge:
    return PayloadTooLarge(
        _("The upload is larger than %(size)s.")
        % {"size": filesizeformat(settings.ATTACHMENT_MAX_BYTES)}
    )


class AttachmentUploadView(BodyLimits, APIView):
    """Upload one photo (multipart field `photo`); refer to it by id in a report or action."""

    parser_classes = [MultiPartParser]

    def max_body_bytes(self) -> int:
        return settings.ATTACHMENT_MAX_BYTES + MULTIPART_OVERHEAD_BYTES

    def body_too_large(self) -> exceptions.APIException:
        return _too_large()

    @extend_schema(
        request={"multipart/form-data": PhotoUploadSerializer},
        responses={
            201: UploadedPhotoSerializer,
            400: _error("No photo in the request."),
            **UNAUTHENTICATED,
            413: _error("The photo is larger than the limit."),
            415: _error("Not a JPEG, PNG or HEIC photo."),
            422: _error("The photo is corrupt or has too many pixels."),
        },
    )
    def post(self, request: Request) -> Response:
        form = PhotoUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        attachment = attachment_upload(actor=request.user, data=form.validated_data["photo"])
        return Response(
            UploadedPhotoSerializer(attachment, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


# --- tasks ----------------------------------------------------------------------------------


class MyTasksView(generics.ListAPIView):
    """The inspector's open verify and check tasks, the most urgent first. Act on them with
    POST cases/{id}/actions/ (verify, check_pass, check_fail)."""

    serializer_class = InspectorTaskSerializer
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[Case]:
        return inspector_tasks_qs(self.request.user)

    @extend_schema(responses={200: InspectorTaskSerializer(many=True), **UNAUTHENTICATED})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


# --- history --------------------------------------------------------------------------------


class HistoryPagination(CursorPagination):
    ordering = ("-created_at", "-pk")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class MyHistoryView(generics.ListAPIView):
    """What the user reported and did, newest first (cursor pagination)."""

    serializer_class = HistoryEventSerializer
    pagination_class = HistoryPagination
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[CaseEvent]:
        return history_qs(self.request.user)

    @extend_schema(
        responses={
            200: HistoryEventSerializer(many=True),
            **UNAUTHENTICATED,
            404: _error("The cursor is not one this endpoint handed out."),
        }
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


# --- patrol ---------------------------------------------------------------------------------


class IsInspector(permissions.BasePermission):
    message = gettext_lazy("Only inspectors upload patrol tracks.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return is_inspector(request.user)


def _plain_errors(errors: Any) -> dict[str, list[str]]:
    return {
        str(name): [
            str(message) for message in (messages if isinstance(messages, list) else [messages])
        ]
        for name, messages in dict(errors).items()
    }


class PatrolView(BodyLimits, APIView):
    """Upload a batch of GPS fixes. Each fix is checked on its own; fixes already received
    (same client_id, or same recorded_at) count as duplicates, so a retried batch is safe.
    GET: your own track of a day and the distance walked."""

    parser_classes = [JSONParser]
    permission_classes = [permissions.IsAuthenticated, IsInspector]

    @extend_schema(
        parameters=[PatrolTrackQuerySerializer],
        responses={
            200: PatrolTrackSerializer,
            400: _error("The date is not a date."),
            **UNAUTHENTICATED,
            403: _error("Only inspectors upload patrol tracks."),
        },
    )
    def get(self, request: Request) -> Response:
        query = PatrolTrackQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        day = query.validated_data.get("date") or timezone.localdate()
        start = timezone.make_aware(datetime.combine(day, time.min))
        track = patrol_track(user=request.user, day_start=start)
        body = {
            "date": day,
            "distance_m": round(track.distance_m, 1),
            "fixes": track.fixes,
            "truncated": track.truncated,
        }
        return Response(PatrolTrackSerializer(body).data)

    @extend_schema(
        request=PatrolBatchSerializer,
        responses={
            200: PatrolResultSerializer,
            400: _error("The body is not a batch of 1–500 fixes."),
            **UNAUTHENTICATED,
            403: _error("Only inspectors upload patrol tracks."),
        },
    )
    def post(self, request: Request) -> Response:
        raw = request.data
        envelope = PatrolEnvelopeSerializer(data={"fixes": raw} if isinstance(raw, list) else raw)
        envelope.is_valid(raise_exception=True)
        parsed: dict[int, FixInput] = {}
        rejected: list[RejectedFix] = []
        for index, item in enumerate(envelope.validated_data["fixes"]):
            fix = PatrolFixSerializer(data=item)
            if fix.is_valid():
                parsed[index] = fix.to_fix()
            else:
                rejected.append(RejectedFix(index=index, errors=_plain_errors(fix.errors)))
        try:
            result = patrol_record(user=request.user, fixes=parsed)
        except PatrolBatchTooLarge as exc:
            raise exceptions.ValidationError({"fixes": [str(exc)]}) from exc
        rejected.extend(result.rejected)
        rejected.sort(key=lambda item: item.index)
        body = {
            "accepted": result.accepted,
            "duplicates": result.duplicates,
            "rejected": [{"index": item.index, "errors": item.errors} for item in rejected],
        }
        return Response(PatrolResultSerializer(body).data)

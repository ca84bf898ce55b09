"""`GET /api/v1/exchange/cases/?since=<cursor>`: the incremental feed for agencies that poll
with their key (X-Api-Key), scoped by the key's region and items (exchange.feed)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.api.auth import AgencyKeyAuthentication
from cases.api.case_serializers import ErrorSerializer
from cases.models import AgencyKey
from exchange.events import cloud_event
from exchange.feed import feed_page
from exchange.models import AgencyScope, CaseOrigin

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


class IsAgencyWithScope(BasePermission):
    """An agency's key that has a feed scope (set in the admin)."""

    message = gettext_lazy("This API key has no feed scope; ask the platform to set one.")

    def has_permission(self, request: Request, view: Any) -> bool:
        if not isinstance(request.auth, AgencyKey):
            raise exceptions.NotAuthenticated(_("Send your agency API key as X-Api-Key."))
        # Read once here and kept for the view (no second read, no bare get there).
        request.feed_scope = AgencyScope.objects.filter(agency=request.auth).first()  # type: ignore[attr-defined]
        return request.feed_scope is not None  # type: ignore[attr-defined]


class FeedQuerySerializer(serializers.Serializer):
    since = serializers.IntegerField(
        min_value=0,
        max_value=2**63 - 1,
        required=False,
        default=0,
        help_text=gettext_lazy("The cursor of the last page read; 0 or none: from the start."),
    )
    limit = serializers.IntegerField(
        min_value=1, max_value=MAX_LIMIT, required=False, default=DEFAULT_LIMIT
    )


class CloudEventSerializer(serializers.Serializer):
    """A CloudEvents 1.0 event (structured JSON), as the webhooks POST it."""

    specversion = serializers.CharField()
    id = serializers.CharField()
    source = serializers.CharField()
    type = serializers.CharField(help_text=gettext_lazy("cn.wangge.case.<action>"))
    subject = serializers.CharField(help_text=gettext_lazy("The case number."))
    time = serializers.DateTimeField()
    datacontenttype = serializers.CharField()
    data = serializers.DictField(
        help_text=gettext_lazy("case_number, event (action, statuses, unit), case (as it stood).")
    )
    cursor = serializers.CharField(help_text=gettext_lazy("This event's position in the feed."))


class FeedSerializer(serializers.Serializer):
    events = CloudEventSerializer(many=True)
    cursor = serializers.CharField(
        help_text=gettext_lazy("Send it back as `since` to read on; it never skips an event.")
    )
    has_more = serializers.BooleanField()


class ExchangeCasesFeedView(APIView):
    """Case events in your region (and items), oldest first, after the cursor."""

    authentication_classes = [AgencyKeyAuthentication]
    permission_classes = [IsAgencyWithScope]

    @extend_schema(
        operation_id="exchange_cases_feed",
        parameters=[FeedQuerySerializer],
        responses={
            200: FeedSerializer,
            **{code: OpenApiResponse(ErrorSerializer) for code in (400, 401, 403, 429)},
        },
    )
    def get(self, request: Request) -> Response:
        query = FeedQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        page = feed_page(
            scope=request.feed_scope,  # type: ignore[attr-defined]  # IsAgencyWithScope
            since=query.validated_data["since"],
            limit=query.validated_data["limit"],
        )
        # The agency's own cases carry its ticket number and the handler's notes.
        origins = {
            origin.case_id: origin
            for origin in CaseOrigin.objects.filter(
                case_id__in={row.case_id for row in page.events}, agency=request.auth
            )
        }
        events = [
            {**cloud_event(row, origin=origins.get(row.case_id)), "cursor": str(row.seq)}
            for row in page.events
        ]
        return Response({"events": events, "cursor": str(page.cursor), "has_more": page.has_more})

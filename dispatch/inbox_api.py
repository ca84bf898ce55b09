"""REST for the in-app inbox: a handheld lists its user's notifications and marks them read."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.api.case_serializers import ErrorSerializer
from dispatch.inbox import inbox_mark_read, inbox_qs_for_user, inbox_unread_count
from dispatch.models import InboxMessage, PushSubscription
from dispatch.webpush import push_subscribe, push_unsubscribe, vapid_configured, vapid_public_key

MAX_IDS = 500


class InboxMessageSerializer(serializers.ModelSerializer):
    case_id = serializers.IntegerField(allow_null=True, read_only=True)
    read = serializers.SerializerMethodField()

    class Meta:
        model = InboxMessage
        fields = [
            "id",
            "topic",
            "title",
            "body",
            "case_id",
            "case_number",
            "link",
            "created_at",
            "read",
        ]

    def get_read(self, message: InboxMessage) -> bool:
        return message.read_at is not None


class NewestFirst(CursorPagination):
    ordering = ("-created_at", "-pk")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class InboxQuerySerializer(serializers.Serializer):
    unread = serializers.BooleanField(
        required=False, default=False, help_text=_("true: unread messages only.")
    )


class InboxListView(generics.ListAPIView):
    """Your notifications, newest first. The header X-Unread-Count gives the unread total."""

    # Every account's own inbox: citizens hear here that their report was closed.
    permission_classes = [IsAuthenticated]

    serializer_class = InboxMessageSerializer
    pagination_class = NewestFirst

    def get_queryset(self) -> QuerySet[InboxMessage]:
        params = InboxQuerySerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return inbox_qs_for_user(self.request.user, unread_only=params.validated_data["unread"])

    @extend_schema(parameters=[InboxQuerySerializer])
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        response = super().get(request, *args, **kwargs)
        response["X-Unread-Count"] = str(inbox_unread_count(request.user))
        return response


class MarkReadSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        max_length=MAX_IDS,
        help_text=_("The messages to mark read (at most 500)."),
    )
    all = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs: dict[str, object]) -> dict[str, object]:
        if not attrs.get("all") and not attrs.get("ids"):
            raise serializers.ValidationError({"ids": [_("Give ids, or all: true.")]})
        if attrs.get("all") and attrs.get("ids"):
            raise serializers.ValidationError({"all": [_("Give ids or all, not both.")]})
        return attrs


class InboxMarkReadView(APIView):
    """Mark messages read; others' ids and messages already read are ignored (idempotent)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=MarkReadSerializer,
        responses={
            200: inline_serializer(
                "InboxMarked",
                {"marked": serializers.IntegerField(), "unread": serializers.IntegerField()},
            )
        },
    )
    def post(self, request: Request) -> Response:
        body = MarkReadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ids = None if body.validated_data["all"] else body.validated_data["ids"]
        marked = inbox_mark_read(user=request.user, message_ids=ids)
        return Response({"marked": marked, "unread": inbox_unread_count(request.user)})


# --- Web Push subscriptions ---------------------------------------------------------------------


class PushKeysSerializer(serializers.Serializer):
    p256dh = serializers.CharField(max_length=200)
    auth = serializers.CharField(max_length=100)


class PushSubscribeSerializer(serializers.Serializer):
    """The browser's PushSubscription as its toJSON() gives it."""

    endpoint = serializers.CharField(max_length=1000)
    keys = PushKeysSerializer()


class PushUnsubscribeSerializer(serializers.Serializer):
    endpoint = serializers.CharField(max_length=1000)


class PushStateSerializer(serializers.Serializer):
    enabled = serializers.BooleanField(help_text=_("Whether this server sends Web Push."))
    public_key = serializers.CharField(
        help_text=_("The VAPID application server key to subscribe with (base64url).")
    )
    subscriptions = serializers.IntegerField(help_text=_("Your subscribed browsers."))


def _push_state(request: Request) -> dict[str, object]:
    return {
        "enabled": vapid_configured(),
        "public_key": vapid_public_key(),
        "subscriptions": PushSubscription.objects.filter(user=request.user).count(),
    }


class PushView(APIView):
    """Web Push: the key to subscribe with (GET), and this browser's subscription (POST).
    Anyone logged in manages their own browsers' subscriptions, citizens included."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: PushStateSerializer})
    def get(self, request: Request) -> Response:
        return Response(PushStateSerializer(_push_state(request)).data)

    @extend_schema(
        request=PushSubscribeSerializer,
        responses={
            200: PushStateSerializer,
            400: ErrorSerializer,
            401: ErrorSerializer,
            409: OpenApiResponse(ErrorSerializer, _("Web Push is not configured here.")),
        },
    )
    def post(self, request: Request) -> Response:
        body = PushSubscribeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        push_subscribe(
            user=request.user,
            endpoint=data["endpoint"],
            p256dh=data["keys"]["p256dh"],
            auth=data["keys"]["auth"],
            user_agent=request.headers.get("User-Agent", ""),
        )
        return Response(PushStateSerializer(_push_state(request)).data)


class PushUnsubscribeView(APIView):
    """Forget this browser's subscription (on logout, or when the user turns push off)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=PushUnsubscribeSerializer,
        responses={200: PushStateSerializer, 400: ErrorSerializer, 401: ErrorSerializer},
    )
    def post(self, request: Request) -> Response:
        body = PushUnsubscribeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        push_unsubscribe(user=request.user, endpoint=body.validated_data["endpoint"])
        return Response(PushStateSerializer(_push_state(request)).data)

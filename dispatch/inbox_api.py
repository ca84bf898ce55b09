"""REST for the in-app inbox: a handheld lists its user's notifications and marks them read."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dispatch.inbox import inbox_mark_read, inbox_qs_for_user, inbox_unread_count
from dispatch.models import InboxMessage

MAX_IDS = 500


class InboxMessageSerializer(serializers.ModelSerializer):
    case_id = serializers.IntegerField(allow_null=True, read_only=True)
    read = serializers.SerializerMethodField()

    class Meta:
        model = InboxMessage
        fields = ["id", "topic", "title", "body", "case_id", "case_number", "created_at", "read"]

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

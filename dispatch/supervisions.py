"""The list of supervisions (督办) the command centre keeps an eye on: a page and an API.

Supervisions are written by the workflow's `supervise` action (cases.Supervision: by a
leader or shift supervisor with a due date, or by the deadline sweep once an overdue case
passed its grace). Here they are only read: scoped by jurisdiction through the cases the
user may see, filtered by state and region, the overdue ones flagged.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from cases.api.case_serializers import ErrorSerializer, SupervisionSerializer, UnitRefSerializer
from cases.models import Case, Supervision
from cases.selectors import case_filter_for
from grids.models import Role
from grids.selectors import jurisdiction_for_user

# Who works from the list: the command roles of every level and the leaders.
SUPERVISION_ROLES = frozenset(
    {
        Role.INTAKE_OPERATOR,
        Role.SHIFT_SUPERVISOR,
        Role.DISPATCHER,
        Role.DISTRICT_LEADER,
        Role.ADMINISTRATOR,
        Role.STREET_OFFICER,
        Role.COMMUNITY_STAFF,
    }
)


class State:
    OPEN = "open"
    OVERDUE = "overdue"
    SETTLED = "settled"
    CHOICES = (
        (OPEN, _("Open")),
        (OVERDUE, _("Overdue")),
        (SETTLED, _("Settled")),
    )


def may_see_supervisions(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Whether the nav shows the list: command roles, leaders, administrators."""
    if not user.is_authenticated:
        return False
    return bool(getattr(user, "is_superuser", False)) or bool(
        jurisdiction_for_user(user).roles & SUPERVISION_ROLES
    )


def supervisions_for_user(
    user: AbstractBaseUser | AnonymousUser,
    *,
    state: str = "",
    region: str = "",
    kind: str = "",
    now: datetime | None = None,
) -> QuerySet[Supervision]:
    """Supervisions of the cases the user may see (their jurisdiction), newest first."""
    if not user.is_authenticated:
        return Supervision.objects.none()
    now = now or timezone.now()
    jurisdiction = jurisdiction_for_user(user)
    qs = Supervision.objects.select_related(
        "case__item", "case__handling_unit", "created_by"
    ).order_by("-created_at", "-pk")
    if not jurisdiction.everything:
        qs = qs.filter(case__in=Case.objects.filter(case_filter_for(user, jurisdiction)))
    if state == State.OPEN:
        qs = qs.filter(settled_at__isnull=True)
    elif state == State.OVERDUE:
        qs = qs.filter(settled_at__isnull=True, due_at__lt=now)
    elif state == State.SETTLED:
        qs = qs.filter(settled_at__isnull=False)
    if region:
        qs = qs.filter(case__grid__code__startswith=region)
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def supervision_counts(user: AbstractBaseUser | AnonymousUser) -> dict[str, int]:
    """How many are open and how many of those are overdue (the page's header)."""
    qs = supervisions_for_user(user, state=State.OPEN)
    now = timezone.now()
    return {"open": qs.count(), "overdue": qs.filter(due_at__lt=now).count()}


# --- API --------------------------------------------------------------------------------------


class SupervisionQuerySerializer(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=State.CHOICES,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("open, overdue (open past its due date) or settled; empty: all."),
    )
    region = serializers.RegexField(
        r"^[0-9]{6,15}$",
        required=False,
        allow_blank=True,
        default="",
        help_text=_("A street, community or grid code: the supervisions of cases there."),
    )
    kind = serializers.ChoiceField(
        choices=Supervision.Kind.choices, required=False, allow_blank=True, default=""
    )


class SupervisedCaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    status = serializers.CharField()
    item = serializers.CharField(source="item.name")
    address = serializers.CharField()
    handling_level = serializers.CharField()
    handling_unit = UnitRefSerializer(allow_null=True)
    street = serializers.CharField(source="street_id")
    community = serializers.CharField(source="community_id")


class SupervisionListSerializer(SupervisionSerializer):
    case = SupervisedCaseSerializer()

    class Meta(SupervisionSerializer.Meta):
        fields = [*SupervisionSerializer.Meta.fields, "case"]


class NewestFirst(CursorPagination):
    ordering = ("-created_at", "-pk")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class SupervisionListView(generics.ListAPIView):
    """Supervisions (督办) of the cases in your jurisdiction, newest first; `overdue` flags an
    open one past its due date."""

    serializer_class = SupervisionListSerializer
    pagination_class = NewestFirst

    def get_queryset(self) -> QuerySet[Supervision]:
        params = SupervisionQuerySerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return supervisions_for_user(self.request.user, **params.validated_data)

    @extend_schema(
        parameters=[SupervisionQuerySerializer],
        responses={
            200: SupervisionListSerializer(many=True),
            **{code: OpenApiResponse(ErrorSerializer) for code in (400, 401, 429)},
        },
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


__all__ = [
    "SUPERVISION_ROLES",
    "State",
    "SupervisionListView",
    "may_see_supervisions",
    "supervision_counts",
    "supervisions_for_user",
]

"""REST for the command centre: emergency linkage around a case.

Lives in dispatch because it reads a case (cases) and the map (grids); grids imports neither.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.gis.geos import Point
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.models import Case, Status
from cases.selectors import case_get_for_user
from cases.services import actions_available
from cases.workflow import TRANSITIONS, Action
from grids.emergency import grid_inspector_ids
from grids.emergency_api import (
    IsStaff,
    NearestOptionsSerializer,
    NearestSerializer,
    NearInspectorSerializer,
    nearest_body,
)


def verify_task_refusal(case: Case, actor: AbstractBaseUser) -> str:
    """Why the actor cannot send this case a verify task now ("" when they can)."""
    row = TRANSITIONS[Action.SEND_VERIFY]
    if case.status not in row.sources:
        return _("A verify task goes to a newly reported case; this one is %(status)s.") % {
            "status": Status(case.status).label
        }
    if not any(r.action is Action.SEND_VERIFY for r in actions_available(case=case, actor=actor)):
        return _("Only the intake operator at the case's handling level sends verify tasks.")
    return ""


def case_nearest_body(request: Request, case: Case, options: dict[str, Any]) -> dict[str, Any]:
    body = nearest_body(request, Point(case.point.x, case.point.y, srid=4326), options)
    refusal = verify_task_refusal(case, request.user)
    verifiers = grid_inspector_ids(case.grid_id)
    for inspector in body["inspectors"]:
        if refusal:
            inspector["can_assign"], inspector["assign_refusal"] = False, refusal
        elif inspector["user_id"] not in verifiers:
            inspector["can_assign"] = False
            inspector["assign_refusal"] = _(
                "Not an inspector of the case's grid %(grid)s, so cannot verify it."
            ) % {"grid": case.grid_id}
        else:
            inspector["can_assign"], inspector["assign_refusal"] = True, ""
    body["case"] = {
        "id": case.pk,
        "number": case.number,
        "status": case.status,
        "version": case.version,
        "grid_code": case.grid_id,
    }
    body["assign"] = {"action": str(Action.SEND_VERIFY), "allowed": not refusal, "reason": refusal}
    return body


class CaseInspectorSerializer(NearInspectorSerializer):
    can_assign = serializers.BooleanField()
    assign_refusal = serializers.CharField(allow_blank=True)


class CaseNearestSerializer(NearestSerializer):
    inspectors = CaseInspectorSerializer(many=True)  # type: ignore[assignment]
    case = inline_serializer(
        "EmergencyCaseRef",
        {
            "id": serializers.IntegerField(),
            "number": serializers.CharField(),
            "status": serializers.CharField(),
            "version": serializers.IntegerField(),
            "grid_code": serializers.CharField(),
        },
    )
    assign = inline_serializer(
        "EmergencyAssign",
        {
            "action": serializers.CharField(),
            "allowed": serializers.BooleanField(),
            "reason": serializers.CharField(allow_blank=True),
        },
    )


_ERROR = inline_serializer(
    "CaseEmergencyError",
    {
        "code": serializers.CharField(),
        "message": serializers.CharField(),
        "errors": serializers.DictField(),
    },
)


class CaseNearestView(APIView):
    """The nearest emergency resources and on-duty inspectors to a case's point, and whether
    the user may send each inspector the case's verify task (`send_verify` with
    `inspector_id` through `cases/{id}/actions/`). 404 outside the user's jurisdiction."""

    permission_classes = [IsStaff]

    @extend_schema(
        parameters=[NearestOptionsSerializer],
        responses={200: CaseNearestSerializer, 400: _ERROR, 403: _ERROR, 404: _ERROR},
    )
    def get(self, request: Request, case_id: int) -> Response:
        params = NearestOptionsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        case = case_get_for_user(request.user, case_id)
        return Response(case_nearest_body(request, case, params.validated_data))

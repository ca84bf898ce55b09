"""Evaluation API: scores per group and period, one subject's breakdown, the cases behind a
figure. Parse, call a selector in dispatch.evaluation.reports, render."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from cases.errors import InvalidInput
from config.api import error_responses
from dispatch.evaluation import formulas
from dispatch.evaluation.definitions import Metric
from dispatch.evaluation.periods import PERIOD_KINDS, Period, parse_period
from dispatch.evaluation.reports import (
    OUTCOMES,
    SubjectScore,
    drilldown_cases,
    evaluation_report,
    subject_report,
)
from dispatch.models import Group


def _errors(*codes: int) -> dict[int, OpenApiResponse]:
    return error_responses(*codes, base=(400, 401, 403, 429))


class PeriodQuerySerializer(serializers.Serializer):
    period = serializers.ChoiceField(choices=list(PERIOD_KINDS), default="month")
    date = serializers.DateField(
        required=False,
        help_text=_("A day inside the period (day, week, month); default yesterday."),
    )
    start = serializers.DateField(required=False, help_text=_("First day of a custom range."))
    end = serializers.DateField(required=False, help_text=_("Last day of a custom range."))

    def to_period(self) -> Period:
        data = self.validated_data
        params = {"period": data["period"]}
        for name in ("date", "start", "end"):
            if data.get(name) is not None:
                params[name] = data[name].isoformat()
        return parse_period(params)


class ScoresQuerySerializer(PeriodQuerySerializer):
    group = serializers.ChoiceField(choices=Group.choices)


class CasesQuerySerializer(ScoresQuerySerializer):
    subject = serializers.CharField(max_length=20)
    metric = serializers.ChoiceField(choices=[m.value for m in Metric])
    outcome = serializers.ChoiceField(choices=list(OUTCOMES), default="all")


def _number(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=6, decimal_places=1, allow_null=True, coerce_to_string=False, **kwargs
    )


class PeriodSerializer(serializers.Serializer):
    kind = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    label = serializers.CharField()


class ComponentSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    metric = serializers.CharField()
    weight = _number()
    total = serializers.IntegerField(help_text=_("Denominator (for volume: the count)."))
    hits = serializers.IntegerField(help_text=_("Numerator."))
    value = _number(help_text=_("On 0–100; null when the denominator is 0."))


class FigureSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    metric = serializers.CharField()
    total = serializers.IntegerField()
    hits = serializers.IntegerField()
    value = _number(help_text=_("A rate (%), a count or an average rating; null: no data."))


class SubjectScoreSerializer(serializers.Serializer):
    subject = serializers.CharField(help_text=_("User id, unit id or region code."))
    name = serializers.CharField()
    rank = serializers.IntegerField(allow_null=True)
    score = _number(help_text=_("Null when no component has data."))
    grade = serializers.CharField(allow_null=True)
    coverage = _number(help_text=_("Share (%) of the full weight that had data."))
    previous_score = _number()
    previous_rank = serializers.IntegerField(allow_null=True)
    change = _number()
    components = ComponentSerializer(many=True)
    figures = FigureSerializer(many=True)


# One component name per shape: "Report" is the case report's.
@extend_schema_serializer(component_name="EvaluationReport")
class ReportSerializer(serializers.Serializer):
    group = serializers.CharField()
    period = PeriodSerializer()
    previous_period = PeriodSerializer(allow_null=True)
    rows = SubjectScoreSerializer(many=True)


class DrilldownCaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    status = serializers.CharField()
    item = serializers.CharField(source="item.name")
    reported_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)


class DrilldownPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = DrilldownCaseSerializer(many=True)


def _period(p: Period | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {"kind": p.kind, "start": p.start, "end": p.end, "label": p.label}


def _row(row: SubjectScore) -> dict[str, Any]:
    r = formulas.rounded
    return {
        "subject": row.subject,
        "name": row.name,
        "rank": row.rank,
        "score": r(row.score),
        "grade": row.grade,
        "coverage": r(row.coverage),
        "previous_score": r(row.previous_score),
        "previous_rank": row.previous_rank,
        "change": r(row.change),
        "components": [
            {
                "key": c.key,
                "label": c.label,
                "metric": c.metric,
                "weight": r(c.weight),
                "total": c.total,
                "hits": c.hits,
                "value": r(c.value),
            }
            for c in row.components
        ],
        "figures": [
            {
                "key": f.key,
                "label": f.label,
                "metric": f.metric,
                "total": f.total,
                "hits": f.hits,
                "value": f.value if isinstance(f.value, int) else r(f.value),
            }
            for f in row.figures
        ],
    }


def _valid(serializer: serializers.Serializer) -> serializers.Serializer:
    if not serializer.is_valid():
        raise InvalidInput(str(_("The request has errors.")), field_errors=serializer.errors)
    return serializer


class ScoresView(APIView):
    @extend_schema(
        operation_id="evaluation_scores",
        summary="Scores of a group for a period, ranked, with the change against the previous",
        parameters=[ScoresQuerySerializer],
        responses={200: ReportSerializer, **_errors()},
        tags=["evaluation"],
    )
    def get(self, request: Request) -> Response:
        query = _valid(ScoresQuerySerializer(data=request.query_params))
        report = evaluation_report(
            user=request.user, group=query.validated_data["group"], period=query.to_period()
        )
        return Response(
            ReportSerializer(
                {
                    "group": report.group,
                    "period": _period(report.period),
                    "previous_period": _period(report.previous_period),
                    "rows": [_row(row) for row in report.rows],
                }
            ).data
        )


class SubjectScoreView(APIView):
    @extend_schema(
        operation_id="evaluation_subject_score",
        summary="One subject's score with every component's numerator and denominator",
        parameters=[
            PeriodQuerySerializer,
            OpenApiParameter("group", str, OpenApiParameter.PATH, enum=Group.values),
            OpenApiParameter("subject", str, OpenApiParameter.PATH),
        ],
        responses={200: SubjectScoreSerializer, **_errors(404)},
        tags=["evaluation"],
    )
    def get(self, request: Request, group: str, subject: str) -> Response:
        query = _valid(PeriodQuerySerializer(data=request.query_params))
        row = subject_report(
            user=request.user, group=group, subject=subject, period=query.to_period()
        )
        return Response(SubjectScoreSerializer(_row(row)).data)


class DrilldownView(APIView):
    # The project's default: limit/offset with a ceiling on ?limit=.
    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS

    @extend_schema(
        operation_id="evaluation_cases",
        summary="The cases behind one figure (all, the numerator's, or the rest)",
        parameters=[
            CasesQuerySerializer,
            OpenApiParameter("limit", int, OpenApiParameter.QUERY),
            OpenApiParameter("offset", int, OpenApiParameter.QUERY),
        ],
        responses={200: DrilldownPageSerializer, **_errors(404)},
        tags=["evaluation"],
    )
    def get(self, request: Request) -> Response:
        query = _valid(CasesQuerySerializer(data=request.query_params))
        data = query.validated_data
        cases = drilldown_cases(
            user=request.user,
            group=data["group"],
            subject=data["subject"],
            metric=data["metric"],
            outcome=data["outcome"],
            period=query.to_period(),
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(cases, request, view=self)
        return paginator.get_paginated_response(DrilldownCaseSerializer(page, many=True).data)

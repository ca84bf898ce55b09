"""The evaluation pages: monthly (or any period's) rankings per group, one subject's
breakdown, the cases behind a figure, exports and the trend data for the charts.

Thin like dispatch/views.py: parse the query, call a selector in dispatch.evaluation.reports,
render. Bad input answers 400 with the message on the page; a subject outside the user's
jurisdiction is a 404; roles without a say in the evaluation get 403.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from cases.errors import InvalidInput, NotPermitted
from dispatch.dashboard import user_roles
from dispatch.evaluation import exports, formulas
from dispatch.evaluation.definitions import METRIC_LABELS, PATROL_METRICS, Metric
from dispatch.evaluation.periods import PERIOD_KINDS, Period, parse_period
from dispatch.evaluation.reports import (
    SubjectNotFound,
    drilldown_cases,
    evaluation_report,
    parse_group,
    require_evaluator,
    subject_report,
    trend,
)
from dispatch.models import Group
from dispatch.views import LOGIN_URL, _role_labels

CASES_PER_PAGE = 50


def _guard(request: HttpRequest) -> None:
    try:
        require_evaluator(request.user)
    except NotPermitted as exc:
        raise PermissionDenied(str(exc)) from exc


def _base_context(request: HttpRequest, period: Period | None, group: str) -> dict[str, Any]:
    return {
        "roles": _role_labels(user_roles(request.user)),
        "groups": Group.choices,
        "group": group,
        "group_label": Group(group).label if group in Group.values else "",
        "period": period,
        "period_kinds": list(PERIOD_KINDS.items()),
        "period_query": urlencode(period.query()) if period else "",
    }


def _bad_request(
    request: HttpRequest, exc: InvalidInput, group: str, template: str = "dispatch/evaluation.html"
) -> HttpResponse:
    context = _base_context(request, None, group if group in Group.values else Group.INSPECTOR)
    context.update({"error": exc.message, "field_errors": exc.field_errors, "table": None})
    return render(request, template, context, status=400)


@require_GET
@login_required(login_url=LOGIN_URL)
def evaluation_index(request: HttpRequest) -> HttpResponse:
    _guard(request)
    raw_group = request.GET.get("group") or Group.INSPECTOR
    try:
        group = parse_group(raw_group)
        period = parse_period(request.GET)
        report = evaluation_report(user=request.user, group=group, period=period)
    except InvalidInput as exc:
        return _bad_request(request, exc, raw_group)
    headers, rows = exports.report_table(report)
    context = _base_context(request, period, group)
    context.update(
        {
            "report": report,
            "table": {"headers": headers, "rows": list(zip(report.rows, rows, strict=True))},
            "chart_strings": {
                "score": gettext("Mean score"),
                "rated": gettext("Rated"),
            },
        }
    )
    return render(request, "dispatch/evaluation.html", context)


@require_GET
@login_required(login_url=LOGIN_URL)
def evaluation_subject(request: HttpRequest, group: str, subject: str) -> HttpResponse:
    _guard(request)
    try:
        group = parse_group(group)
        period = parse_period(request.GET)
        row = subject_report(user=request.user, group=group, subject=subject, period=period)
    except SubjectNotFound as exc:
        raise Http404(str(exc)) from exc
    except InvalidInput as exc:
        return _bad_request(request, exc, group)
    context = _base_context(request, period, group)
    components = []
    for c in row.components:
        total_label, hits_label = METRIC_LABELS[Metric(c.metric)]
        components.append(
            {
                "c": c,
                "value": exports.cell_text(formulas.rounded(c.value)),
                "points": exports.cell_text(
                    formulas.rounded(c.value * c.weight / 100) if c.value is not None else None
                ),
                "total_label": total_label,
                "hits_label": hits_label,
                "patrol": c.metric in PATROL_METRICS,
            }
        )
    figures = [
        {
            "f": f,
            "value": exports.cell_text(
                f.value if isinstance(f.value, int) else formulas.rounded(f.value)
            ),
            "patrol": f.metric in PATROL_METRICS,
        }
        for f in row.figures
    ]
    context.update(
        {
            "row": row,
            "score": exports.cell_text(formulas.rounded(row.score)),
            "previous_score": exports.cell_text(formulas.rounded(row.previous_score)),
            "coverage": exports.cell_text(formulas.rounded(row.coverage)),
            "components": components,
            "figures": figures,
            "chart_strings": {"score": gettext("Score"), "rated": gettext("Rated")},
        }
    )
    return render(request, "dispatch/evaluation_subject.html", context)


@require_GET
@login_required(login_url=LOGIN_URL)
def evaluation_cases(request: HttpRequest, group: str, subject: str) -> HttpResponse:
    _guard(request)
    metric = request.GET.get("metric") or ""
    outcome = request.GET.get("outcome") or "all"
    try:
        group = parse_group(group)
        period = parse_period(request.GET)
        cases = drilldown_cases(
            user=request.user,
            group=group,
            subject=subject,
            metric=metric,
            outcome=outcome,
            period=period,
        )
    except SubjectNotFound as exc:
        raise Http404(str(exc)) from exc
    except InvalidInput as exc:
        return _bad_request(request, exc, group)
    page = Paginator(cases, CASES_PER_PAGE).get_page(request.GET.get("page"))
    total_label, hits_label = METRIC_LABELS[Metric(metric)]
    context = _base_context(request, period, group)
    context.update(
        {
            "subject": subject,
            "metric": metric,
            "metric_label": hits_label if outcome != "all" else total_label,
            "outcome": outcome,
            "page": page,
            "query": urlencode({**period.query(), "metric": metric, "outcome": outcome}),
        }
    )
    return render(request, "dispatch/evaluation_cases.html", context)


@require_GET
@login_required(login_url=LOGIN_URL)
def evaluation_export(request: HttpRequest, fmt: str) -> HttpResponse:
    _guard(request)
    try:
        group = parse_group(request.GET.get("group") or Group.INSPECTOR)
        period = parse_period(request.GET)
        report = evaluation_report(user=request.user, group=group, period=period)
    except InvalidInput as exc:
        return _bad_request(request, exc, request.GET.get("group") or "")
    if fmt == "csv":
        response = HttpResponse(exports.export_csv(report), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            exports.export_xlsx(report),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    name = exports.export_filename(report, fmt)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_GET
@login_required(login_url=LOGIN_URL)
def evaluation_trend(request: HttpRequest) -> JsonResponse:
    """The last six periods' scores for the trend chart (the group, or one subject)."""
    _guard(request)
    try:
        group = parse_group(request.GET.get("group"))
        period = parse_period(request.GET)
        points = trend(
            user=request.user,
            group=group,
            period=period,
            subject=request.GET.get("subject") or None,
        )
    except SubjectNotFound as exc:
        raise Http404(str(exc)) from exc
    except InvalidInput as exc:
        return JsonResponse(
            {"code": exc.code, "message": exc.message, "errors": exc.field_errors}, status=400
        )
    return JsonResponse({"points": points})

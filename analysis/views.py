"""The analysis page (/analysis/): alarms to act on, hot spots and the heat map on a map, the
small multiples of the busiest items, unusual rises, repeat places and the patrols, with
exports. Thin: selectors give the figures, the REST API the actions and the map layers."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from analysis.alarms import place_label
from analysis.exports import TABLES, patrol_rows
from analysis.models import AnalysisSettings, Hotspot, RepeatPlace, TrendFlag
from analysis.selectors import (
    alarm_qs_for_user,
    alarm_view,
    analysis_jurisdiction,
    hotspot_qs_for_user,
    repeat_place_qs_for_user,
    trend_flag_qs_for_user,
)
from cases.errors import NotPermitted
from cases.models import NATIONAL_MAJOR_CLASSES
from config.exports import csv_text, xlsx_bytes
from grids.models import PatrolGridDay, Role
from grids.patrol import directed_inspectors_qs

LOGIN_URL = reverse_lazy("dispatch:login")
ALARMS_SHOWN = 30
ROWS_SHOWN = 50


def _guard(request: HttpRequest) -> Any:
    try:
        return analysis_jurisdiction(request.user)
    except NotPermitted as exc:
        raise PermissionDenied(str(exc)) from exc


def _day(raw: str | None, default: date) -> date:
    try:
        return date.fromisoformat(raw) if raw else default
    except ValueError:
        return default


def _int(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isascii() and raw.isdigit() else None


def _strings() -> dict[str, Any]:
    """The words analysis.js shows, translated here so the script stays language-free."""
    return {
        "acknowledge": gettext("Acknowledge"),
        "handle": gettext("Handled"),
        "note": gettext("Note (optional)"),
        "failed": gettext("The action failed."),
        "cases": gettext("cases"),
        "expected": gettext("expected"),
        "count": gettext("reports"),
        "total": gettext("%(n)s reports in all"),
        "flagged": gettext("unusual"),
        "hotspots": gettext("Hot spots"),
        "heat": gettext("Reports (heat)"),
        "alarms": gettext("Alarms"),
        "track": gettext("Patrol track"),
        "no_track": gettext("No track for this inspector on this day."),
        "km": gettext("km"),
        "h": gettext("h"),
        "covered": gettext("covered"),
        "play": gettext("Play"),
        "pause": gettext("Pause"),
        "history": gettext("History"),
        "no_items": gettext("No reports in this period."),
        "states": {
            "new": gettext("New"),
            "acknowledged": gettext("Acknowledged"),
            "handled": gettext("Handled"),
            "gone": gettext("Gone"),
        },
    }


def _hotspot_row(hotspot: Hotspot) -> dict[str, Any]:
    what = (
        hotspot.item.name
        if hotspot.item is not None
        else NATIONAL_MAJOR_CLASSES.get(hotspot.family, {}).get(hotspot.major_class, "")
    )
    state = hotspot.state  # type: ignore[attr-defined]
    return {
        "id": hotspot.pk,
        "alarm_id": hotspot.alarm_id,
        "what": what,
        "case_count": hotspot.case_count,
        "region": hotspot.region.name,
        "state": state,
        "state_label": Hotspot.State(state).label,
        "last_case_at": hotspot.last_case_at,
    }


def _repeat_row(place: RepeatPlace) -> dict[str, Any]:
    major = NATIONAL_MAJOR_CLASSES.get(place.family, {}).get(place.major_class, "")
    return {
        "id": place.pk,
        "name": place_label(place.place_kind, place.place_name),
        "kind": RepeatPlace.PlaceKind(place.place_kind).label,
        "region": place.region.name,
        "klass": f"{major} {place.major_class}{place.minor_class}",
        "case_count": place.case_count,
        "last_closed_at": place.last_closed_at,
        "lon": place.point.x,
        "lat": place.point.y,
    }


def _patrol_row(row: PatrolGridDay) -> dict[str, Any]:
    person = row.patrol_day.user
    return {
        "inspector": person.get_full_name() or person.get_username(),
        "inspector_id": person.pk,
        "grid": row.grid.name,
        "is_own": row.is_own,
        "day": row.day,
        "distance": gettext("%(km).1f km") % {"km": row.distance_m / 1000},
        "duty": gettext("%(hours).1f h") % {"hours": row.duty_seconds / 3600},
        "percent": round(row.covered_share * 100),
    }


@require_GET
@login_required(login_url=LOGIN_URL)
def analysis_index(request: HttpRequest) -> HttpResponse:
    jurisdiction = _guard(request)
    user = request.user
    today = timezone.localdate()
    patrol_day = _day(request.GET.get("day"), today - timedelta(days=1))
    inspector = _int(request.GET.get("inspector"))
    monday = today - timedelta(days=today.weekday())
    alarms = [alarm_view(a) for a in alarm_qs_for_user(user)[:ALARMS_SHOWN]]
    flags = list(trend_flag_qs_for_user(user).filter(period_start__gte=monday)[:ROWS_SHOWN])
    repeats = list(repeat_place_qs_for_user(user).filter(gone_at__isnull=True)[:ROWS_SHOWN])
    hotspots = list(
        hotspot_qs_for_user(user, states=["new", "acknowledged", "handled"])[:ROWS_SHOWN]
    )
    inspectors = list(
        directed_inspectors_qs(jurisdiction).order_by("last_name", "first_name", "username")
    )
    config = {
        "urls": {
            "hotspots": reverse("api-analysis-hotspots"),
            "heat": reverse("api-analysis-heat"),
            "alarms": reverse("api-analysis-alarms"),
            "series": reverse("api-analysis-series"),
            "track": reverse("api-patrol-track"),
            "acknowledge": reverse("api-analysis-alarm-acknowledge", args=[0]),
            "handle": reverse("api-analysis-alarm-handle", args=[0]),
            "repeat": reverse("api-analysis-repeat", args=[0]),
            "case": reverse("dispatch:case", args=[0]),
        },
        "tiles": settings.LEAFLET_CONFIG["TILES"],
        "center": list(settings.LEAFLET_CONFIG["DEFAULT_CENTER"]),
        "zoom": settings.LEAFLET_CONFIG["DEFAULT_ZOOM"],
        "focus_alarm": _int(request.GET.get("alarm")),
        "replay": {"inspector": inspector, "day": patrol_day.isoformat()} if inspector else None,
        "i18n": _strings(),
    }
    context = {
        "roles": [str(Role(r).label) for r in Role.values if r in jurisdiction.roles],
        "alarms": alarms,
        "kpi": {
            "new_alarms": alarm_qs_for_user(user).filter(state="new").count(),
            "hotspots": hotspot_qs_for_user(
                user, states=["new", "acknowledged", "handled"]
            ).count(),
            "rises": trend_flag_qs_for_user(user)
            .filter(period_start__gte=monday, period=TrendFlag.Period.DAY)
            .count(),
            "repeats": repeat_place_qs_for_user(user).filter(gone_at__isnull=True).count(),
        },
        "hotspots": [_hotspot_row(h) for h in hotspots],
        "flags": flags,
        "repeats": [_repeat_row(place) for place in repeats],
        "patrol_day": patrol_day,
        "patrol_rows": [_patrol_row(row) for row in patrol_rows(user, patrol_day, inspector)[:500]],
        "inspectors": inspectors,
        "inspector": inspector,
        "today": today,
        "last_run_at": AnalysisSettings.current().last_run_at,
        "config": config,
    }
    return render(request, "analysis/index.html", context)


@require_GET
@login_required(login_url=LOGIN_URL)
def analysis_export(request: HttpRequest, table: str, fmt: str) -> HttpResponse:
    """One of the page's tables as CSV or XLSX (every row, up to 10,000)."""
    _guard(request)
    builder = TABLES.get(table)
    if builder is None or fmt not in ("csv", "xlsx"):
        raise Http404(table)
    today = timezone.localdate()
    result = builder(
        request.user,
        day=_day(request.GET.get("day"), today - timedelta(days=1)),
        inspector=_int(request.GET.get("inspector")),
    )
    stamp = today.isoformat()
    if fmt == "csv":
        response = HttpResponse(
            csv_text(result.headers, result.rows), content_type="text/csv; charset=utf-8"
        )
    else:
        response = HttpResponse(
            xlsx_bytes(result.title, result.headers, result.rows),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="analysis-{result.name}-{stamp}.{fmt}"'
    return response

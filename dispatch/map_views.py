"""The live map's data: the work on the map, and what a click on a grid shows.

The map shows what needs attention: every overdue case in the jurisdiction, whatever the view
(a district at a glance must not lose a red card to a page limit), then the other open cases
in view, nearest due first. Closed cases appear only when asked for, and then in view only.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.gis.geos import Point
from django.db.models import FloatField, Func, Q, QuerySet
from django.http import Http404, HttpRequest, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_GET

from cases.models import CLOSED_STATUSES, OPEN_STATUSES, Case, Status
from cases.selectors import case_qs_for_user
from dispatch.dashboard import URGENT_FIRST
from dispatch.views import LOGIN_URL
from grids.geo import bbox_polygon, parse_bbox
from grids.models import Level
from grids.patrol import grid_inspectors
from grids.selectors import grids_at_point_qs, regions_for_user_qs

# Ceilings that keep one answer small enough for a browser (a row is ~120 bytes of JSON).
OVERDUE_LIMIT = 5000
OPEN_IN_VIEW_LIMIT = 2000
CLOSED_IN_VIEW_LIMIT = 500
GRID_CASES = 20

_OPEN = sorted(OPEN_STATUSES)
_FIELDS = (
    "pk",
    "number",
    "lon",
    "lat",
    "status",
    "urgency",
    "stage_due_at",
    "stage_warn_at",
    "item__name",
    "address",
)


def _filtered(qs: QuerySet[Case], params: Any) -> QuerySet[Case]:
    street = params.get("street", "")
    if street:
        qs = qs.filter(street__code__startswith=street)
    community = params.get("community", "")
    if community:
        qs = qs.filter(community__code__startswith=community)
    item = params.get("item", "")
    if item:
        qs = qs.filter(item__code__startswith=item)
    source = params.get("source", "")
    if source:
        qs = qs.filter(source=source)
    status = params.get("status", "")
    if status in Status.values:
        qs = qs.filter(status=status)
    start, end = (
        parse_date(params.get("date_from", "") or ""),
        parse_date(params.get("date_to", "") or ""),
    )
    tz = timezone.get_current_timezone()
    if start:
        qs = qs.filter(reported_at__gte=datetime.combine(start, datetime.min.time(), tz))
    if end:
        qs = qs.filter(reported_at__lte=datetime.combine(end, datetime.max.time(), tz))
    return qs


def _rows(qs: QuerySet[Case], now: datetime) -> list[dict[str, Any]]:
    rows = []
    # The coordinates as two numbers from the database: building a GEOS point per row cost
    # more than the query for a few thousand pins.
    located = qs.annotate(
        lon=Func("point", function="ST_X", output_field=FloatField()),
        lat=Func("point", function="ST_Y", output_field=FloatField()),
    )
    for row in located.values(*_FIELDS):
        due, warn = row["stage_due_at"], row["stage_warn_at"]
        open_ = row["status"] not in CLOSED_STATUSES
        card = (
            "overdue"
            if open_ and due is not None and due < now
            else "warn"
            if open_ and warn is not None and warn < now
            else "ok"
            if open_
            else "closed"
        )
        rows.append(
            {
                "id": row["pk"],
                "number": row["number"],
                "lon": round(row["lon"], 6),
                "lat": round(row["lat"], 6),
                "status": row["status"],
                "urgent": row["urgency"] != "normal",
                "card": card,
                "item": row["item__name"],
                "address": row["address"],
            }
        )
    return rows


@require_GET
@login_required(login_url=LOGIN_URL)
def map_cases(request: HttpRequest) -> JsonResponse:
    """?bbox=w,s,e,n plus the map's filters; closed=1 adds the closed cases in view;
    overdue=1 keeps the overdue ones only."""
    now = timezone.now()
    params = request.GET
    visible = _filtered(case_qs_for_user(request.user), params)
    overdue_qs = visible.filter(status__in=_OPEN, stage_due_at__lt=now)
    overdue_total = overdue_qs.count()
    cases = _rows(overdue_qs.order_by("stage_due_at")[:OVERDUE_LIMIT], now)
    truncated = overdue_total > OVERDUE_LIMIT
    in_view = 0
    if params.get("overdue") != "1":
        box = None
        if params.get("bbox"):
            try:
                box = bbox_polygon(parse_bbox(params["bbox"]))
            except ValueError as exc:
                return JsonResponse(
                    {"code": "invalid", "message": str(exc), "errors": {"bbox": [str(exc)]}},
                    status=400,
                )
        rest = visible.filter(status__in=_OPEN).filter(
            Q(stage_due_at__isnull=True) | Q(stage_due_at__gte=now)
        )
        if box is not None:
            rest = rest.filter(point__intersects=box)
        in_view = rest.count()
        # Nearest due first, through the open cases' partial index on stage_due_at.
        cases += _rows(rest.order_by("stage_due_at", "pk")[:OPEN_IN_VIEW_LIMIT], now)
        truncated = truncated or in_view > OPEN_IN_VIEW_LIMIT
        if params.get("closed") == "1" or params.get("status") in CLOSED_STATUSES:
            closed = visible.filter(status__in=sorted(CLOSED_STATUSES))
            if box is not None:
                closed = closed.filter(point__intersects=box)
            cases += _rows(closed.order_by("-closed_at", "-pk")[:CLOSED_IN_VIEW_LIMIT], now)
    return JsonResponse(
        {
            "at": now.isoformat(),
            "overdue_total": overdue_total,
            "open_in_view": in_view,
            "truncated": truncated,
            "cases": cases,
        },
        # Chinese item names and addresses as UTF-8, not \uXXXX: a third of the bytes.
        json_dumps_params={"ensure_ascii": False},
    )


@require_GET
@login_required(login_url=LOGIN_URL)
def grid_card(request: HttpRequest) -> JsonResponse:
    """A grid as a click on the map shows it (?code=, or ?lon=&lat= for the grid there): its
    inspectors (and when each was last seen) and its open cases, the most pressing first."""
    grids = regions_for_user_qs(request.user).filter(level=Level.GRID)
    code = request.GET.get("code", "")
    try:
        if code:
            grid = grids.filter(code=code).first()
        else:
            lon, lat = float(request.GET["lon"]), float(request.GET["lat"])
            if not (math.isfinite(lon) and math.isfinite(lat)):
                raise ValueError("not a coordinate")
            point = Point(lon, lat, srid=4326)
            grid = (
                grids.filter(pk__in=grids_at_point_qs(point).values("pk")).order_by("code").first()
            )
    except (KeyError, ValueError):
        grid = None
    if grid is None:
        if code:
            raise Http404
        # A click outside every grid of the jurisdiction (a river, the next district): nothing
        # to show, and not an error.
        return JsonResponse({"code": None})
    code = grid.code
    now = timezone.now()
    open_cases = case_qs_for_user(request.user).filter(
        grid_id=code,  # type: ignore[misc]  # the key is the grid's code (to_field)
        status__in=_OPEN,
    )
    return JsonResponse(
        {
            "code": grid.code,
            "name": grid.name,
            "inspectors": [
                {
                    "name": inspector.name,
                    "minutes_since_fix": (
                        int((now - inspector.last_fix_at).total_seconds() // 60)
                        if inspector.last_fix_at is not None
                        else None
                    ),
                }
                for inspector in grid_inspectors(code)
            ],
            "open_total": open_cases.count(),
            "cases": [
                {**row, "url": reverse("dispatch:case", args=[row["id"]])}
                for row in _rows(open_cases.order_by(*URGENT_FIRST)[:GRID_CASES], now)
            ],
        }
    )

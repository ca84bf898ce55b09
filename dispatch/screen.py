"""The big screen's figures (大屏): KPI tiles with their change against the last period, today's
and the week's trends, rankings, the latest alarms and the inspectors on duty.

Everything is scoped by case_qs_for_user, so a street's screen shows its street. Each figure is
a count over an indexed instant column (reported_at, filed_at, dispatched_at, closed_at) or the
open-case partial indexes; the whole answer is cached for a few seconds per user and language,
so a wall's panels and a second tab polling every 30 s cost one computation.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, time, timedelta
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncDay, TruncHour
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext

from cases.models import OPEN_STATUSES, Case, CaseEvent, Supervision, Urgency
from cases.selectors import case_qs_for_user
from cases.workflow import Action
from dispatch.dashboard import user_roles
from dispatch.models import DeadlineAlert
from grids.models import InspectorPosition, Post, Role
from grids.selectors import jurisdiction_for_user

# Who the screen is for: the leader and the command roles (issue 12's contract).
SCREEN_ROLES = frozenset(
    {
        Role.DISTRICT_LEADER,
        Role.SHIFT_SUPERVISOR,
        Role.DISPATCHER,
        Role.INTAKE_OPERATOR,
        Role.ADMINISTRATOR,
    }
)
CACHE_SECONDS = 20
ON_DUTY_MINUTES = 30
ALARM_HOURS = 24
ALARMS_SHOWN = 12
_OPEN = sorted(OPEN_STATUSES)


def may_see_screen(user: AbstractBaseUser | AnonymousUser) -> bool:
    if not user.is_authenticated:
        return False
    return bool(getattr(user, "is_superuser", False)) or bool(user_roles(user) & SCREEN_ROLES)


def _midnight(day: Any) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def periods(now: datetime) -> dict[str, tuple[datetime, datetime, datetime, datetime]]:
    """today / week / month: (start, now) and the same span of the period before (环比)."""
    today = timezone.localtime(now).date()
    day_start = _midnight(today)
    week_start = _midnight(today - timedelta(days=today.weekday()))
    month_start = _midnight(today.replace(day=1))
    previous_month_start = _midnight((today.replace(day=1) - timedelta(days=1)).replace(day=1))
    elapsed_month = now - month_start
    return {
        "today": (day_start, now, day_start - timedelta(days=1), now - timedelta(days=1)),
        "week": (week_start, now, week_start - timedelta(days=7), now - timedelta(days=7)),
        "month": (
            month_start,
            now,
            previous_month_start,
            min(previous_month_start + elapsed_month, month_start),
        ),
    }


def _ratio(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _span_counts(visible: QuerySet[Case], start: datetime, end: datetime) -> dict[str, Any]:
    def between(column: str) -> QuerySet[Case]:
        return visible.filter(**{f"{column}__gte": start, f"{column}__lt": end})

    reported = between("reported_at").count()
    filed = between("filed_at").count()
    dispatched = between("dispatched_at").count()
    # One pass over the period's closures counts them and the ones on time.
    closures = between("closed_at").aggregate(
        closed=Count("id"),
        on_time=Count(
            "id", filter=Q(case_due_at__isnull=True) | Q(closed_at__lte=F("case_due_at"))
        ),
    )
    closed, closed_on_time = closures["closed"], closures["on_time"]
    return {
        "reported": reported,
        "filed": filed,
        "filing_rate": _ratio(filed, reported),
        "dispatched": dispatched,
        "closed": closed,
        "closing_rate": _ratio(closed, filed),
        "on_time_closing_rate": _ratio(closed_on_time, closed),
    }


def kpis(visible: QuerySet[Case], now: datetime) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, (start, end, previous_start, previous_end) in periods(now).items():
        current = _span_counts(visible, start, end)
        previous = _span_counts(visible, previous_start, previous_end)
        out[name] = {
            key: {"value": value, "previous": previous[key]} for key, value in current.items()
        }
    return out


def trends(visible: QuerySet[Case], now: datetime) -> dict[str, Any]:
    """Today by the hour against yesterday, and the last seven days by day."""
    tz = timezone.get_current_timezone()
    today = _midnight(timezone.localtime(now).date())

    def by(trunc: Any, column: str, start: datetime, end: datetime) -> dict[datetime, int]:
        rows = (
            visible.filter(**{f"{column}__gte": start, f"{column}__lt": end})
            .annotate(bucket=trunc(column, tzinfo=tz))
            .values("bucket")
            .annotate(n=Count("id"))
            .order_by()
        )
        return {timezone.localtime(row["bucket"]): row["n"] for row in rows}

    hours_today = by(TruncHour, "reported_at", today, today + timedelta(days=1))
    hours_yesterday = by(TruncHour, "reported_at", today - timedelta(days=1), today)
    closed_today = by(TruncHour, "closed_at", today, today + timedelta(days=1))
    week_start = today - timedelta(days=6)
    days_reported = by(TruncDay, "reported_at", week_start, today + timedelta(days=1))
    days_closed = by(TruncDay, "closed_at", week_start, today + timedelta(days=1))

    def hourly(series: dict[datetime, int], day: datetime) -> list[int]:
        return [series.get(timezone.localtime(day + timedelta(hours=h)), 0) for h in range(24)]

    days = [timezone.localtime(week_start + timedelta(days=d)) for d in range(7)]
    return {
        "hours": [f"{h:02d}" for h in range(24)],
        "today_reported": hourly(hours_today, today),
        "yesterday_reported": hourly(hours_yesterday, today - timedelta(days=1)),
        "today_closed": hourly(closed_today, today),
        "days": [d.strftime("%m-%d") for d in days],
        "week_reported": [days_reported.get(d, 0) for d in days],
        "week_closed": [days_closed.get(d, 0) for d in days],
    }


def rankings(visible: QuerySet[Case], now: datetime) -> dict[str, Any]:
    week_start, _, _, _ = periods(now)["week"]
    items = (
        visible.filter(reported_at__gte=week_start)
        .values("item__name")
        .annotate(n=Count("id"))
        .order_by("-n", "item__name")[:8]
    )
    open_cases = visible.filter(status__in=_OPEN)
    streets_open = {
        row["street__code"]: row
        for row in open_cases.values("street__code", "street__name")
        .annotate(open=Count("id"), overdue=Count("id", filter=Q(stage_due_at__lt=now)))
        .order_by()
    }
    closed_week = (
        visible.filter(closed_at__gte=week_start)
        .values("street__code", "street__name")
        .annotate(
            closed=Count("id"),
            on_time=Count(
                "id", filter=Q(case_due_at__isnull=True) | Q(closed_at__lte=F("case_due_at"))
            ),
        )
        .order_by()
    )
    streets: dict[str, dict[str, Any]] = {}
    for code, row in streets_open.items():
        streets[code] = {
            "name": row["street__name"],
            "open": row["open"],
            "overdue": row["overdue"],
        }
    for week_row in closed_week:
        entry = streets.setdefault(
            week_row["street__code"], {"name": week_row["street__name"], "open": 0, "overdue": 0}
        )
        entry["closed"] = week_row["closed"]
        entry["on_time_rate"] = _ratio(week_row["on_time"], week_row["closed"])
    street_rows = sorted(
        ({"code": code, "closed": 0, "on_time_rate": None, **row} for code, row in streets.items()),
        key=lambda r: (-r["overdue"], -r["open"], r["code"]),
    )
    return {
        "items": [{"name": row["item__name"], "count": row["n"]} for row in items],
        "streets": street_rows[:10],
    }


def _case_link(case_id: int) -> str:
    return reverse("dispatch:case", args=[case_id])


def alarms(
    user: AbstractBaseUser | AnonymousUser, visible: QuerySet[Case], now: datetime
) -> list[dict[str, Any]]:
    """The newest of: red cards, escalations, urgent reports (each a case), and the
    analysis's alarms (hot spots, unusual rises) where the analysis is for the user."""
    since = now - timedelta(hours=ALARM_HOURS)
    found: list[dict[str, Any]] = []
    reds = (
        DeadlineAlert.objects.filter(
            kind=DeadlineAlert.Kind.RED, created_at__gte=since, case__in=visible
        )
        .select_related("case", "case__item")
        .order_by("-created_at")[:ALARMS_SHOWN]
    )
    for alert in reds:
        found.append(
            {
                "kind": "red",
                "label": gettext("Red card"),
                "at": alert.created_at,
                "text": f"{alert.case.number} {alert.case.item.name} {alert.case.address}",
                "url": _case_link(alert.case_id),
                "key": f"red-{alert.pk}",
            }
        )
    escalations = (
        CaseEvent.objects.filter(action=Action.ESCALATE, created_at__gte=since, case__in=visible)
        .select_related("case", "case__item")
        .order_by("-created_at")[:ALARMS_SHOWN]
    )
    for event in escalations:
        found.append(
            {
                "kind": "escalation",
                "label": gettext("Escalated"),
                "at": event.created_at,
                "text": f"{event.case.number} {event.case.item.name} {event.case.address}",
                "url": _case_link(event.case_id),
                "key": f"esc-{event.pk}",
            }
        )
    urgent = (
        visible.filter(reported_at__gte=since)
        .exclude(urgency=Urgency.NORMAL)
        .select_related("item")
        .order_by("-reported_at")[:ALARMS_SHOWN]
    )
    for case in urgent:
        found.append(
            {
                "kind": "urgent",
                "label": str(case.get_urgency_display()),
                "at": case.reported_at,
                "text": f"{case.number} {case.item.name} {case.address}",
                "url": _case_link(case.pk),
                "key": f"urg-{case.pk}",
            }
        )
    from analysis.selectors import alarms_for_user  # analysis sits above dispatch

    for alarm in alarms_for_user(user, since, limit=ALARMS_SHOWN):
        found.append(
            {
                "kind": "analysis",
                "label": alarm.kind_label,
                "at": alarm.raised_at,
                "text": f"{alarm.subject} {alarm.summary}".strip(),
                "url": alarm.url,
                "key": f"ana-{alarm.id}",
            }
        )
    found.sort(key=lambda a: a["at"], reverse=True)
    return [
        {**a, "at": timezone.localtime(a["at"]).strftime("%H:%M")} for a in found[:ALARMS_SHOWN]
    ]


def inspectors_on_duty(user: AbstractBaseUser | AnonymousUser, now: datetime) -> dict[str, Any]:
    """Inspectors with a GPS fix in the last half hour, posted inside the jurisdiction."""
    jurisdiction = jurisdiction_for_user(user)
    posts = Post.objects.filter(role=Role.INSPECTOR, is_active=True, region__isnull=False)
    if not jurisdiction.everything:
        scope = Q(pk__in=[])
        for code in jurisdiction.region_codes:
            scope |= Q(region__code__startswith=code)
        posts = posts.filter(scope)
    posted = posts.values("user_id")
    fresh = InspectorPosition.objects.filter(
        user_id__in=posted, recorded_at__gte=now - timedelta(minutes=ON_DUTY_MINUTES)
    ).select_related("user")
    rows = list(fresh.order_by("-recorded_at")[:12])
    return {
        "count": fresh.count(),
        "posted": posts.values("user_id").distinct().count(),
        "latest": [
            {
                "name": p.user.get_full_name() or p.user.get_username(),
                "minutes": int((now - p.recorded_at).total_seconds() // 60),
            }
            for p in rows
        ],
    }


def screen_figures(
    *, user: AbstractBaseUser | AnonymousUser, now: datetime | None = None
) -> dict[str, Any]:
    now = now or timezone.now()
    jurisdiction = jurisdiction_for_user(user)
    scope = "*" if jurisdiction.everything else ",".join(sorted(jurisdiction.region_codes))
    key = "screen:" + hashlib.sha256(f"{scope}|{user.pk}|{get_language()}".encode()).hexdigest()
    cached = cache.get(key)
    if cached is not None:
        return cached
    visible = case_qs_for_user(user)
    open_cases = visible.filter(status__in=_OPEN)
    data = {
        "at": now.isoformat(),
        "kpis": kpis(visible, now),
        "now": {
            "open": open_cases.count(),
            "overdue": open_cases.filter(stage_due_at__lt=now).count(),
            "warn": open_cases.filter(stage_warn_at__lt=now, stage_due_at__gte=now).count(),
            "supervised": Supervision.objects.filter(
                settled_at__isnull=True, case__in=visible
            ).count(),
        },
        "trends": trends(visible, now),
        "rankings": rankings(visible, now),
        "alarms": alarms(user, visible, now),
        "inspectors": inspectors_on_duty(user, now),
    }
    cache.set(key, data, CACHE_SECONDS)
    return data

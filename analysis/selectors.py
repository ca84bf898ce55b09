"""What the analysis shows a user: every list is scoped by jurisdiction.

A finding (hot spot, unusual rise, repeat place) and its alarm belong to the lowest command
level that covers it (its region); a user sees those whose region lies in their jurisdiction,
so a community sees its own, a street everything in its communities too, the district all.
The analysis is for the command centre, street officers, community staff and leaders (others:
NotPermitted, a 403).

`alarms_for_user(user, since)` is the selector the big screen's alarm list reads.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Case as When_
from django.db.models import CharField, Count, F, Q, QuerySet, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from analysis.alarms import alarm_texts, alarm_url
from analysis.hotspots import EXCLUDED_STATUSES
from analysis.models import Alarm, AlarmLevel, AnalysisSettings, Hotspot, RepeatPlace, TrendFlag
from analysis.trends import baseline_days
from cases.errors import CaseNotFound, NotPermitted
from cases.models import Case, Item
from cases.worktime import load_calendar
from grids.geo import PointCoordinate
from grids.models import Role
from grids.selectors import Jurisdiction, jurisdiction_for_user

ANALYSIS_ROLES = frozenset(
    {
        Role.INTAKE_OPERATOR,
        Role.SHIFT_SUPERVISOR,
        Role.DISPATCHER,
        Role.STREET_OFFICER,
        Role.COMMUNITY_STAFF,
        Role.DISTRICT_LEADER,
        Role.ADMINISTRATOR,
    }
)
HOTSPOT_STATES = [value for value, _label in Hotspot.State.choices]


def may_analyse(user: AbstractBaseUser | AnonymousUser) -> bool:
    if not user.is_authenticated:
        return False
    jurisdiction = jurisdiction_for_user(user)
    return jurisdiction.everything or jurisdiction.has_role(*ANALYSIS_ROLES)


def analysis_jurisdiction(user: AbstractBaseUser | AnonymousUser) -> Jurisdiction:
    """The user's jurisdiction, or NotPermitted for roles the analysis is not for."""
    if not may_analyse(user):
        raise NotPermitted(
            _(
                "The analysis is for command-centre staff, street and community officers and "
                "leaders."
            )
        )
    return jurisdiction_for_user(user)


def _in(jurisdiction: Jurisdiction) -> Q:
    return jurisdiction.region_filter("region__code")


# --- hot spots ---------------------------------------------------------------------------------


def hotspot_qs_for_user(
    user: AbstractBaseUser | AnonymousUser, *, states: list[str] | None = None
) -> QuerySet[Hotspot]:
    """Hot spots the user may see, newest first, each annotated with `state` (new,
    acknowledged, handled: its alarm's; gone once a pass no longer finds it)."""
    qs = (
        Hotspot.objects.filter(_in(analysis_jurisdiction(user)))
        .annotate(
            state=When_(
                When(gone_at__isnull=False, then=Value(Hotspot.State.GONE)),
                default=F("alarm__state"),
                output_field=CharField(),
            )
        )
        .select_related("item", "region", "alarm")
        .order_by("-last_seen_at", "-pk")
    )
    if states:
        qs = qs.filter(state__in=states)
    return qs


def hotspot_get_for_user(user: AbstractBaseUser | AnonymousUser, hotspot_id: int) -> Hotspot:
    hotspot = hotspot_qs_for_user(user).filter(pk=hotspot_id).first()
    if hotspot is None:
        raise CaseNotFound(_("No hot spot %(id)s in your jurisdiction.") % {"id": hotspot_id})
    return hotspot


def hotspot_case_ids(hotspot_ids: list[int]) -> dict[int, list[int]]:
    """The cases of each hot spot (one query)."""
    from analysis.models import HotspotCase

    out: dict[int, list[int]] = defaultdict(list)
    for hotspot_id, case_id in (
        HotspotCase.objects.filter(hotspot_id__in=hotspot_ids)
        .order_by("case_id")
        .values_list("hotspot_id", "case_id")
    ):
        out[hotspot_id].append(case_id)
    return out


# --- alarms ------------------------------------------------------------------------------------


def alarm_qs_for_user(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Alarm]:
    return (
        Alarm.objects.filter(_in(analysis_jurisdiction(user)))
        .select_related("region", "item", "acknowledged_by", "handled_by")
        .order_by("-raised_at", "-pk")
    )


@dataclass(frozen=True)
class AlarmView:
    """An alarm as a list shows it (the big screen, the analysis page)."""

    id: int
    kind: str
    kind_label: str
    subject: str
    summary: str
    region_code: str
    region_name: str
    level: str
    level_label: str
    state: str
    state_label: str
    raised_at: datetime
    url: str
    lon: float | None
    lat: float | None


def alarm_view(alarm: Alarm) -> AlarmView:
    subject, summary = alarm_texts(alarm.message, alarm.params)
    return AlarmView(
        id=alarm.pk,
        kind=alarm.kind,
        kind_label=str(alarm.get_kind_display()),
        subject=subject,
        summary=summary,
        region_code=alarm.region_id,
        region_name=alarm.region.name,
        level=alarm.level,
        level_label=str(AlarmLevel(alarm.level).label),
        state=alarm.state,
        state_label=str(alarm.get_state_display()),
        raised_at=alarm.raised_at,
        url=alarm_url(alarm.pk),
        lon=alarm.point.x if alarm.point is not None else None,
        lat=alarm.point.y if alarm.point is not None else None,
    )


def alarms_for_user(
    user: AbstractBaseUser | AnonymousUser,
    since: datetime | None = None,
    *,
    states: list[str] | None = None,
    limit: int = 50,
) -> list[AlarmView]:
    """The newest alarms the user may see (raised at or after `since`), for alarm lists.

    Users the analysis is not for get an empty list (a big screen shows it to everyone)."""
    if not may_analyse(user):
        return []
    qs = alarm_qs_for_user(user)
    if since is not None:
        qs = qs.filter(raised_at__gte=since)
    if states:
        qs = qs.filter(state__in=states)
    return [alarm_view(alarm) for alarm in qs[:limit]]


# --- unusual rises and repeat places ------------------------------------------------------------


def trend_flag_qs_for_user(user: AbstractBaseUser | AnonymousUser) -> QuerySet[TrendFlag]:
    return (
        TrendFlag.objects.filter(_in(analysis_jurisdiction(user)))
        .select_related("item", "region", "alarm")
        .order_by("-last_flagged_at", "-pk")
    )


def repeat_place_qs_for_user(user: AbstractBaseUser | AnonymousUser) -> QuerySet[RepeatPlace]:
    return (
        RepeatPlace.objects.filter(_in(analysis_jurisdiction(user)))
        .select_related("region", "alarm")
        .order_by("-case_count", "-last_closed_at", "pk")
    )


def repeat_place_get_for_user(user: AbstractBaseUser | AnonymousUser, place_id: int) -> RepeatPlace:
    place = repeat_place_qs_for_user(user).filter(pk=place_id).first()
    if place is None:
        raise CaseNotFound(_("No repeat place %(id)s in your jurisdiction.") % {"id": place_id})
    return place


def repeat_place_history(place: RepeatPlace) -> list[dict[str, Any]]:
    """The place's cases, oldest first: what was reported, when, who handled it, how long."""
    rows = (
        Case.objects.filter(pk__in=place.memberships.values("case_id"))
        .select_related("item", "handling_unit")
        .order_by("closed_at", "pk")
    )
    return [
        {
            "id": case.pk,
            "number": case.number,
            "item": case.item.name,
            "address": case.address,
            "reported_at": case.reported_at,
            "closed_at": case.closed_at,
            "closure_kind": case.closure_kind,
            "handling_unit": case.handling_unit.name if case.handling_unit else "",
            "reworks": case.reworks_count,
        }
        for case in rows
    ]


# --- the heat map and the small multiples --------------------------------------------------------


def _case_scope(jurisdiction: Jurisdiction) -> QuerySet[Case]:
    return Case.objects.filter(jurisdiction.region_filter("grid__code")).exclude(
        status__in=EXCLUDED_STATUSES
    )


MAX_HEAT_DAYS = 92


def heat_points(
    user: AbstractBaseUser | AnonymousUser, *, days: int = 7, now: datetime | None = None
) -> list[tuple[float, float, int]]:
    """(lat, lon, cases) of the reports of the last `days` days in the user's jurisdiction,
    gathered on a 0.001° lattice (about 100 m) so the map gets thousands of cells, not
    hundreds of thousands of points."""
    now = now or timezone.now()
    rows = (
        _case_scope(analysis_jurisdiction(user))
        .filter(reported_at__gte=now - timedelta(days=days), reported_at__lte=now)
        .annotate(
            lon=PointCoordinate("point", axis="X", places=3),
            lat=PointCoordinate("point", axis="Y", places=3),
        )
        .values_list("lat", "lon")
        .annotate(n=Count("id"))
        .order_by()
    )
    return [(float(lat), float(lon), int(n)) for lat, lon, n in rows]


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def trend_series(
    user: AbstractBaseUser | AnonymousUser,
    *,
    days: int = 28,
    top: int = 12,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Small multiples: for the `top` items with most reports in the last `days` days in the
    user's jurisdiction, the daily counts and what the baseline expected each day (the mean of
    its baseline days, the same ones the trend pass uses), and the days flagged."""
    jurisdiction = analysis_jurisdiction(user)
    now = now or timezone.now()
    settings = AnalysisSettings.current()
    calendar = load_calendar()
    today = timezone.localtime(now).date()
    shown = [today - timedelta(days=n) for n in range(days - 1, -1, -1)]
    bases = {day: baseline_days(day, calendar, settings.trend_baseline_weeks) for day in shown}
    first = min([*shown, *(d for base in bases.values() for d in base)])
    scope = _case_scope(jurisdiction).filter(
        reported_at__gte=_local_midnight(first), reported_at__lte=now
    )
    top_items = list(
        scope.filter(reported_at__gte=_local_midnight(shown[0]))
        .values_list("item_id")
        .annotate(n=Count("id"))
        .order_by("-n", "item_id")[:top]
    )
    item_ids = [item_id for item_id, _n in top_items]
    all_days = [first + timedelta(days=n) for n in range((today - first).days + 1)]
    day_at = {day: i for i, day in enumerate(all_days)}
    counts = np.zeros((len(item_ids), len(all_days)), dtype=np.int64)
    at_item = {item_id: i for i, item_id in enumerate(item_ids)}
    for item_id, day, n in (
        scope.filter(item_id__in=item_ids)
        .annotate(day=TruncDate("reported_at", tzinfo=timezone.get_current_timezone()))
        .values_list("item_id", "day")
        .annotate(n=Count("id"))
        .order_by()
    ):
        if day in day_at:
            counts[at_item[item_id], day_at[day]] = n
    flagged: dict[int, set[str]] = defaultdict(set)
    for item_id, start in TrendFlag.objects.filter(
        _in(jurisdiction),
        item_id__in=item_ids,
        period=TrendFlag.Period.DAY,
        period_start__gte=shown[0],
    ).values_list("item_id", "period_start"):
        flagged[item_id].add(start.isoformat())
    items = {item.pk: item for item in Item.objects.filter(pk__in=item_ids)}
    series = []
    for item_id in item_ids:
        row = counts[at_item[item_id]]
        expected = [
            round(float(np.mean([row[day_at[d]] for d in bases[day]])), 2) if bases[day] else None
            for day in shown
        ]
        series.append(
            {
                "item_id": item_id,
                "code": items[item_id].code,
                "name": items[item_id].name,
                "counts": [int(row[day_at[day]]) for day in shown],
                "expected": expected,
                "flagged": sorted(flagged.get(item_id, ())),
            }
        )
    return {"days": [day.isoformat() for day in shown], "items": series}

"""The analysis page's tables as rows: the same cells for the page, the CSV and the XLSX
(config.exports writes them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _

from analysis.alarms import alarm_texts, place_label
from analysis.models import Hotspot, RepeatPlace, TrendFlag
from analysis.selectors import (
    alarm_qs_for_user,
    hotspot_qs_for_user,
    repeat_place_qs_for_user,
    trend_flag_qs_for_user,
)
from cases.models import NATIONAL_MAJOR_CLASSES
from config.exports import Cell
from grids.models import PatrolGridDay
from grids.patrol import directed_inspectors_qs
from grids.selectors import jurisdiction_for_user

MAX_ROWS = 10_000


@dataclass
class Table:
    name: str
    title: str
    headers: list[str]
    rows: list[list[Cell]]


def _who(user: AbstractBaseUser | None) -> str:
    if user is None:
        return ""
    return str(user.get_full_name() or user.get_username())  # type: ignore[attr-defined]


def _class_label(family: str, major: str) -> str:
    return NATIONAL_MAJOR_CLASSES.get(family, {}).get(major, major)


def alarms_table(user: AbstractBaseUser, **_params: object) -> Table:
    rows: list[list[Cell]] = [
        [
            alarm.raised_at,
            str(alarm.get_kind_display()),
            alarm_texts(alarm.message, alarm.params)[0],
            alarm.region.name,
            alarm.region_id,
            str(alarm.get_level_display()),
            str(alarm.get_state_display()),
            _who(alarm.acknowledged_by),
            alarm.acknowledged_at,
            _who(alarm.handled_by),
            alarm.handled_at,
            alarm.note,
        ]
        for alarm in alarm_qs_for_user(user)[:MAX_ROWS]
    ]
    headers = [
        _("Raised at"),
        _("Kind"),
        _("Subject"),
        _("Region"),
        _("Region code"),
        _("Level"),
        _("State"),
        _("Acknowledged by"),
        _("Acknowledged at"),
        _("Handled by"),
        _("Handled at"),
        _("Note"),
    ]
    return Table("alarms", _("Alarms"), headers, rows)


def hotspots_table(user: AbstractBaseUser, **_params: object) -> Table:
    rows: list[list[Cell]] = []
    for hotspot in hotspot_qs_for_user(user)[:MAX_ROWS]:
        what = (
            hotspot.item.name
            if hotspot.scope == Hotspot.Scope.ITEM and hotspot.item is not None
            else _class_label(hotspot.family, hotspot.major_class)
        )
        rows.append(
            [
                hotspot.pk,
                what,
                hotspot.case_count,
                hotspot.region.name,
                hotspot.region_id,
                str(Hotspot.State(hotspot.state).label),  # type: ignore[attr-defined]
                hotspot.first_case_at,
                hotspot.last_case_at,
                hotspot.first_seen_at,
                hotspot.last_seen_at,
                hotspot.gone_at,
                f"≥{hotspot.min_cases} / {hotspot.radius_m} m / {hotspot.window_hours} h",
            ]
        )
    headers = [
        _("Hot spot"),
        _("Item or class"),
        _("Cases"),
        _("Region"),
        _("Region code"),
        _("State"),
        _("First case reported"),
        _("Last case reported"),
        _("First seen"),
        _("Last seen"),
        _("Gone at"),
        _("Rule (N / R / T)"),
    ]
    return Table("hotspots", _("Hot spots"), headers, rows)


def trends_table(user: AbstractBaseUser, **_params: object) -> Table:
    rows: list[list[Cell]] = [
        [
            flag.item.name,
            flag.item.code,
            flag.region.name,
            flag.region_id,
            str(TrendFlag.Period(flag.period).label),
            flag.period_start,
            flag.count,
            round(flag.expected, 2),
            f"{flag.p_value:.1e}",
            flag.first_flagged_at,
            flag.last_flagged_at,
        ]
        for flag in trend_flag_qs_for_user(user)[:MAX_ROWS]
    ]
    headers = [
        _("Item"),
        _("Item code"),
        _("Region"),
        _("Region code"),
        _("Period"),
        _("Period start"),
        _("Count"),
        _("Expected"),
        _("Tail probability"),
        _("First flagged"),
        _("Last flagged"),
    ]
    return Table("trends", _("Unusual rises"), headers, rows)


def repeats_table(user: AbstractBaseUser, **_params: object) -> Table:
    rows: list[list[Cell]] = [
        [
            place_label(place.place_kind, place.place_name),
            str(RepeatPlace.PlaceKind(place.place_kind).label),
            _class_label(place.family, place.major_class)
            + f" {place.major_class}{place.minor_class}",
            place.region.name,
            place.region_id,
            place.case_count,
            place.first_closed_at,
            place.last_closed_at,
            place.gone_at,
            place.supervised_at,
        ]
        for place in repeat_place_qs_for_user(user)[:MAX_ROWS]
    ]
    headers = [
        _("Place"),
        _("Place kind"),
        _("Class"),
        _("Region"),
        _("Region code"),
        _("Closed cases"),
        _("First closed"),
        _("Last closed"),
        _("No longer repeating since"),
        _("Supervision filed"),
    ]
    return Table("repeat-places", _("Repeat places"), headers, rows)


def patrol_rows(
    user: AbstractBaseUser | AnonymousUser, day: date, inspector: int | None = None
) -> list[PatrolGridDay]:
    """The day's patrol per grid of the inspectors the user directs."""
    qs = PatrolGridDay.objects.filter(
        day=day, patrol_day__user__in=directed_inspectors_qs(jurisdiction_for_user(user))
    )
    if inspector is not None:
        qs = qs.filter(patrol_day__user_id=inspector)
    return list(
        qs.select_related("patrol_day__user", "grid").order_by("grid_id", "patrol_day__user_id")[
            :MAX_ROWS
        ]
    )


def patrols_table(user: AbstractBaseUser, *, day: date | None = None, **params: object) -> Table:
    inspector = params.get("inspector")
    rows: list[list[Cell]] = []
    if day is not None:
        for row in patrol_rows(user, day, inspector if isinstance(inspector, int) else None):
            person = row.patrol_day.user
            rows.append(
                [
                    row.day,
                    person.get_full_name() or person.get_username(),
                    row.grid.name,
                    row.grid_id,
                    _("yes") if row.is_own else _("no"),
                    round(row.distance_m),
                    round(row.duty_seconds / 3600, 2),
                    round(row.covered_share * 100, 1),
                ]
            )
    headers = [
        _("Day"),
        _("Inspector"),
        _("Grid"),
        _("Grid code"),
        _("Own grid"),
        _("Distance walked (m)"),
        _("Time on duty (h)"),
        _("Grid covered (%)"),
    ]
    return Table("patrols", _("Patrols"), headers, rows)


TABLES: dict[str, Callable[..., Table]] = {
    "alarms": alarms_table,
    "hotspots": hotspots_table,
    "trends": trends_table,
    "repeat-places": repeats_table,
    "patrols": patrols_table,
}

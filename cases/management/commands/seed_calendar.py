"""seed_calendar [--from-year Y] [--to-year Y]: the working-day calendar from the holidays package.

For each year whose official arrangement (the State Council's notice) the installed `holidays`
package carries, writes CalendarDay rows for the exceptions to Monday–Friday — public holidays
on weekdays (days off) and weekend days made working days (调休) — and marks the CalendarYear
as having official data. Years the package only estimates by rule get a CalendarYear row
without official data and no days: counting them Mon–Fri (with a warning) is more honest
than a guessed arrangement. Seeds the default working periods when there are none.

Idempotent: official rows are created, updated or removed to match the package; manual rows
(entered or edited by staff) are never touched.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import holidays
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from cases.models import CalendarDay, CalendarSource, CalendarYear, WorkPeriod
from cases.worktime import DEFAULT_WORK_PERIODS, clear_calendar_cache

FIRST_YEAR = 2020
# Names in Chinese: the calendar is read by the district's staff.
HOLIDAY_LANGUAGE = "zh_CN"
MAKEUP_SUFFIX = "调休上班"
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PARENTHESISED = re.compile(r"（[^）]*）")


@dataclass(frozen=True)
class OfficialDay:
    is_working_day: bool
    name: str


def official_years(first: int, last: int) -> set[int]:
    """The years in [first, last] for which the package has the official notice.

    Without a notice the package still computes the statutory days by rule (and the observed
    days it guesses), but it has no makeup workdays: the notice's substitution table is what
    tells an official year from an estimated one.
    """
    from holidays.countries.china import ChinaStaticHolidays

    published = getattr(ChinaStaticHolidays, "special_public_holidays", {})
    return {year for year in range(first, last + 1) if year in published}


def official_days(first: int, last: int) -> dict[date, OfficialDay]:
    """The exceptions to Monday–Friday in the official years between first and last."""
    years = official_years(first, last)
    # A year either side: a notice can move a late-December weekend of the year before, and
    # the run of days off around New Year crosses the boundary. No expansion past that, so
    # the package's dict stays the same while it is read.
    china = holidays.China(
        years=range(first - 1, last + 2), language=HOLIDAY_LANGUAGE, expand=False
    )
    names: dict[date, str] = dict(china.items())
    makeup = {day for day in china.weekend_workdays if first - 1 <= day.year <= last + 1}
    days: dict[date, OfficialDay] = {}
    for day, name in names.items():
        if day.year in years and day.weekday() < 5:
            days[day] = OfficialDay(is_working_day=False, name=name)
    for day in makeup:
        if day.year in years:
            days[day] = OfficialDay(is_working_day=True, name=_makeup_name(names, makeup, day))
    return days


def _makeup_name(names: dict[date, str], makeup: set[date], workday: date) -> str:
    """ "春节调休上班": the festival whose break the makeup workday pays for.

    The package names the swapped day off "休息日（由 <workday> 调休）"; the festival is the
    holiday named most often in the run of days off around it (春节 over 农历除夕).
    """
    stamp = workday.isoformat()
    named: Counter[str] = Counter()
    for day_off in (day for day, name in names.items() if stamp in name):
        for day in _days_off_around(names, makeup, day_off):
            for part in names.get(day, "").split("; "):
                if part and not _ISO_DATE.search(part):
                    # "国庆节（补假）" is still 国庆节.
                    named[_PARENTHESISED.sub("", part).strip()] += 1
    festival = named.most_common(1)[0][0] if named else ""
    return f"{festival}{MAKEUP_SUFFIX}"


def _days_off_around(names: dict[date, str], makeup: set[date], day_off: date) -> list[date]:
    """The run of consecutive days off (holidays and weekends) containing day_off, in order."""

    def is_off(day: date) -> bool:
        return day in names or (day.weekday() >= 5 and day not in makeup)

    one_day = timedelta(days=1)
    start = end = day_off
    while is_off(start - one_day):
        start -= one_day
    while is_off(end + one_day):
        end += one_day
    return [start + one_day * n for n in range((end - start).days + 1)]


class Command(BaseCommand):
    help = (
        "Seed the working-day calendar (holidays and makeup workdays) from the holidays "
        "package, and the default working periods. Manual rows are kept."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--from-year", type=int, default=FIRST_YEAR, help=f"first year (default {FIRST_YEAR})"
        )
        parser.add_argument(
            "--to-year", type=int, default=None, help="last year (default: next year)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        first = options["from_year"]
        last = options["to_year"] or timezone.localdate().year + 1
        if last < first:
            raise CommandError(f"--to-year {last} is before --from-year {first}.")
        with transaction.atomic():
            self._seed_days(first, last)
            self._seed_years(first, last)
            self._seed_work_periods()
        clear_calendar_cache()

    def _seed_days(self, first: int, last: int) -> None:
        wanted = official_days(first, last)
        years = official_years(first, last)
        existing = {
            row.date: row
            for row in CalendarDay.objects.filter(
                date__gte=date(first, 1, 1), date__lte=date(last, 12, 31)
            )
        }
        counts = dict.fromkeys(("created", "updated", "unchanged", "removed", "manual kept"), 0)
        to_create: list[CalendarDay] = []
        for day, official in sorted(wanted.items()):
            row = existing.get(day)
            if row is None:
                to_create.append(
                    CalendarDay(
                        date=day,
                        is_working_day=official.is_working_day,
                        name=official.name,
                        source=CalendarSource.OFFICIAL,
                    )
                )
                counts["created"] += 1
            elif row.source != CalendarSource.OFFICIAL:
                counts["manual kept"] += 1
            elif (row.is_working_day, row.name) != (official.is_working_day, official.name):
                row.is_working_day, row.name = official.is_working_day, official.name
                row.save(update_fields=["is_working_day", "name"])
                counts["updated"] += 1
            else:
                counts["unchanged"] += 1
        CalendarDay.objects.bulk_create(to_create)
        # A package update can correct a notice; official rows it no longer lists go.
        stale = [
            row.pk
            for day, row in existing.items()
            if row.source == CalendarSource.OFFICIAL and day.year in years and day not in wanted
        ]
        counts["removed"] = CalendarDay.objects.filter(pk__in=stale).delete()[0]
        days_off = sum(not official.is_working_day for official in wanted.values())
        self.stdout.write(
            f"Calendar days {first}–{last}: {days_off} holidays on weekdays, "
            f"{len(wanted) - days_off} makeup workdays in the package; "
            + ", ".join(f"{count} {what}" for what, count in counts.items())
            + "."
        )

    def _seed_years(self, first: int, last: int) -> None:
        years = official_years(first, last)
        now = timezone.now()
        for year in range(first, last + 1):
            row, _created = CalendarYear.objects.get_or_create(year=year)
            if year in years:
                row.has_official_data = True
                row.seeded_at = now
                row.save(update_fields=["has_official_data", "seeded_at"])
                self.stdout.write(f"{year}: official arrangement seeded.")
            elif row.has_official_data:
                # Staff entered the arrangement by hand before the package had it.
                self.stdout.write(f"{year}: not in the package; kept as entered by staff.")
            else:
                self.stdout.write(
                    self.style.WARNING(
                        f"{year}: no official arrangement in the holidays package "
                        f"{holidays.__version__}; counted Monday–Friday until it is entered "
                        "in the admin or the package is upgraded."
                    )
                )

    def _seed_work_periods(self) -> None:
        if WorkPeriod.objects.exists():
            self.stdout.write("Working periods: kept the existing ones.")
            return
        WorkPeriod.objects.bulk_create(
            WorkPeriod(start=start, end=end) for start, end in DEFAULT_WORK_PERIODS
        )
        spans = ", ".join(f"{start:%H:%M}–{end:%H:%M}" for start, end in DEFAULT_WORK_PERIODS)
        self.stdout.write(f"Working periods: seeded the defaults {spans}.")

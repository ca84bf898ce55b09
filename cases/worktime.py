"""Working-time arithmetic: the one place a due instant is computed (DOMAIN.md §7).

Everything here is a pure function of (start, limit, calendar) except load_calendar(), which
builds a WorkCalendar from the database. Conventions:

- Wall-clock times (working periods, day boundaries) are read in the calendar's time zone;
  results come back in the time zone of the datetime passed in.
- A due instant is the *earliest* instant at which the limit has been used up: a limit that
  runs out exactly at 12:00 is due at 12:00, not at 13:30 when the afternoon period starts.
  A start outside working time therefore starts counting at the next period start, and a
  zero limit is due at once.
- One working day is one full working day of working time (the sum of the working periods,
  7.5 h with the default 08:30–12:00 and 13:30–17:30), counted as working hours. A case
  reported at 15:00 with a limit of one working day is due at 15:00 on the next working day.
"""

from __future__ import annotations

import logging
import threading
import time as time_module
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from itertools import pairwise
from types import MappingProxyType
from zoneinfo import ZoneInfo

logger = logging.getLogger("cases.worktime")

__all__ = [
    "CALENDAR_CACHE_SECONDS",
    "DEFAULT_WORK_PERIODS",
    "WORKING_HOURS",
    "WorkCalendar",
    "add_limit",
    "clear_calendar_cache",
    "deadlines",
    "load_calendar",
    "remaining",
    "working_time_between",
]

# The seed for the WorkPeriod table (local practice); the table is what counts.
DEFAULT_WORK_PERIODS: tuple[tuple[time, time], ...] = (
    (time(8, 30), time(12, 0)),
    (time(13, 30), time(17, 30)),
)
DEFAULT_TIME_ZONE = "Asia/Shanghai"

# Plain strings so this module imports no models; they equal cases.models.LimitUnit's values.
WORKING_HOURS = "working_hours"
WORKING_DAYS = "working_days"
NATURAL_HOURS = "natural_hours"
_UNITS = frozenset({WORKING_HOURS, WORKING_DAYS, NATURAL_HOURS})

_ONE_DAY = timedelta(days=1)
_ONE_HOUR = timedelta(hours=1)

# Years already warned about in this process (the warning is for operators, once is enough).
_warned_years: set[int] = set()
_warned_lock = threading.Lock()


def _offset(moment: time) -> timedelta:
    """A wall-clock time as the time elapsed since midnight."""
    return timedelta(
        hours=moment.hour,
        minutes=moment.minute,
        seconds=moment.second,
        microseconds=moment.microsecond,
    )


@dataclass(frozen=True)
class WorkCalendar:
    """Which days are working days and which hours of them are working time.

    overrides: {date: is_working_day} for the exceptions to Monday–Friday (a row for any date
    wins). official_years: the years whose official arrangement is known; in other years a date
    without an override falls back to Monday–Friday with a warning.
    """

    overrides: Mapping[date, bool] = field(default_factory=dict)
    official_years: frozenset[int] = frozenset()
    work_periods: tuple[tuple[time, time], ...] = DEFAULT_WORK_PERIODS
    tz: tzinfo = field(default_factory=lambda: ZoneInfo(DEFAULT_TIME_ZONE))
    # Periods as offsets from midnight, derived once so the walks do no time arithmetic.
    _spans: tuple[tuple[timedelta, timedelta], ...] = field(init=False, repr=False, compare=False)
    _day_length: timedelta = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        periods = tuple(sorted((start, end) for start, end in self.work_periods))
        if not periods:
            raise ValueError("A work calendar needs at least one working period.")
        for start, end in periods:
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError("Working periods are wall-clock times without a time zone.")
            if end <= start:
                raise ValueError(f"Working period {start}–{end} must end after it starts.")
        for (_, previous_end), (next_start, _) in pairwise(periods):
            if next_start < previous_end:
                raise ValueError("Working periods must not overlap.")
        spans = tuple((_offset(start), _offset(end)) for start, end in periods)
        # Frozen: the normalised values are set once here, through object.__setattr__.
        object.__setattr__(self, "overrides", MappingProxyType(dict(self.overrides)))
        object.__setattr__(self, "official_years", frozenset(self.official_years))
        object.__setattr__(self, "work_periods", periods)
        object.__setattr__(self, "_spans", spans)
        object.__setattr__(
            self, "_day_length", sum((end - start for start, end in spans), timedelta())
        )

    @property
    def working_day_length(self) -> timedelta:
        """The working time in one working day: what one working day of a limit is worth."""
        return self._day_length

    def is_working_day(self, day: date) -> bool:
        override = self.overrides.get(day)
        if override is not None:
            return override
        if day.year not in self.official_years:
            _warn_missing_year(day.year)
        return day.weekday() < 5

    def _worked_on(self, day: date, since: timedelta, until: timedelta) -> timedelta:
        """Working time on `day` between two offsets from its midnight."""
        if until <= since or not self.is_working_day(day):
            return timedelta(0)
        total = timedelta(0)
        for start, end in self._spans:
            overlap = min(end, until) - max(start, since)
            if overlap > timedelta(0):
                total += overlap
        return total


def _warn_missing_year(year: int) -> None:
    with _warned_lock:
        if year in _warned_years:
            return
        _warned_years.add(year)
    logger.warning(
        "No official working-day arrangement for %s: counting Monday–Friday as working days. "
        "Run seed_calendar after the arrangement is published, or enter it in the admin.",
        year,
    )


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got naive {moment!r}.")


def _amount(value: float | Decimal) -> Decimal:
    """A limit's number, checked: finite and not negative."""
    if isinstance(value, bool):
        raise ValueError("A limit must be a number, not a boolean.")
    # str() gives the decimal the caller wrote (0.1, not 0.1000000000000000055…).
    amount = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    if not amount.is_finite():
        raise ValueError(f"A limit must be finite, got {value!r}.")
    if amount < 0:
        raise ValueError(f"A limit cannot be negative, got {value!r}.")
    return amount


def _scaled(amount: Decimal, unit_length: timedelta) -> timedelta:
    """amount × unit_length, exact to the microsecond (Decimal, so no float drift)."""
    microseconds = amount * (unit_length // timedelta(microseconds=1))
    return timedelta(microseconds=int(microseconds.to_integral_value()))


def _wall(day: date, offset: timedelta, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz) + offset


def _add_working_time(start: datetime, amount: timedelta, calendar: WorkCalendar) -> datetime:
    """Walk forward through working time; whole days are taken a day at a time, never less."""
    local = start.astimezone(calendar.tz)
    day = local.date()
    since = local - datetime.combine(day, time(0), tzinfo=calendar.tz)
    remaining_time = amount
    day_length = calendar.working_day_length
    while True:
        # Whole working days first, one comparison each, while more than a day is left: the
        # last (possibly full) day is walked period by period so it ends at the earliest instant.
        if since == timedelta(0):
            while remaining_time > day_length:
                if calendar.is_working_day(day):
                    remaining_time -= day_length
                day += _ONE_DAY
        if calendar.is_working_day(day):
            for period_start, period_end in calendar._spans:
                if period_end <= since:
                    continue
                counted_from = max(period_start, since)
                available = period_end - counted_from
                if remaining_time <= available:
                    return _wall(day, counted_from + remaining_time, calendar.tz)
                remaining_time -= available
        day += _ONE_DAY
        since = timedelta(0)


def add_limit(
    start: datetime, value: float | Decimal, unit: str, calendar: WorkCalendar
) -> datetime:
    """The instant a limit of `value` `unit` counted from `start` runs out.

    natural_hours: elapsed time, whatever the day. working_hours: working time of working
    days. working_days: value × the length of a working day, counted as working hours.
    Raises ValueError for a naive start, a negative or non-finite value, or an unknown unit.
    """
    _require_aware(start, "start")
    if unit not in _UNITS:
        raise ValueError(f"Unknown limit unit {unit!r}.")
    amount = _amount(value)
    if unit == NATURAL_HOURS:
        # Through UTC so a daylight-saving change in the caller's zone cannot stretch an hour.
        return (start.astimezone(UTC) + _scaled(amount, _ONE_HOUR)).astimezone(start.tzinfo)
    unit_length = calendar.working_day_length if unit == WORKING_DAYS else _ONE_HOUR
    working_time = _scaled(amount, unit_length)
    if working_time == timedelta(0):
        return start
    return _add_working_time(start, working_time, calendar).astimezone(start.tzinfo)


def deadlines(
    start: datetime,
    value: float | Decimal,
    unit: str,
    calendar: WorkCalendar,
    warn_share: float | Decimal,
) -> tuple[datetime, datetime]:
    """(warn_at, due_at): the yellow card once warn_share of the limit has passed, the red at
    the limit itself."""
    share = Decimal(str(warn_share)) if isinstance(warn_share, float) else Decimal(warn_share)
    if not (share.is_finite() and 0 < share <= 1):
        raise ValueError(f"The warning share must be in (0, 1], got {warn_share!r}.")
    limit = _amount(value)
    due_at = add_limit(start, limit, unit, calendar)
    warn_at = add_limit(start, limit * share, unit, calendar)
    return warn_at, due_at


def working_time_between(a: datetime, b: datetime, calendar: WorkCalendar) -> timedelta:
    """The working time from a to b; negative when b is before a.

    The inverse of add_limit for working units: working_time_between(s, add_limit(s, h,
    "working_hours", c), c) is h hours.
    """
    _require_aware(a, "a")
    _require_aware(b, "b")
    if b < a:
        return -working_time_between(b, a, calendar)
    tz = calendar.tz
    local_a, local_b = a.astimezone(tz), b.astimezone(tz)
    day_a, day_b = local_a.date(), local_b.date()
    since = local_a - datetime.combine(day_a, time(0), tzinfo=tz)
    until = local_b - datetime.combine(day_b, time(0), tzinfo=tz)
    if day_a == day_b:
        return calendar._worked_on(day_a, since, until)
    total = calendar._worked_on(day_a, since, _ONE_DAY)
    day = day_a + _ONE_DAY
    while day < day_b:
        if calendar.is_working_day(day):
            total += calendar.working_day_length
        day += _ONE_DAY
    return total + calendar._worked_on(day_b, timedelta(0), until)


def remaining(now: datetime, due_at: datetime, unit: str, calendar: WorkCalendar) -> timedelta:
    """Time left before due_at, in the time the limit counts in; negative once overdue."""
    _require_aware(now, "now")
    _require_aware(due_at, "due_at")
    if unit not in _UNITS:
        raise ValueError(f"Unknown limit unit {unit!r}.")
    if unit == NATURAL_HOURS:
        return due_at.astimezone(UTC) - now.astimezone(UTC)  # elapsed time, not wall time
    return working_time_between(now, due_at, calendar)


# --- Loading from the database ---------------------------------------------------------------

# Admin edits must show within a minute in every process; a short per-process cache keeps a
# sweep over thousands of cases from rereading three tables per case.
CALENDAR_CACHE_SECONDS = 30.0

_cache_lock = threading.Lock()
_cached: tuple[float, WorkCalendar] | None = None


def clear_calendar_cache() -> None:
    """Forget the cached calendar in this process (after seeding or an admin edit)."""
    global _cached
    with _cache_lock:
        _cached = None


def load_calendar() -> WorkCalendar:
    """The calendar in the database, cached per process for CALENDAR_CACHE_SECONDS."""
    global _cached
    now = time_module.monotonic()
    cached = _cached
    if cached is not None and now - cached[0] < CALENDAR_CACHE_SECONDS:
        return cached[1]
    calendar = _read_calendar()
    with _cache_lock:
        _cached = (now, calendar)
    return calendar


def _read_calendar() -> WorkCalendar:
    # Imported here so the arithmetic above stays importable without Django set up.
    from django.conf import settings

    from cases.models import CalendarDay, CalendarYear, WorkPeriod

    periods: Iterable[tuple[time, time]] = list(WorkPeriod.objects.values_list("start", "end"))
    if not periods:
        # An unseeded database still needs working hours; seed_calendar writes these same ones.
        logger.warning(
            "No working periods in the database; using the defaults %s.", DEFAULT_WORK_PERIODS
        )
        periods = DEFAULT_WORK_PERIODS
    return WorkCalendar(
        overrides=dict(CalendarDay.objects.values_list("date", "is_working_day")),
        official_years=frozenset(
            CalendarYear.objects.filter(has_official_data=True).values_list("year", flat=True)
        ),
        work_periods=tuple(periods),
        tz=ZoneInfo(settings.TIME_ZONE or DEFAULT_TIME_ZONE),
    )

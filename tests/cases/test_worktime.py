"""Working-time arithmetic (cases.worktime). Pure tests build a WorkCalendar by hand; the
database tests at the end cover load_calendar() and the settings row."""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from cases import worktime
from cases.models import (
    CalendarDay,
    CalendarSource,
    CalendarYear,
    DeadlineSettings,
    LimitUnit,
    WorkPeriod,
)
from cases.worktime import (
    WorkCalendar,
    add_limit,
    clear_calendar_cache,
    deadlines,
    load_calendar,
    remaining,
    working_time_between,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
WH, WD, NH = LimitUnit.WORKING_HOURS, LimitUnit.WORKING_DAYS, LimitUnit.NATURAL_HOURS

# The 2026 arrangement (State Council notice, Nov 2025): weekday days off and makeup workdays.
DAYS_OFF_2026 = [
    date(2026, 1, 1),
    date(2026, 1, 2),
    *(date(2026, 2, d) for d in (16, 17, 18, 19, 20, 23)),
    date(2026, 4, 6),
    *(date(2026, 5, d) for d in (1, 4, 5)),
    date(2026, 6, 19),
    date(2026, 9, 25),
    *(date(2026, 10, d) for d in (1, 2, 5, 6, 7)),
]
MAKEUP_WORKDAYS_2026 = [
    date(2026, 1, 4),
    date(2026, 2, 14),
    date(2026, 2, 28),
    date(2026, 5, 9),
    date(2026, 9, 20),
    date(2026, 10, 10),
]


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def calendar() -> WorkCalendar:
    overrides = dict.fromkeys(DAYS_OFF_2026, False) | dict.fromkeys(MAKEUP_WORKDAYS_2026, True)
    return WorkCalendar(overrides=overrides, official_years=frozenset({2026}))


@pytest.fixture
def fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    # The missing-year warning is once per process; each test starts with none given.
    monkeypatch.setattr(worktime, "_warned_years", set())


# --- Weekends, holidays, makeup workdays -----------------------------------------------------


def test_working_hours_left_on_friday_carry_over_the_weekend_to_monday(calendar):
    due = add_limit(at(2026, 3, 6, 16, 30), 2, WH, calendar)
    assert due == at(2026, 3, 9, 9, 30)


def test_one_working_day_before_national_day_is_due_the_day_after_golden_week(calendar):
    # Reported Wed 30 Sep 15:00; 1–7 Oct are off (3–4 Oct a weekend anyway).
    due = add_limit(at(2026, 9, 30, 15), 1, WD, calendar)
    assert due == at(2026, 10, 8, 15)


def test_a_public_holiday_on_a_weekday_is_skipped(calendar):
    # Dragon Boat Festival, Fri 19 Jun 2026, then the weekend.
    due = add_limit(at(2026, 6, 18, 17), 1, WH, calendar)
    assert due == at(2026, 6, 22, 9)


def test_a_makeup_sunday_counts_as_a_working_day(calendar):
    # Sun 20 Sep 2026 is worked for National Day (调休).
    due = add_limit(at(2026, 9, 18, 16, 30), 2, WH, calendar)
    assert due == at(2026, 9, 20, 9, 30)


def test_a_makeup_saturday_counts_as_a_working_day(calendar):
    due = add_limit(at(2026, 10, 9, 17), 1, WH, calendar)
    assert due == at(2026, 10, 10, 9)


def test_an_ordinary_saturday_is_not_a_working_day(calendar):
    assert not calendar.is_working_day(date(2026, 10, 17))
    assert calendar.is_working_day(date(2026, 10, 10))
    assert not calendar.is_working_day(date(2026, 10, 1))


# --- Where in the day the count starts -------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        pytest.param(time(7, 0), 1, at(2026, 3, 10, 9, 30), id="before-the-morning-period"),
        pytest.param(time(9, 0), 1, at(2026, 3, 10, 10, 0), id="inside-a-period"),
        pytest.param(time(11, 0), 1, at(2026, 3, 10, 12, 0), id="ends-exactly-at-noon"),
        pytest.param(time(11, 30), 1, at(2026, 3, 10, 14, 0), id="spans-the-lunch-break"),
        pytest.param(time(12, 30), 1, at(2026, 3, 10, 14, 30), id="during-the-lunch-break"),
        pytest.param(time(18, 0), 1, at(2026, 3, 11, 9, 30), id="after-the-working-day"),
        pytest.param(time(17, 30), 0, at(2026, 3, 10, 17, 30), id="zero-is-due-at-once"),
    ],
)
def test_working_hours_count_only_inside_working_periods(calendar, start, hours, due):
    assert (
        add_limit(datetime.combine(date(2026, 3, 10), start, SHANGHAI), hours, WH, calendar) == due
    )


def test_a_working_day_reported_at_15_is_due_at_15_the_next_working_day(calendar):
    assert add_limit(at(2026, 3, 10, 15), 1, WD, calendar) == at(2026, 3, 11, 15)


def test_a_working_day_from_the_first_minute_ends_the_same_evening(calendar):
    assert add_limit(at(2026, 3, 10, 8, 30), 1, WD, calendar) == at(2026, 3, 10, 17, 30)


def test_half_a_working_day_is_half_the_working_time_of_a_day(calendar):
    # 7.5 h a day: 3.75 h from 08:30 is 12:00 + 15 min after 13:30.
    assert add_limit(at(2026, 3, 10, 8, 30), Decimal("0.5"), WD, calendar) == at(
        2026, 3, 10, 13, 45
    )


def test_thirty_working_days_skip_weekends_and_qingming(calendar):
    # Mon 2 Mar 09:00 + 6 weeks of working days, plus Mon 6 Apr (Qingming) off.
    assert add_limit(at(2026, 3, 2, 9), 30, WD, calendar) == at(2026, 4, 14, 9)


def test_thirty_working_days_look_at_each_day_only_a_few_times(calendar, monkeypatch):
    calls: list[date] = []
    original = WorkCalendar.is_working_day

    def counting(self: WorkCalendar, day: date) -> bool:
        calls.append(day)
        return original(self, day)

    monkeypatch.setattr(WorkCalendar, "is_working_day", counting)
    add_limit(at(2026, 3, 2, 9), 30, WD, calendar)
    assert len(calls) < 2 * 45  # about 43 calendar days are crossed


def test_working_periods_other_than_the_default_are_honoured():
    shifts = WorkCalendar(
        official_years=frozenset({2026}),
        work_periods=((time(14), time(18)), (time(9), time(12))),  # unordered on purpose
    )
    assert shifts.working_day_length == timedelta(hours=7)
    assert add_limit(at(2026, 3, 10, 11), 2, WH, shifts) == at(2026, 3, 10, 15)


# --- Natural hours ---------------------------------------------------------------------------


def test_natural_hours_run_across_midnight_and_holidays(calendar):
    assert add_limit(at(2026, 9, 30, 22), 6, NH, calendar) == at(2026, 10, 1, 4)


def test_half_a_natural_hour_is_thirty_minutes(calendar):
    assert add_limit(at(2026, 10, 3, 23, 45), Decimal("0.5"), NH, calendar) == at(
        2026, 10, 4, 0, 15
    )


# --- Warning share ---------------------------------------------------------------------------


def test_the_warning_comes_at_80_percent_of_the_limit(calendar):
    warn_at, due_at = deadlines(at(2026, 3, 10, 8, 30), 4, WH, calendar, Decimal("0.8"))
    assert warn_at == at(2026, 3, 10, 11, 42)  # 3.2 working hours
    assert due_at == at(2026, 3, 10, 14, 0)


def test_the_warning_for_a_working_day_limit_is_80_percent_of_its_working_time(calendar):
    # 6 of 7.5 working hours from 15:00: 2.5 h today, 3.5 h tomorrow morning.
    warn_at, due_at = deadlines(at(2026, 3, 10, 15), 1, WD, calendar, 0.8)
    assert (warn_at, due_at) == (at(2026, 3, 11, 12), at(2026, 3, 11, 15))


@pytest.mark.parametrize("share", [0, Decimal("1.2"), -0.5])
def test_a_warning_share_outside_zero_to_one_is_refused(calendar, share):
    with pytest.raises(ValueError, match="warning share"):
        deadlines(at(2026, 3, 10, 9), 1, WH, calendar, share)


# --- Years without an official arrangement ---------------------------------------------------


def test_a_year_without_official_data_counts_monday_to_friday_and_warns_once(
    calendar, caplog, fresh_warnings
):
    caplog.set_level(logging.WARNING, logger="cases.worktime")
    # 1 Oct 2030 is a Tuesday: a working day by the fallback rule, whatever the arrangement.
    assert calendar.is_working_day(date(2030, 10, 1))
    assert not calendar.is_working_day(date(2030, 10, 5))
    due = add_limit(datetime(2030, 10, 4, 17, tzinfo=SHANGHAI), 1, WH, calendar)
    assert due == datetime(2030, 10, 7, 9, tzinfo=SHANGHAI)
    warnings = [r for r in caplog.records if r.name == "cases.worktime"]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING
    assert "2030" in warnings[0].getMessage()


def test_a_manual_row_in_a_year_without_official_data_still_counts(caplog, fresh_warnings):
    caplog.set_level(logging.WARNING, logger="cases.worktime")
    calendar = WorkCalendar(overrides={date(2030, 10, 1): False})
    assert not calendar.is_working_day(date(2030, 10, 1))
    assert not caplog.records


def test_a_year_with_official_data_does_not_warn(calendar, caplog, fresh_warnings):
    caplog.set_level(logging.WARNING, logger="cases.worktime")
    add_limit(at(2026, 3, 2, 9), 30, WD, calendar)
    assert not caplog.records


# --- Working time between two instants -------------------------------------------------------


def test_working_time_between_skips_the_weekend(calendar):
    elapsed = working_time_between(at(2026, 3, 6, 16, 30), at(2026, 3, 9, 9, 30), calendar)
    assert elapsed == timedelta(hours=2)


def test_working_time_between_is_negative_backwards(calendar):
    elapsed = working_time_between(at(2026, 3, 9, 9, 30), at(2026, 3, 6, 16, 30), calendar)
    assert elapsed == -timedelta(hours=2)


def test_working_time_between_inside_one_day_leaves_out_the_lunch_break(calendar):
    assert working_time_between(at(2026, 3, 10, 11), at(2026, 3, 10, 14), calendar) == timedelta(
        hours=1, minutes=30
    )


@pytest.mark.parametrize("unit", [WH, WD])
def test_working_time_between_undoes_add_limit(calendar, unit):
    rng = random.Random(20260101)
    unit_length = calendar.working_day_length if unit == WD else timedelta(hours=1)
    for _ in range(300):
        start = at(2026, 1, 1) + timedelta(
            days=rng.randrange(350),
            minutes=rng.randrange(24 * 60),
            microseconds=rng.randrange(10**6),
        )
        value = Decimal(rng.randrange(0, 6000)) / 100  # up to 60 hours or days, in hundredths
        due = add_limit(start, value, unit, calendar)
        expected = timedelta(microseconds=int(value * (unit_length // timedelta(microseconds=1))))
        assert working_time_between(start, due, calendar) == expected, (start, value)
        assert working_time_between(due, start, calendar) == -expected
        if expected:
            # The earliest such instant: a microsecond sooner, the limit is not used up yet.
            sooner = due - timedelta(microseconds=1)
            assert working_time_between(start, sooner, calendar) < expected


def test_add_limit_of_the_time_between_lands_back_on_a_working_instant(calendar):
    rng = random.Random(7)
    for _ in range(200):
        start = at(2026, 1, 5) + timedelta(minutes=rng.randrange(300 * 24 * 60))
        end = start + timedelta(minutes=rng.randrange(30 * 24 * 60))
        elapsed = working_time_between(start, end, calendar)
        hours = Decimal(elapsed // timedelta(microseconds=1)) / 3_600_000_000
        back = add_limit(start, hours, WH, calendar)
        assert back <= end
        assert working_time_between(back, end, calendar) == timedelta(0)


# --- Time zones and refusals -----------------------------------------------------------------


def test_the_result_comes_back_in_the_time_zone_it_was_given(calendar):
    start = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    due = add_limit(start, 1, WH, calendar)
    assert due.tzinfo is UTC
    assert due == datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


def test_a_naive_datetime_is_refused(calendar):
    naive = datetime(2026, 3, 10, 9)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="aware"):
        add_limit(naive, 1, WH, calendar)
    with pytest.raises(ValueError, match="aware"):
        working_time_between(naive, at(2026, 3, 10, 10), calendar)


@pytest.mark.parametrize("value", [-1, Decimal("-0.5"), float("nan"), float("inf")])
def test_a_negative_or_non_finite_limit_is_refused(calendar, value):
    with pytest.raises(ValueError, match="limit"):
        add_limit(at(2026, 3, 10, 9), value, WH, calendar)


def test_an_unknown_unit_is_refused(calendar):
    with pytest.raises(ValueError, match="unit"):
        add_limit(at(2026, 3, 10, 9), 1, "fortnights", calendar)


def test_overlapping_working_periods_are_refused():
    with pytest.raises(ValueError, match="overlap"):
        WorkCalendar(work_periods=((time(8), time(12)), (time(11), time(17))))
    with pytest.raises(ValueError, match="at least one"):
        WorkCalendar(work_periods=())


# --- Time left on the stage clock ------------------------------------------------------------


@time_machine.travel(datetime(2026, 10, 8, 14, 0, tzinfo=SHANGHAI), tick=False)
def test_time_left_counts_working_time_until_due_and_goes_negative_when_overdue(calendar):
    now = timezone.now()
    assert remaining(now, at(2026, 10, 8, 15), WH, calendar) == timedelta(hours=1)
    # Due before the holiday: overdue by the working hours since, not by calendar time.
    assert remaining(now, at(2026, 9, 30, 17), WD, calendar) == -timedelta(hours=4, minutes=30)
    assert remaining(now, at(2026, 10, 8, 13), NH, calendar) == -timedelta(hours=1)


# --- From the database -----------------------------------------------------------------------


@pytest.fixture
def no_cached_calendar() -> Iterator[None]:
    clear_calendar_cache()
    yield
    clear_calendar_cache()


@pytest.mark.usefixtures("no_cached_calendar")
def test_load_calendar_reads_days_years_and_periods(db):
    CalendarDay.objects.create(date=date(2026, 10, 1), is_working_day=False, name="国庆节")
    CalendarDay.objects.create(date=date(2026, 10, 10), is_working_day=True, name="国庆节调休上班")
    CalendarYear.objects.create(year=2026, has_official_data=True)
    CalendarYear.objects.create(year=2027, has_official_data=False)
    WorkPeriod.objects.create(start=time(9), end=time(12))
    WorkPeriod.objects.create(start=time(14), end=time(18))

    calendar = load_calendar()

    assert calendar.overrides == {date(2026, 10, 1): False, date(2026, 10, 10): True}
    assert calendar.official_years == {2026}
    assert calendar.work_periods == ((time(9), time(12)), (time(14), time(18)))
    assert calendar.tz == SHANGHAI


@pytest.mark.usefixtures("no_cached_calendar")
def test_load_calendar_uses_the_default_hours_before_any_are_seeded(db):
    assert load_calendar().work_periods == worktime.DEFAULT_WORK_PERIODS


@pytest.mark.usefixtures("no_cached_calendar")
def test_an_edit_is_seen_once_the_cache_expires_or_is_cleared(db, monkeypatch):
    first = load_calendar()
    CalendarDay.objects.create(date=date(2026, 3, 10), is_working_day=False)
    assert load_calendar() is first  # within the cache lifetime

    monkeypatch.setattr(worktime, "CALENDAR_CACHE_SECONDS", 0.0)
    assert load_calendar().overrides == {date(2026, 3, 10): False}

    monkeypatch.undo()
    CalendarDay.objects.create(date=date(2026, 3, 11), is_working_day=False)
    clear_calendar_cache()
    assert date(2026, 3, 11) in load_calendar().overrides


def test_the_cache_lasts_less_than_a_minute():
    assert worktime.CALENDAR_CACHE_SECONDS < 60


def test_deadline_settings_default_to_warning_at_80_percent(db):
    settings_row = DeadlineSettings.current()
    assert settings_row.warn_share == Decimal("0.80")
    assert DeadlineSettings.current().pk == settings_row.pk
    assert DeadlineSettings.objects.count() == 1


def test_overlapping_work_periods_fail_validation(db):
    WorkPeriod.objects.create(start=time(8, 30), end=time(12))
    with pytest.raises(ValidationError):
        WorkPeriod(start=time(11), end=time(13)).full_clean()
    WorkPeriod(start=time(13, 30), end=time(17, 30)).full_clean()


def test_a_calendar_day_defaults_to_a_manual_row(db):
    day = CalendarDay.objects.create(date=date(2026, 3, 10), is_working_day=False)
    assert day.source == CalendarSource.MANUAL


def test_the_units_worktime_knows_are_exactly_the_limit_units():
    assert {worktime.WORKING_HOURS, worktime.WORKING_DAYS, worktime.NATURAL_HOURS} == set(
        LimitUnit.values
    )

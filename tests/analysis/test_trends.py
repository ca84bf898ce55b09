"""Unusual rises: over a generated year, normal weeks are not flagged and a surge of one item
in one street is; the baseline follows the working-day calendar; the tail probabilities."""

from __future__ import annotations

import math
import random
from datetime import date, datetime, time, timedelta

import numpy as np
import pytest
from django.core.management import call_command

from analysis.models import Alarm, AnalysisSettings, TrendFlag
from analysis.probability import predictive_from_baseline, sum_of, upper_tail
from analysis.services import run_analysis
from analysis.trends import baseline_days, trend_findings
from cases.generator import generate_cases
from cases.models import CalendarDay
from cases.worktime import WorkCalendar, clear_calendar_cache, load_calendar

from .conftest import SHANGHAI, _report

pytestmark = pytest.mark.django_db

LAST_DAY = date(2026, 11, 27)  # a Friday
SURGE_DAY = date(2026, 11, 25)  # the Wednesday before
EAST_STREET = "370203002"
EAST_STREET_BOX = (120.3205, 36.0805, 120.3395, 36.0995)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


# --- the tail probabilities --------------------------------------------------------------------


def test_poisson_and_negative_binomial_tails():
    # P(X ≥ 5) for Poisson(1) = 1 − e⁻¹ (1 + 1 + 1/2 + 1/6 + 1/24)
    poisson = 1 - math.exp(-1) * (1 + 1 + 1 / 2 + 1 / 6 + 1 / 24)
    assert upper_tail(5, 1.0, math.inf) == pytest.approx(poisson, rel=1e-9)
    assert upper_tail(5, 1.0, 1e12) == pytest.approx(poisson, rel=1e-6)
    # Below the mode: the complement of the head.
    assert upper_tail(1, 3.0, math.inf) == pytest.approx(1 - math.exp(-3), rel=1e-9)
    # A negative binomial's tail is heavier than the Poisson's of the same mean.
    assert upper_tail(12, 4.0, 5.0) > upper_tail(12, 4.0, math.inf)
    # Tiny tails keep their precision (summed upward, not 1 − cdf).
    assert 0 < upper_tail(60, 5.0, math.inf) < 1e-30
    assert upper_tail(0, 5.0, 2.0) == 1.0


def test_eight_empty_days_do_not_make_one_case_impossible():
    mean, size = predictive_from_baseline(np.zeros((1, 8)))
    assert mean[0] == pytest.approx(0.5 / 8)
    assert upper_tail(1, float(mean[0]), float(size[0])) > 0.01
    assert upper_tail(6, float(mean[0]), float(size[0])) < 1e-5
    # Overdispersed days widen the tail; a week is the sum of its days.
    steady, steady_size = predictive_from_baseline(np.array([[5, 5, 5, 5, 5, 5, 5, 5]]))
    jumpy, jumpy_size = predictive_from_baseline(np.array([[0, 12, 1, 9, 2, 11, 0, 5]]))
    assert upper_tail(15, float(jumpy[0]), float(jumpy_size[0])) > upper_tail(
        15, float(steady[0]), float(steady_size[0])
    )
    week_mean, week_size = sum_of(np.array([[2.0, 3.0]]), np.array([[4.0, math.inf]]))
    assert week_mean[0] == 5.0
    assert week_size[0] == pytest.approx(25 / 1.0)


# --- the calendar ------------------------------------------------------------------------------


def test_a_working_monday_is_compared_with_working_mondays_and_a_holiday_with_days_off():
    monday = date(2026, 10, 12)
    holiday = date(2026, 10, 1)  # a Thursday, National Day
    makeup = date(2026, 10, 10)  # a Saturday made a working day
    calendar = WorkCalendar(
        overrides={
            holiday: False,
            date(2026, 10, 5): False,  # a holiday Monday: not a working Monday
            makeup: True,
        },
        official_years=frozenset({2026}),
    )
    base = baseline_days(monday, calendar, 8)
    assert len(base) == 8
    assert all(d.weekday() == 0 and calendar.is_working_day(d) for d in base)
    assert date(2026, 10, 5) not in base
    holiday_base = baseline_days(holiday, calendar, 8)
    assert len(holiday_base) == 8
    assert all(not calendar.is_working_day(d) for d in holiday_base)  # weekends, not Thursdays
    assert makeup not in holiday_base
    makeup_base = baseline_days(makeup, calendar, 8)
    assert all(calendar.is_working_day(d) for d in makeup_base)


# --- a generated year --------------------------------------------------------------------------


@pytest.fixture
def year(world):
    call_command("seed_calendar", "--from-year", "2025", "--to-year", "2026", verbosity=0)
    clear_calendar_cache()
    generate_cases(days=365, per_day=24, end_date=LAST_DAY, seed=3, now=at(LAST_DAY, 23, 0))
    return world


def _surge(world, n: int = 25) -> None:
    """n reports of the world's item spread over the east street on SURGE_DAY, 09:00–17:00."""
    rnd = random.Random(42)
    x0, y0, x1, y1 = EAST_STREET_BOX
    for i in range(n):
        _report(
            world,
            rnd.uniform(x0, x1),
            rnd.uniform(y0, y1),
            at(SURGE_DAY, 9) + timedelta(minutes=480 * i / n),
            None,
        )


@pytest.mark.slow
def test_a_surge_in_one_street_is_flagged_and_normal_weeks_are_not(year):
    world = year
    settings = AnalysisSettings.current()
    calendar = load_calendar()
    assert not calendar.is_working_day(date(2026, 10, 1))  # the seeded calendar is in use
    # Ten weeks of evenings, before any surge: nothing is unusual.
    quiet = [LAST_DAY - timedelta(days=n) for n in range(70, 0, -1)]
    for day in quiet:
        tests, findings = trend_findings(now=at(day, 18), settings=settings)
        assert tests > 0
        assert findings == [], (day, findings)
    # 25 more rubbish reports over the east street one Wednesday (about 5 a day is usual).
    _surge(world)
    _tests, findings = trend_findings(now=at(SURGE_DAY, 18), settings=settings)
    flagged = {(f.item_id, f.region, f.period) for f in findings}
    assert (world.item.pk, EAST_STREET, "day") in flagged
    assert {f.item_id for f in findings} == {world.item.pk}
    assert all(f.region.startswith(EAST_STREET) or f.level == "district" for f in findings)
    # The day before the surge is still quiet.
    assert trend_findings(now=at(SURGE_DAY - timedelta(days=1), 18), settings=settings)[1] == []
    # The pass records it and raises one alarm for the street, once.
    run_analysis(now=at(SURGE_DAY, 18), passes=("trends",))
    run_analysis(now=at(SURGE_DAY, 18, 5), passes=("trends",))
    (alarm,) = Alarm.objects.filter(kind="trend")
    assert (alarm.region_id, alarm.level, alarm.item_id) == (EAST_STREET, "street", world.item.pk)
    flag = TrendFlag.objects.get(region_id=EAST_STREET, period="day")
    assert flag.count >= 25
    assert flag.expected < 15
    assert flag.alarm_id == alarm.pk
    assert flag.p_value < settings.trend_p_value


def test_the_week_so_far_counts_the_days_before_today(world):
    # Monday to Wednesday a steady two a day, then three weeks back the same: nothing;
    # the same week with twelve a day is flagged as a week.
    monday = date(2026, 11, 23)
    for weeks_back in range(1, 9):
        for offset in range(3):
            day = monday - timedelta(weeks=weeks_back) + timedelta(days=offset)
            for k in range(2):
                _report(world, 120.303 + 0.004 * k, 36.092, at(day, 10 + k), None)
    for offset in range(2):
        for k in range(12):
            _report(
                world,
                120.301 + 0.0015 * k,
                36.081 + 0.0015 * k,
                at(monday + timedelta(days=offset), 9, 4 * k),
                None,
            )
    settings = AnalysisSettings.current()
    _tests, findings = trend_findings(now=at(monday + timedelta(days=2), 8), settings=settings)
    flagged = {(f.region, f.period) for f in findings if f.item_id == world.item.pk}
    assert ("370203001", "week") in flagged
    assert not any(period == "day" for _region, period in flagged)  # today has none yet


def test_holiday_rows_in_the_calendar_are_read(world):
    CalendarDay.objects.create(date=date(2026, 11, 26), is_working_day=False, name="test")
    clear_calendar_cache()
    base = baseline_days(date(2026, 11, 26), load_calendar(), 8)
    assert all(d.weekday() >= 5 for d in base)

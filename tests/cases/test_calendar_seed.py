"""seed_calendar: the database calendar from the holidays package, and what staff edit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.admin.sites import AdminSite
from django.core.management import call_command
from django.test import RequestFactory

from cases.admin_calendar import CalendarDayAdmin
from cases.models import CalendarDay, CalendarSource, CalendarYear, LimitUnit, WorkPeriod
from cases.worktime import add_limit, clear_calendar_cache, load_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_cached_calendar() -> Iterator[None]:
    clear_calendar_cache()
    yield
    clear_calendar_cache()


def seed(*years: int) -> str:
    out = StringIO()
    args = ["--from-year", str(years[0]), "--to-year", str(years[-1])] if years else []
    call_command("seed_calendar", *args, stdout=out)
    return out.getvalue()


def rows() -> list[tuple[date, bool, str, str]]:
    return list(CalendarDay.objects.values_list("date", "is_working_day", "name", "source"))


def test_it_seeds_holidays_on_weekdays_and_makeup_workdays():
    seed(2025, 2026)
    days = {row.date: row for row in CalendarDay.objects.all()}

    national_day = days[date(2026, 10, 1)]
    assert (national_day.is_working_day, national_day.name) == (False, "国庆节")
    assert national_day.source == CalendarSource.OFFICIAL
    assert days[date(2026, 10, 7)].is_working_day is False
    makeup = days[date(2026, 9, 20)]  # a Sunday worked for National Day
    assert (makeup.is_working_day, makeup.name) == (True, "国庆节调休上班")
    assert days[date(2026, 2, 14)].name == "春节调休上班"
    assert days[date(2025, 10, 11)].is_working_day is True
    # A holiday on a weekend is no exception to Monday–Friday: no row.
    assert date(2026, 10, 3) not in days
    assert all(d.weekday() < 5 for d, row in days.items() if not row.is_working_day)
    assert all(d.weekday() >= 5 for d, row in days.items() if row.is_working_day)


def test_it_marks_the_years_the_package_has_official_data_for():
    output = seed(2026)
    seed(2090)
    years = {row.year: row for row in CalendarYear.objects.all()}
    assert years[2026].has_official_data is True
    assert years[2026].seeded_at is not None
    assert years[2090].has_official_data is False
    assert not CalendarDay.objects.filter(date__year=2090).exists()
    assert "2026: official arrangement seeded." in output


def test_a_year_without_data_is_reported():
    output = seed(2090)
    assert "2090: no official arrangement" in output


def test_it_is_idempotent():
    seed(2025, 2026)
    first = rows()
    output = seed(2025, 2026)
    assert rows() == first
    assert "0 created, 0 updated" in output
    assert WorkPeriod.objects.count() == 2


def test_it_never_overwrites_manual_rows():
    CalendarDay.objects.create(
        date=date(2026, 10, 1), is_working_day=True, name="值班", source=CalendarSource.MANUAL
    )
    CalendarDay.objects.create(
        date=date(2026, 3, 3), is_working_day=False, name="区庆", source=CalendarSource.MANUAL
    )
    output = seed(2026)
    assert CalendarDay.objects.get(date=date(2026, 10, 1)).is_working_day is True
    assert CalendarDay.objects.get(date=date(2026, 10, 1)).name == "值班"
    assert CalendarDay.objects.get(date=date(2026, 3, 3)).name == "区庆"
    assert "1 manual kept" in output


def test_it_removes_official_rows_the_package_no_longer_lists():
    CalendarDay.objects.create(
        date=date(2026, 3, 3), is_working_day=False, name="旧", source=CalendarSource.OFFICIAL
    )
    output = seed(2026)
    assert not CalendarDay.objects.filter(date=date(2026, 3, 3)).exists()
    assert "1 removed" in output


def test_it_corrects_an_official_row_that_differs_from_the_package():
    CalendarDay.objects.create(
        date=date(2026, 10, 1), is_working_day=True, name="x", source=CalendarSource.OFFICIAL
    )
    seed(2026)
    row = CalendarDay.objects.get(date=date(2026, 10, 1))
    assert (row.is_working_day, row.name) == (False, "国庆节")


def test_a_year_staff_marked_official_stays_official():
    CalendarYear.objects.create(year=2090, has_official_data=True)
    output = seed(2090)
    assert CalendarYear.objects.get(year=2090).has_official_data is True
    assert "kept as entered by staff" in output


def test_it_seeds_the_default_working_periods_only_when_there_are_none():
    seed(2026)
    assert list(WorkPeriod.objects.values_list("start", "end")) == [
        (time(8, 30), time(12)),
        (time(13, 30), time(17, 30)),
    ]
    WorkPeriod.objects.all().delete()
    WorkPeriod.objects.create(start=time(9), end=time(17))
    seed(2026)
    assert list(WorkPeriod.objects.values_list("start", "end")) == [(time(9), time(17))]


@time_machine.travel(datetime(2026, 6, 15, 10, tzinfo=SHANGHAI), tick=False)
def test_by_default_it_seeds_2020_through_next_year():
    seed()
    assert list(CalendarYear.objects.values_list("year", flat=True)) == list(range(2020, 2028))
    assert CalendarYear.objects.get(year=2020).has_official_data is True


def test_the_seeded_calendar_carries_a_limit_over_golden_week():
    seed(2026)
    calendar = load_calendar()
    reported = datetime(2026, 9, 30, 15, tzinfo=SHANGHAI)
    assert add_limit(reported, 1, LimitUnit.WORKING_DAYS, calendar) == datetime(
        2026, 10, 8, 15, tzinfo=SHANGHAI
    )


def test_a_row_edited_in_the_admin_becomes_manual_and_survives_reseeding(admin_user):
    seed(2026)
    row = CalendarDay.objects.get(date=date(2026, 10, 7))
    load_calendar()  # cached before the edit
    row.is_working_day = True
    request = RequestFactory().post("/")
    request.user = admin_user
    CalendarDayAdmin(CalendarDay, AdminSite()).save_model(request, row, form=None, change=True)

    assert load_calendar().overrides[date(2026, 10, 7)] is True  # the editor sees it at once
    seed(2026)
    row.refresh_from_db()
    assert (row.is_working_day, row.source) == (True, CalendarSource.MANUAL)

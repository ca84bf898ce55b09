"""Repeat places: K closed cases of one class at one place in D days, listed with their history;
optionally an alarm and a supervision for each new one."""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pytest
from django.contrib.gis.geos import Point

from analysis.models import Alarm, AnalysisSettings, RepeatPlace
from analysis.services import run_analysis
from cases.models import Status
from grids.geo import to_degrees, to_metres
from grids.models import Asset, Role
from tests.cases.conftest import put_in_state
from tests.helpers import client_for

from .conftest import CENTRE, NOW, report_around

pytestmark = pytest.mark.django_db

SUPERVISED: list[dict] = []


def record_supervision(*, place, case_ids, now):
    """A stand-in supervision service, named by the setting in the tests that switch it on."""
    SUPERVISED.append({"place": place.pk, "cases": case_ids, "now": now})


def cell_centre(lon: float, lat: float, size: float = 50.0) -> tuple[float, float]:
    """The centre of the 50 m cell the point lies in, so cases around it share the cell."""
    x, y = to_metres(np.array([lon]), np.array([lat]))[0]
    cx, cy = (math.floor(x / size) + 0.5) * size, (math.floor(y / size) + 0.5) * size
    lon_c, lat_c = to_degrees(np.array([cx]), np.array([cy]))[0]
    return float(lon_c), float(lat_c)


def closed_around(world, n: int, *, days_ago: float = 5, item=None, seed: int = 1, **fields):
    cases = report_around(
        world,
        n=n,
        centre=cell_centre(*CENTRE),
        spread_m=12.0,
        item=item,
        seed=seed,
        start=NOW - timedelta(days=days_ago + 1),
        hours=20,
    )
    for i, case in enumerate(cases):
        put_in_state(
            case, Status.CLOSED, closed_at=NOW - timedelta(days=days_ago, hours=-i), **fields
        )
    return cases


def test_five_closures_at_one_place_in_thirty_days_make_a_repeat_place(world):
    cases = closed_around(world, 5)
    result = run_analysis(now=NOW, passes=("repeats",))
    assert result.repeats is not None
    assert result.repeats.new == 1
    place = RepeatPlace.objects.get()
    assert place.place_kind == "cell"
    assert place.place_key.startswith("cell:50:")
    assert (place.family, place.major_class, place.minor_class) == ("event", "01", "02")
    assert place.case_count == 5
    assert set(place.memberships.values_list("case_id", flat=True)) == {c.pk for c in cases}
    assert place.region_id == "370203001001"
    assert "辽宁路市场" in place.place_name
    assert not Alarm.objects.exists()  # listed, not rung, by default
    again = run_analysis(now=NOW + timedelta(minutes=5), passes=("repeats",))
    assert again.repeats is not None
    assert again.repeats.new == 0
    assert RepeatPlace.objects.count() == 1


def test_four_are_not_enough_and_erroneous_or_old_closures_do_not_count(world):
    closed_around(world, 4)
    closed_around(world, 1, seed=2, closure_kind="erroneous")
    closed_around(world, 1, seed=3, days_ago=40)
    run_analysis(now=NOW, passes=("repeats",))
    assert not RepeatPlace.objects.exists()


def test_a_place_stops_repeating_when_its_closures_age_out(world):
    closed_around(world, 5, days_ago=25)
    run_analysis(now=NOW, passes=("repeats",))
    run_analysis(now=NOW + timedelta(days=10), passes=("repeats",))
    assert RepeatPlace.objects.get().gone_at == NOW + timedelta(days=10)


def test_component_cases_at_an_asset_make_the_asset_the_place(world):
    lon, lat = cell_centre(*CENTRE)
    Asset.objects.create(
        code="3702030101000001",
        name="上水井盖",
        major_class="01",
        minor_class="01",
        point=Point(lon + 0.00003, lat, srid=4326),
        grid=world.regions["370203001001001"],
        in_charge_unit=world.department,
        owner_unit=world.department,
        maintenance_unit=world.department,
    )
    cases = report_around(
        world,
        n=5,
        centre=(lon, lat),
        spread_m=4.0,
        item=world.natural_item,
        start=NOW - timedelta(days=3),
        hours=30,
    )
    for case in cases:
        put_in_state(case, Status.CLOSED, closed_at=NOW - timedelta(days=1))
    run_analysis(now=NOW, passes=("repeats",))
    place = RepeatPlace.objects.get()
    assert (place.place_kind, place.place_key) == ("asset", "asset:3702030101000001")
    assert place.place_name == "上水井盖 3702030101000001"


def test_the_rules_raise_an_alarm_and_file_a_supervision_once(world, settings):
    settings.ANALYSIS_REPEAT_PLACE_SUPERVISE = "tests.analysis.test_repeats.record_supervision"
    AnalysisSettings.objects.update_or_create(
        pk=1, defaults={"repeat_alarms": True, "repeat_supervise": True}
    )
    SUPERVISED.clear()
    cases = closed_around(world, 6)
    run_analysis(now=NOW, passes=("repeats",))
    run_analysis(now=NOW + timedelta(minutes=5), passes=("repeats",))
    place = RepeatPlace.objects.get()
    (alarm,) = Alarm.objects.filter(kind="repeat_place")
    assert place.alarm_id == alarm.pk
    assert alarm.region_id == "370203001001"
    assert len(SUPERVISED) == 1
    assert SUPERVISED[0]["place"] == place.pk
    assert sorted(SUPERVISED[0]["cases"]) == sorted(c.pk for c in cases)
    assert place.supervised_at == NOW


def test_the_rule_without_a_service_files_nothing_and_says_so(world, settings, caplog):
    settings.ANALYSIS_REPEAT_PLACE_SUPERVISE = ""
    AnalysisSettings.objects.update_or_create(pk=1, defaults={"repeat_supervise": True})
    closed_around(world, 5)
    run_analysis(now=NOW, passes=("repeats",))
    assert RepeatPlace.objects.get().supervised_at is None
    assert "names no service" in caplog.text


def test_the_list_and_the_history_through_the_api(world, make_user):
    cases = closed_around(world, 5)
    run_analysis(now=NOW, passes=("repeats",))
    place = RepeatPlace.objects.get()
    street = client_for(world.users[Role.STREET_OFFICER])
    listed = street.get("/api/v1/analysis/repeat-places/").json()
    assert [p["id"] for p in listed["results"]] == [place.pk]
    detail = street.get(f"/api/v1/analysis/repeat-places/{place.pk}/").json()
    assert [row["number"] for row in detail["history"]] == [c.number for c in cases]
    assert detail["history"][0]["closed_at"] < detail["history"][-1]["closed_at"]
    other = client_for(make_user(Role.COMMUNITY_STAFF, region=world.regions["370203001002"]))
    assert other.get(f"/api/v1/analysis/repeat-places/{place.pk}/").status_code == 404
    assert other.get("/api/v1/analysis/repeat-places/").json()["count"] == 0

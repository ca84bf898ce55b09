"""The inspector's own track of a day and the distance walked (GET patrol/), which the app's
patrol screen shows."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from grids.models import Role
from grids.patrol import great_circle_m
from tests.cases import conftest as cases_conftest
from tests.cases.conftest import OTHER_GRID_POINT
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

world = cases_conftest.world
NOON = dt.datetime(2026, 5, 6, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def fix(at: dt.datetime, lon: float, lat: float = 36.095, **extra) -> dict:
    return {"lon": lon, "lat": lat, "recorded_at": at.isoformat(), **extra}


@time_machine.travel(NOON, tick=False)
def test_the_track_of_today_is_the_inspectors_fixes_in_order_with_the_distance(world):
    handheld = client_for(world.users[Role.INSPECTOR])
    batch = [
        fix(NOON - dt.timedelta(minutes=3), 120.302),
        fix(NOON - dt.timedelta(minutes=5), 120.300),  # out of order: the track sorts
        fix(NOON - dt.timedelta(minutes=1), 120.304),
        # Imprecise: listed, not walked.
        fix(NOON - dt.timedelta(minutes=2), 120.330, accuracy_m=900),
        # Yesterday: not today's track.
        fix(NOON - dt.timedelta(hours=13), 120.31),
    ]
    assert handheld.post("/api/v1/patrol/", {"fixes": batch}, format="json").status_code == 200
    response = handheld.get("/api/v1/patrol/")
    assert response.status_code == 200
    body = response.json()
    assert body["date"] == "2026-05-06"
    assert [f["lon"] for f in body["fixes"]] == [120.300, 120.302, 120.330, 120.304]
    expected = great_circle_m(120.300, 36.095, 120.304, 36.095)
    assert body["distance_m"] == pytest.approx(expected, abs=0.2)
    assert 355 < body["distance_m"] < 365  # 0.004° of longitude at 36° N
    assert body["truncated"] is False
    yesterday = handheld.get("/api/v1/patrol/", {"date": "2026-05-05"}).json()
    assert [f["lon"] for f in yesterday["fixes"]] == [120.31]


@time_machine.travel(NOON, tick=False)
def test_an_inspector_sees_only_their_own_track(world, make_user):
    other = make_user(Role.INSPECTOR, region=world.regions["370203002002002"], username="wgy2")
    client_for(other).post(
        "/api/v1/patrol/",
        {"fixes": [fix(NOON - dt.timedelta(minutes=1), OTHER_GRID_POINT.x, OTHER_GRID_POINT.y)]},
        format="json",
    )
    body = client_for(world.users[Role.INSPECTOR]).get("/api/v1/patrol/").json()
    assert body["fixes"] == []
    assert body["distance_m"] == 0


def test_only_inspectors_have_a_track(world):
    response = client_for(world.users[Role.DISPATCHER]).get("/api/v1/patrol/")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_a_bad_date_is_a_400_naming_it(world):
    response = client_for(world.users[Role.INSPECTOR]).get(
        "/api/v1/patrol/", {"date": "2026-13-01"}
    )
    assert response.status_code == 400
    assert "date" in response.json()["errors"]


def test_the_track_day_is_the_local_day(world):
    handheld = client_for(world.users[Role.INSPECTOR])
    # 00:30 Beijing time is still the previous day in UTC: it belongs to the local day.
    early = dt.datetime(2026, 5, 6, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    with time_machine.travel(early + dt.timedelta(minutes=5), tick=False):
        handheld.post("/api/v1/patrol/", {"fixes": [fix(early, 120.305)]}, format="json")
        body = handheld.get("/api/v1/patrol/").json()
    assert body["date"] == "2026-05-06"
    assert len(body["fixes"]) == 1


@time_machine.travel(NOON, tick=False)
def test_the_track_reads_in_a_few_queries_however_long_the_day(
    world, django_assert_max_num_queries
):
    handheld = client_for(world.users[Role.INSPECTOR])
    start = NOON - dt.timedelta(hours=2)
    fixes = [fix(start + dt.timedelta(seconds=10 * i), 120.300 + i * 1e-5) for i in range(300)]
    handheld.post("/api/v1/patrol/", {"fixes": fixes}, format="json")
    with django_assert_max_num_queries(4):  # the token, the user, the inspector's post, the fixes
        body = handheld.get("/api/v1/patrol/").json()
    assert len(body["fixes"]) == 300

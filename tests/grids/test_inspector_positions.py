"""Inspectors' latest positions for the live map: who may see whom, how fresh, where."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from grids.models import Role
from grids.patrol import FixInput, patrol_record

pytestmark = pytest.mark.django_db

URL = "/api/v1/inspectors/positions/"
FIRST_STREET_GRID = "370203001001001"
SECOND_STREET_GRID = "370203002001001"


@pytest.fixture
def inspectors(district, make_user):
    """One inspector in each street, each having reported a fix inside their own grid."""
    now = timezone.now()
    users = {}
    for code, minutes_ago in ((FIRST_STREET_GRID, 5), (SECOND_STREET_GRID, 50)):
        user = make_user(Role.INSPECTOR, region=district[code])
        spot = district[code].geom.point_on_surface
        result = patrol_record(
            user=user,
            fixes=[FixInput(spot.x, spot.y, now - dt.timedelta(minutes=minutes_ago), 8.0)],
            now=now,
        )
        assert result.accepted == 1
        users[code] = user
    return users


def get(user, **params):
    client = APIClient()
    client.force_login(user)
    return client.get(URL, params)


def names(response) -> set[str]:
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["type"] == "FeatureCollection"
    return {feature["properties"]["name"] for feature in body["features"]}


def test_a_district_dispatcher_sees_every_inspector_with_the_age_of_the_fix(
    district, inspectors, make_user
):
    dispatcher = make_user(Role.DISPATCHER, region=district["370203"])
    body = get(dispatcher).json()
    assert len(body["features"]) == 2
    first = next(
        f for f in body["features"] if f["properties"]["user"] == inspectors[FIRST_STREET_GRID].pk
    )
    assert first["geometry"]["type"] == "Point"
    assert 5 * 60 <= first["properties"]["age_seconds"] < 6 * 60
    assert first["properties"]["accuracy_m"] == 8.0


def test_a_street_officer_sees_only_the_inspectors_posted_in_their_street(
    district, inspectors, make_user
):
    officer = make_user(Role.STREET_OFFICER, region=district["370203001"])
    assert names(get(officer)) == {inspectors[FIRST_STREET_GRID].username}


def test_an_inspector_does_not_see_the_others(district, inspectors):
    assert names(get(inspectors[FIRST_STREET_GRID])) == set()


def test_a_unit_handler_sees_no_inspectors(district, inspectors, make_user, units):
    handler = make_user(Role.UNIT_HANDLER, unit=next(iter(units.values())))
    assert names(get(handler)) == set()


def test_old_fixes_drop_out_by_max_age(district, inspectors, make_user):
    leader = make_user(Role.DISTRICT_LEADER, region=district["370203"])
    assert names(get(leader, max_age_minutes=30)) == {inspectors[FIRST_STREET_GRID].username}


def test_the_box_limits_positions_to_the_view(district, inspectors, make_user):
    leader = make_user(Role.DISTRICT_LEADER, region=district["370203"])
    xmin, ymin, xmax, ymax = district[SECOND_STREET_GRID].geom.extent
    box = f"{xmin},{ymin},{xmax},{ymax}"
    assert names(get(leader, bbox=box)) == {inspectors[SECOND_STREET_GRID].username}


def test_a_deactivated_inspector_disappears(district, inspectors, make_user):
    leader = make_user(Role.DISTRICT_LEADER, region=district["370203"])
    inspectors[FIRST_STREET_GRID].is_active = False
    inspectors[FIRST_STREET_GRID].save()
    assert names(get(leader)) == {inspectors[SECOND_STREET_GRID].username}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"bbox": "120,36,oops,37"}, "bbox"),
        ({"bbox": "121,36,120,37"}, "bbox"),
        ({"max_age_minutes": "0"}, "max_age_minutes"),
        ({"max_age_minutes": "soon"}, "max_age_minutes"),
    ],
)
def test_bad_parameters_get_a_field_error(district, make_user, params, field):
    leader = make_user(Role.DISTRICT_LEADER, region=district["370203"])
    response = get(leader, **params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_anonymous_gets_401(district):
    assert APIClient().get(URL).status_code == 401

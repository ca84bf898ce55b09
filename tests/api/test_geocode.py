"""The intake desk's address search (GET /api/v1/geocode/): the default geocoder (the
streets' and communities' names, then the registry's buildings, in the user's view), a
geocoder plugged in through settings.GEOCODER, and the error bodies for bad input or a
geocoder that fails."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from citizens.services import building_create
from grids.models import Role
from tests.citizens.conftest import rect
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

CALLS: list[dict[str, Any]] = []


def city_geocoder(query: str, *, user: Any, limit: int) -> list[dict[str, Any]]:
    """A city's address service, as a deployment would plug it in."""
    CALLS.append({"query": query, "user": user.username, "limit": limit})
    return [
        {"label": f"{query}（城市地址库）", "lon": 120.31, "lat": 36.09, "kind": "poi"},
        {"label": "no coordinates", "kind": "poi"},  # malformed: left out
        {"label": "far away", "lon": 500, "lat": 36.09, "kind": "poi"},  # malformed
    ]


def failing_geocoder(query: str, *, user: Any, limit: int) -> list[dict[str, Any]]:
    raise ConnectionError("address service down")


@pytest.fixture
def buildings(district):
    building_create(code="B-1", address="辽宁路1号", footprint=rect(120.3015, 36.0915), floors=6)
    building_create(code="B-2", address="辽宁路9号", footprint=rect(120.335, 36.085), floors=4)


def test_the_default_finds_region_names_and_the_registrys_buildings_in_the_users_view(
    district, buildings, make_user
):
    district["370203001"].name = "辽宁路街道"
    district["370203001"].save()
    operator = make_user(Role.INTAKE_OPERATOR, region=district["370203"])
    response = client_for(operator).get("/api/v1/geocode/", {"q": "辽宁路"})
    assert response.status_code == 200, response.json()
    hits = response.json()
    assert [(h["kind"], h["label"]) for h in hits] == [
        ("street", "辽宁路街道"),
        ("building", "辽宁路1号"),
        ("building", "辽宁路9号"),
    ]
    assert all(set(h) == {"label", "detail", "kind", "lon", "lat"} for h in hits)
    assert 120.30 < hits[0]["lon"] < 120.32
    assert 36.08 < hits[0]["lat"] < 36.10
    # A street officer of the other street sees neither the first street nor its building.
    officer = make_user(Role.STREET_OFFICER, region=district["370203002"])
    mine = client_for(officer).get("/api/v1/geocode/", {"q": "辽宁路"}).json()
    assert [h["label"] for h in mine] == ["辽宁路9号"]


def test_the_limit_caps_the_answer(district, buildings, make_user):
    operator = make_user(Role.INTAKE_OPERATOR, region=district["370203"])
    response = client_for(operator).get("/api/v1/geocode/", {"q": "辽宁路", "limit": 1})
    assert [h["label"] for h in response.json()] == ["辽宁路1号"]


@override_settings(GEOCODER="tests.api.test_geocode.city_geocoder")
def test_a_geocoder_set_in_settings_answers_and_malformed_places_are_left_out(
    district, buildings, make_user
):
    CALLS.clear()
    operator = make_user(Role.INTAKE_OPERATOR, region=district["370203"], username="desk-1")
    response = client_for(operator).get("/api/v1/geocode/", {"q": "台东三路", "limit": 5})
    assert response.status_code == 200
    place = {"label": "台东三路（城市地址库）", "detail": "", "kind": "poi"}
    place |= {"lon": 120.31, "lat": 36.09}
    assert response.json() == [place]
    assert CALLS == [{"query": "台东三路", "user": "desk-1", "limit": 5}]


@override_settings(GEOCODER="tests.api.test_geocode.failing_geocoder")
def test_a_geocoder_that_fails_is_a_503_json_not_a_500(district, make_user):
    operator = make_user(Role.INTAKE_OPERATOR, region=district["370203"])
    response = client_for(operator).get("/api/v1/geocode/", {"q": "台东三路"})
    assert response.status_code == 503
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "geocoder_unavailable"
    assert response.json()["message"]


@pytest.mark.parametrize(
    ("params", "field"),
    [({}, "q"), ({"q": "辽"}, "q"), ({"q": "x" * 101}, "q"), ({"q": "辽宁", "limit": 0}, "limit")],
)
def test_bad_input_is_a_400_naming_the_field(district, make_user, params, field):
    operator = make_user(Role.INTAKE_OPERATOR, region=district["370203"])
    response = client_for(operator).get("/api/v1/geocode/", params)
    assert response.status_code == 400
    assert response.json()["code"] in {"invalid", "invalid_input"}
    assert field in response.json()["errors"]


def test_only_staff_may_search(district, client):
    assert client.get("/api/v1/geocode/", {"q": "辽宁路"}).status_code in {401, 403}


def test_the_desk_page_points_its_search_at_the_geocoder(district, make_user):
    from django.test import Client

    operator = make_user(Role.INTAKE_OPERATOR, region=district["370203"])
    page = Client()
    page.force_login(operator)
    html = page.get("/intake/new/").content.decode()
    assert '"geocode": "/api/v1/geocode/"' in html

"""Finding a place: partial Chinese addresses, ranked the same on both backends; parcels by
name or code; organisations by name; what stands at a point. Never a person."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import Point
from django.db import connection

from citizens.models import Organisation, PersonAccessLog
from citizens.places import places_at
from citizens.search import places_search
from citizens.services import building_create, parcel_create, person_register
from grids.models import Role
from tests.citizens.conftest import GRID_A, Registry, id_number, rect
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

SEARCH = "/api/v1/registry/search/"


@pytest.fixture
def street(registry: Registry) -> Registry:
    """More buildings in grid A along 延安二路 (and one in grid B, another street's)."""
    for n, (address, x) in enumerate(
        (
            ("延安二路83号", 120.3020),
            ("延安二路183号", 120.3030),
            ("延安二路8号", 120.3040),
            ("辽宁路83号", 120.3050),
            ("延安二路83号甲", 120.3060),
        ),
        start=1,
    ):
        building_create(
            code=f"Y-{n}", address=address, footprint=rect(x, 36.0950), floors=5, grid_code=GRID_A
        )
    building_create(code="Y-B", address="延安二路83号乙", footprint=rect(120.336, 36.086), floors=5)
    parcel_create(code="370203001001001-P077", name="", geom=rect(120.305, 36.093, 0.001, 0.001))
    return registry


def _search(user, q: str, **params):
    return client_for(user).get(SEARCH, {"q": q, **params})


def _labels(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [hit["label"] for hit in response.json()]


def test_partial_address_finds_the_building_best_first(street: Registry) -> None:
    staff = street.users["staff_a"]
    assert _labels(_search(staff, "延安二路83")) == ["延安二路83号", "延安二路83号甲"]
    # "83号" is in 183号 too, after a digit: another number, ranked last.
    assert _labels(_search(staff, "83号")) == [
        "辽宁路83号",
        "延安二路83号",
        "延安二路83号甲",
        "延安二路183号",
    ]
    # The full address first, then what starts with it.
    assert _labels(_search(staff, "延安二路83号")) == ["延安二路83号", "延安二路83号甲"]
    # Words in any order, full-width digits and spaces as typed on a phone.
    assert _labels(_search(staff, "延安二路 ８３")) == [
        "延安二路83号",
        "延安二路83号甲",
        "延安二路183号",
    ]


def test_a_hit_carries_the_contract_fields(street: Registry) -> None:
    (hit,) = _search(street.users["staff_a"], "辽宁路83号").json()
    assert {"kind", "id", "label", "lon", "lat"} <= set(hit)
    assert hit["kind"] == "building"
    assert 120.305 < hit["lon"] < 120.3054
    assert 36.095 < hit["lat"] < 36.0952
    assert hit["grid_code"] == GRID_A


def test_parcels_by_name_or_code_and_organisations_by_name(street: Registry) -> None:
    staff = street.users["staff_a"]
    assert [(h["kind"], h["label"]) for h in _search(staff, "地块甲").json()] == [
        ("parcel", "地块甲")
    ]
    assert [(h["kind"], h["label"]) for h in _search(staff, "p-a").json()] == [("parcel", "地块甲")]
    assert [(h["kind"], h["label"]) for h in _search(staff, "P077").json()] == [
        ("parcel", "370203001001001-P077")
    ]
    (org,) = _search(staff, "便利店").json()
    assert (org["kind"], org["label"], org["building_id"]) == (
        "organisation",
        "甲便利店",
        street.building_a.pk,
    )
    assert org["detail"] == "辽宁路1号"


def test_search_never_finds_a_person(street: Registry) -> None:
    staff = street.users["staff_a"]
    # A resident whose name is also part of an address, and an organisation's representative.
    person_register(name="延安", id_number=id_number(41))
    Organisation.objects.filter(name="甲便利店").update(
        representative="王小明", phone="13900000000"
    )
    for q in ("Alice", "Carol", "王小明", "13900000000", "13812345678", street.numbers["alice"]):
        assert _search(staff, q).json() == [], q
    assert {hit["kind"] for hit in _search(staff, "延安").json()} == {"building"}
    assert not PersonAccessLog.objects.exists()


def test_search_stays_in_the_jurisdiction(street: Registry) -> None:
    # 延安二路83号乙 stands in grid B: the other street's staff find it, community A's do not.
    assert "延安二路83号乙" not in _labels(_search(street.users["staff_a"], "延安二路83号"))
    assert _labels(_search(street.users["foreign"], "延安二路83")) == ["延安二路83号乙"]
    assert _labels(_search(street.users["leader"], "83号乙")) == ["延安二路83号乙"]
    # Nothing for those without a jurisdiction over persons and places; citizens hold no post
    # and are refused at the door of every staff endpoint.
    assert _search(street.users["auditor"], "延安").json() == []
    refused = _search(street.users["citizen"], "延安")
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"


def test_intake_operators_at_the_district_find_every_building(street: Registry, make_user) -> None:
    intake = make_user(Role.INTAKE_OPERATOR, region=street.regions["370203"])
    assert len(_search(intake, "延安二路83").json()) == 3


def test_bad_queries_are_400_with_the_field(street: Registry) -> None:
    staff = street.users["staff_a"]
    for params in ({"q": ""}, {"q": " 8 "}, {"q": "路" * 101}, {"q": "延安", "limit": "x"}):
        response = client_for(staff).get(SEARCH, params)
        assert response.status_code == 400, params
        body = response.json()
        assert body["code"] == "invalid"
        assert set(body["errors"]) & {"q", "limit"}
    assert client_for(staff).get(SEARCH).status_code == 400


def test_limit_caps_the_hits(street: Registry) -> None:
    assert len(_search(street.users["staff_a"], "延安二路", limit=2).json()) == 2


def test_anonymous_is_refused(client, street: Registry) -> None:
    assert client.get(SEARCH, {"q": "延安"}).status_code in (401, 403)


def test_what_stands_at_a_point(street: Registry) -> None:
    staff = street.users["staff_a"]
    inside = client_for(staff).get("/api/v1/registry/at/", {"lon": 120.3017, "lat": 36.0916})
    body = inside.json()
    assert body["building"]["id"] == street.building_a.pk
    assert body["building"]["distance_m"] == 0
    assert body["parcel"]["id"] == street.parcel.pk
    # In the street ten metres south of B-A: still B-A, with the distance.
    near = client_for(staff).get("/api/v1/registry/at/", {"lon": 120.3017, "lat": 36.09141}).json()
    assert near["building"]["id"] == street.building_a.pk
    assert 5 < near["building"]["distance_m"] < 20
    # Nothing there.
    empty = client_for(staff).get("/api/v1/registry/at/", {"lon": 120.309, "lat": 36.099}).json()
    assert (empty["building"], empty["parcel"]) == (None, None)


def test_at_a_point_outside_the_jurisdiction_is_nothing(street: Registry) -> None:
    found = places_at(street.users["foreign"], Point(120.3017, 36.0916, srid=4326))
    assert (found.building, found.parcel) == (None, None)
    response = client_for(street.users["staff_a"]).get(
        "/api/v1/registry/at/", {"lon": "x", "lat": 36.0916}
    )
    assert response.status_code == 400
    assert "lon" in response.json()["errors"]


def test_selector_and_api_agree(street: Registry) -> None:
    hits = places_search(street.users["staff_a"], "延安二路83")
    assert [hit.label for hit in hits] == _labels(_search(street.users["staff_a"], "延安二路83"))


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="pg_trgm is PostgreSQL's")
def test_postgres_answers_from_the_trigram_indexes(street: Registry) -> None:
    hits = places_search(street.users["leader"], "延安二路83")
    assert hits  # the query ran; now its plan, with sequential scans off
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT id FROM citizens_building WHERE UPPER(address::text) LIKE UPPER(%s)",
            ["%延安二路83%"],
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "building_address_trgm" in plan


def test_search_takes_a_fixed_number_of_queries(
    street: Registry, django_assert_max_num_queries
) -> None:
    client = client_for(street.users["staff_a"])
    # token, user, posts (jurisdiction), street offices, then one query per kind of place.
    with django_assert_max_num_queries(8):
        assert len(client.get(SEARCH, {"q": "延安二路"}).json()) == 4

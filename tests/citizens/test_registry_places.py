"""Places for the registry page: the chain both ways logged read by read, a parcel's totals,
the map's layers, a building's cases, its resident list printed or exported, and the pages."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest
from django.contrib.gis.geos import Point
from django.test import Client

from cases.models import Domain, Family, FilingCondition, Item, LimitUnit, Status
from cases.services import ReportInput, case_report
from citizens.models import PersonAccessLog
from tests.cases.conftest import put_in_state, rid
from tests.citizens.conftest import COMMUNITY_A, GRID_A, GRID_B, Registry
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

REASON = {"reason": "入户走访"}


def _get(user, url: str, **params: object):
    return client_for(user).get(url, {**REASON, **params})


def _reads(user) -> list[tuple[str, str, bool]]:
    """(purpose, person's name, whole) of the user's reads, in order."""
    return [
        (row.purpose, row.person.name, row.full)
        for row in PersonAccessLog.objects.filter(user=user).select_related("person").order_by("pk")
    ]


# --- the chain, both ways ----------------------------------------------------------------------


def test_down_the_chain_every_read_is_logged(registry: Registry) -> None:
    staff = registry.users["staff_a"]
    # Parcel → its buildings and totals: places only, nothing logged.
    parcel = client_for(staff).get(f"/api/v1/registry/parcels/{registry.parcel.pk}/").json()
    assert [b["address"] for b in parcel["buildings"]] == ["辽宁路1号"]
    assert parcel["location"]["community"]["code"] == COMMUNITY_A
    assert 120.301 < parcel["lon"] < 120.303
    totals = client_for(staff).get(f"/api/v1/registry/parcels/{registry.parcel.pk}/totals/")
    assert totals.json() == {
        "buildings": 1,
        "dwellings": 2,
        "homes": 2,
        "residents": 3,  # Alice, Bob, Carol; Dave lets 1-102 and lives in grid B
        "households": 2,
        "vacant_dwellings": 0,
        "organisations": 1,
    }
    building = client_for(staff).get(f"/api/v1/registry/buildings/{registry.building_a.pk}/")
    assert 120.3015 < building.json()["lon"] < 120.3019
    assert _reads(staff) == []
    # Building → its residents: one row per person shown.
    _get(staff, f"/api/v1/registry/buildings/{registry.building_a.pk}/residents/")
    assert sorted(_reads(staff)) == [
        ("building", name, False) for name in ("Alice", "Bob", "Carol", "Dave")
    ]
    # Dwelling → its people; person → their record.
    _get(staff, f"/api/v1/registry/dwellings/{registry.d102.pk}/")
    _get(staff, f"/api/v1/registry/persons/{registry.persons['carol'].pk}/")
    assert sorted(_reads(staff)[4:6]) == [("dwelling", "Carol", False), ("dwelling", "Dave", False)]
    assert _reads(staff)[6:] == [("record", "Carol", False)]
    # Parcel → everyone living on it.
    _get(staff, f"/api/v1/registry/parcels/{registry.parcel.pk}/residents/")
    assert sorted(r for r in _reads(staff) if r[0] == "parcel") == [
        ("parcel", name, False) for name in ("Alice", "Bob", "Carol", "Dave")
    ]
    assert {row.reason for row in PersonAccessLog.objects.all()} == {"入户走访"}


def test_up_the_chain_from_a_person_to_the_district(registry: Registry) -> None:
    staff = registry.users["staff_a"]
    bob = _get(staff, f"/api/v1/registry/persons/{registry.persons['bob'].pk}/").json()
    (link,) = bob["dwellings"]
    building_id, parcel_id = link["building"]["id"], link["parcel"]["id"]
    assert bob["location"]["grid"]["code"] == GRID_A
    # Each step up is a place: the building's card, its parcel, the grid's picture.
    building = client_for(staff).get(f"/api/v1/registry/buildings/{building_id}/").json()
    assert building["parcel"]["id"] == parcel_id == registry.parcel.pk
    assert building["location"]["grid"]["code"] == GRID_A
    assert client_for(staff).get(f"/api/v1/registry/grids/{GRID_A}/stats/").status_code == 200
    assert _reads(staff) == [("record", "Bob", False)]


# --- the map's layers ---------------------------------------------------------------------------

BOX_A = "120.30,36.09,120.31,36.10"
WHOLE_BOX = "120.29,36.07,120.35,36.11"


def test_layers_give_the_places_in_the_box(registry: Registry) -> None:
    staff = registry.users["staff_a"]
    buildings = client_for(staff).get("/api/v1/registry/buildings/", {"bbox": BOX_A}).json()
    assert buildings["type"] == "FeatureCollection"
    assert buildings["truncated"] is False
    (feature,) = buildings["features"]
    assert feature["geometry"]["type"] == "Polygon"
    assert feature["properties"]["address"] == "辽宁路1号"
    assert feature["properties"]["parcel_id"] == registry.parcel.pk
    parcels = client_for(staff).get("/api/v1/registry/parcels/", {"bbox": BOX_A}).json()
    assert [f["properties"]["code"] for f in parcels["features"]] == ["P-A"]
    assert parcels["features"][0]["geometry"]["type"] == "MultiPolygon"


def test_layers_stay_in_the_jurisdiction(registry: Registry) -> None:
    foreign = client_for(registry.users["foreign"])
    features = foreign.get("/api/v1/registry/buildings/", {"bbox": WHOLE_BOX}).json()["features"]
    assert [f["properties"]["address"] for f in features] == ["延安路9号"]
    assert foreign.get("/api/v1/registry/parcels/", {"bbox": WHOLE_BOX}).json()["features"] == []
    leader = client_for(registry.users["leader"])
    everything = leader.get("/api/v1/registry/buildings/", {"bbox": WHOLE_BOX}).json()
    assert len(everything["features"]) == 2


def test_a_bad_box_is_400(registry: Registry) -> None:
    client = client_for(registry.users["staff_a"])
    for params in ({}, {"bbox": "1,2,3"}, {"bbox": "120.31,36.09,120.30,36.10"}):
        for layer in ("buildings", "parcels"):
            response = client.get(f"/api/v1/registry/{layer}/", params)
            assert response.status_code == 400, (layer, params)
            assert "bbox" in response.json()["errors"]


def test_parcel_totals_of_a_foreign_parcel_are_404(registry: Registry) -> None:
    url = f"/api/v1/registry/parcels/{registry.parcel.pk}/totals/"
    assert client_for(registry.users["foreign"]).get(url).status_code == 404


# --- a building's cases ---------------------------------------------------------------------------


@pytest.fixture
def item(db) -> Item:
    domain = Domain.objects.create(code="01", name="市容环境")
    item = Item.objects.create(
        domain=domain,
        code="S010201",
        name="暴露垃圾",
        family=Family.EVENT,
        major_class="01",
        minor_class="02",
        legal_basis="-",
        handling_standard="-",
    )
    FilingCondition.objects.create(
        item=item,
        code="01",
        description="暴露垃圾 1 处",
        closing_condition="清理完毕",
        limit_value=Decimal("4"),
        limit_unit=LimitUnit.WORKING_HOURS,
    )
    return item


def _report(registry: Registry, item: Item, lon: float, lat: float, text: str):
    data = ReportInput(
        source="inspector", item_id=item.pk, description=text, point=Point(lon, lat, srid=4326)
    )
    return case_report(actor=registry.users["inspector_a"], data=data, request_id=rid())


def test_a_buildings_cases_are_those_reported_on_it_or_in_front_of_it(
    registry: Registry, item: Item
) -> None:
    on = _report(registry, item, 120.3017, 36.0916, "楼道堆物")
    front = _report(registry, item, 120.3017, 36.09141, "门前垃圾")  # ~10 m south
    closed = put_in_state(_report(registry, item, 120.30165, 36.09145, "已清理"), Status.CLOSED)
    _report(registry, item, 120.305, 36.095, "远处")  # 500 m away
    url = f"/api/v1/registry/buildings/{registry.building_a.pk}/cases/"
    body = client_for(registry.users["staff_a"]).get(url).json()
    assert body["radius_m"] == 20
    assert (body["open_count"], body["past_count"]) == (2, 1)
    assert {c["id"] for c in body["open"]} == {on.pk, front.pk}
    assert [c["id"] for c in body["past"]] == [closed.pk]
    assert body["open"][0]["item"] == "暴露垃圾"
    # Scoped like every case list: the other community's staff do not get the building at all.
    assert client_for(registry.users["foreign"]).get(url).status_code == 404


def test_a_building_with_no_cases_says_so(registry: Registry) -> None:
    url = f"/api/v1/registry/buildings/{registry.building_b.pk}/cases/"
    body = client_for(registry.users["leader"]).get(url).json()
    assert (body["open"], body["past"], body["open_count"]) == ([], [], 0)


# --- printing and exporting the resident list ----------------------------------------------------

EXPORT = "/api/v1/registry/buildings/{}/residents/export/"


def test_staff_who_may_read_whole_export_the_list_and_every_row_is_logged(
    registry: Registry,
) -> None:
    trusted = registry.users["trusted_a"]
    response = _get(trusted, EXPORT.format(registry.building_a.pk))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    numbers = {row[5]: row[8] for row in rows[1:]}
    assert numbers["Alice"] == registry.numbers["alice"]
    assert numbers["Carol"] == registry.numbers["carol"]
    # Dave lives in another community: on the list, but masked.
    assert (
        numbers["Dave"] == registry.numbers["dave"][:6] + "********" + registry.numbers["dave"][-4:]
    )
    assert sorted(_reads(trusted)) == [
        ("export", "Alice", True),
        ("export", "Bob", True),
        ("export", "Carol", True),
        ("export", "Dave", False),
    ]


def test_staff_without_the_permission_may_not_export_and_nothing_is_logged(
    registry: Registry,
) -> None:
    response = _get(registry.users["staff_a"], EXPORT.format(registry.building_a.pk))
    assert response.status_code == 403
    assert response.json()["code"] == "not_permitted"
    leader = _get(registry.users["leader"], EXPORT.format(registry.building_a.pk))
    assert leader.status_code == 403
    foreign = _get(registry.users["foreign"], EXPORT.format(registry.building_a.pk))
    assert foreign.status_code == 404
    no_reason = client_for(registry.users["trusted_a"]).get(EXPORT.format(registry.building_a.pk))
    assert no_reason.status_code == 400
    assert "reason" in no_reason.json()["errors"]
    assert not PersonAccessLog.objects.exists()


def _browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_print_page_is_whole_and_logged_for_those_who_may(registry: Registry) -> None:
    trusted = registry.users["trusted_a"]
    url = f"/registry/buildings/{registry.building_a.pk}/print/"
    page = _browser(trusted).get(url, REASON)
    assert page.status_code == 200
    html = page.content.decode()
    assert registry.numbers["alice"] in html
    assert "入户走访" in html
    assert {r[0] for r in _reads(trusted)} == {"export"}
    refused = _browser(registry.users["staff_a"]).get(url, REASON)
    assert refused.status_code == 403
    assert registry.numbers["alice"][6:14] not in refused.content.decode()
    assert _browser(trusted).get(url).status_code == 400  # no reason
    assert _browser(registry.users["foreign"]).get(url, REASON).status_code == 404
    assert len(_reads(trusted)) == 4


# --- the pages ---------------------------------------------------------------------------------


def test_the_registry_page_is_for_staff_with_a_region(registry: Registry) -> None:
    page = _browser(registry.users["staff_a"]).get("/registry/")
    assert page.status_code == 200
    assert 'data-testid="nav-registry"' in page.content.decode()
    for user in ("auditor", "citizen"):
        assert _browser(registry.users[user]).get("/registry/").status_code == 404
    assert Client().get("/registry/").status_code == 302  # to the login page


def test_the_population_page_follows_the_stats_rules(registry: Registry) -> None:
    staff = _browser(registry.users["staff_a"])
    assert staff.get(f"/registry/grids/{GRID_A}/").status_code == 200
    assert staff.get("/registry/grids/370203/").status_code == 200
    assert staff.get(f"/registry/grids/{GRID_B}/").status_code == 404


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)


@pytest.mark.parametrize(
    "path", ["/registry/", f"/registry/grids/{GRID_A}/", "/registry/buildings/{building}/print/"]
)
def test_pages_carry_no_inline_code_or_style(registry: Registry, path: str) -> None:
    html = (
        _browser(registry.users["trusted_a"])
        .get(path.format(building=registry.building_a.pk), REASON)
        .content.decode()
    )
    # The shared top bar's language switch is base.html's (issue 14 moves it); ours start at
    # <main>.
    main = html[html.index("<main") :]
    assert not INLINE_SCRIPT.search(main)
    assert not INLINE_HANDLER.search(main)
    assert " style=" not in main
    assert "<style" not in main


def test_a_buildings_cases_take_a_fixed_number_of_queries(
    registry: Registry, item: Item, django_assert_max_num_queries
) -> None:
    for n in range(3):
        _report(registry, item, 120.3017, 36.0916, f"楼道堆物 {n}")
    client = client_for(registry.users["staff_a"])
    url = f"/api/v1/registry/buildings/{registry.building_a.pk}/cases/"
    with django_assert_max_num_queries(12):
        assert client.get(url).json()["open_count"] == 3

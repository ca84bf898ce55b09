"""Cases about city components (部件): a report names the lamp it is about (checked: it exists,
stands near the point, in the district, of the item's class); the case goes to the lamp's
maintenance unit; the lamp's page and API list its cases; the nearest lamps are offered."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.gis.geos import Point
from rest_framework.test import APIClient

from cases.errors import InvalidInput
from cases.models import Family, FilingCondition, Item, LimitUnit, RoutingRule
from cases.routing import routing_route
from cases.routing import suggest_unit as routing_suggest
from grids.models import Asset, Level, Role, Unit, UnitKind
from tests.cases.conftest import POINT_IN_GRID, World, rid
from tests.cases.conftest import world as world  # the fixture, shared
from tests.conftest import box, make_region

pytestmark = pytest.mark.django_db

LAMP_CLASS = ("01", "18")


@pytest.fixture
def lamps(world: World) -> dict[str, object]:
    """A street-lamp item (its catalogue unit: the city-management bureau) and lamps around
    the world's point, maintained by the street-lighting office."""
    lighting = Unit.objects.create(
        code="370203-D20",
        name="区路灯管理所",
        kind=UnitKind.DEPARTMENT,
        region=world.regions["370203"],
    )
    item = Item.objects.create(
        domain=world.item.domain,
        code="B011801",
        name="路灯",
        family=Family.COMPONENT,
        major_class="01",
        minor_class="18",
        default_unit=world.department,
        default_unit_code=world.department.code,
        legal_basis="-",
        handling_standard="修复",
    )
    FilingCondition.objects.create(
        item=item,
        code="01",
        description="路灯不亮",
        closing_condition="修复",
        limit_value=Decimal("2"),
        limit_unit=LimitUnit.WORKING_DAYS,
    )
    grid = world.regions["370203001001001"]

    def asset(serial: int, dx_m: float, major: str = "01", minor: str = "18", **kw) -> Asset:
        return Asset.objects.create(
            code=f"370203{major}{minor}{serial:06d}",
            name="路灯" if (major, minor) == LAMP_CLASS else "上水井盖",
            major_class=major,
            minor_class=minor,
            # ~0.9 m per 0.00001° of longitude at 36° N.
            point=Point(POINT_IN_GRID.x + dx_m / 90_000, POINT_IN_GRID.y, srid=4326),
            grid=kw.pop("grid", grid),
            in_charge_unit=world.department,
            owner_unit=world.department,
            maintenance_unit=kw.pop("maintenance_unit", lighting),
        )

    return {
        "item": item,
        "lighting": lighting,
        "lamp": asset(1, 12),
        "lamp_far": asset(2, 400),
        "lamp_near_too": asset(3, 30),
        "cover": asset(1, 5, major="01", minor="01"),
        "asset": asset,
    }


def report(world: World, lamps: dict, asset: Asset | None, **kw: object):
    return world.report(item_id=lamps["item"].pk, asset_id=asset.pk if asset else None, **kw)


# --- naming the asset ------------------------------------------------------------------------


def test_a_report_may_name_the_lamp_it_is_about(world, lamps):
    case = report(world, lamps, lamps["lamp"])
    assert case.asset == lamps["lamp"]
    assert case.events.get().data["asset"] == lamps["lamp"].code


@pytest.mark.parametrize(
    ("which", "message"),
    [
        ("missing", "Unknown asset."),
        ("lamp_far", "m from the reported point; at most 100 m"),
        ("cover", "is a 上水井盖, not of the item's class (路灯)"),
    ],
)
def test_a_wrong_asset_is_refused_with_the_reason(world, lamps, which, message):
    asset_id = 999_999 if which == "missing" else lamps[which].pk
    with pytest.raises(InvalidInput) as refused:
        world.report(item_id=lamps["item"].pk, asset_id=asset_id)
    assert message in refused.value.field_errors["asset_id"][0]


def test_an_asset_of_another_district_is_refused(world, lamps):
    other = make_region("370202", Level.DISTRICT, box(120.40, 36.08, 120.42, 36.10))
    street = make_region("370202001", Level.STREET, other.geom, other)
    community = make_region("370202001001", Level.COMMUNITY, other.geom, street)
    grid = make_region("370202001001001", Level.GRID, other.geom, community, kind="unit")
    foreign = lamps["asset"](9, 10, grid=grid)
    foreign.code = "3702020118000009"
    foreign.save()
    with pytest.raises(InvalidInput) as refused:
        world.report(item_id=lamps["item"].pk, asset_id=foreign.pk)
    assert "is not in this district" in refused.value.field_errors["asset_id"][0]


def test_an_event_report_may_name_any_asset_nearby(world, lamps):
    # 暴露垃圾 next to a lamp: an event item has no component class to match.
    case = world.report(asset_id=lamps["lamp"].pk)
    assert case.asset == lamps["lamp"]


# --- routing ---------------------------------------------------------------------------------


def test_a_case_about_a_lamp_is_routed_to_the_lamps_maintenance_unit(world, lamps):
    case = report(world, lamps, lamps["lamp"])
    assert lamps["item"].default_unit == world.department  # the catalogue says otherwise
    assert routing_suggest(case) == lamps["lighting"]


def test_without_an_asset_the_catalogue_unit_is_suggested(world, lamps):
    assert routing_suggest(report(world, lamps, None)) == world.department


def test_the_asset_unit_wins_over_a_routing_rule_but_keeps_its_auto_dispatch_if_it_agrees(
    world, lamps
):
    RoutingRule.objects.create(item=lamps["item"], unit=world.department, auto_dispatch=True)
    case = report(world, lamps, lamps["lamp"])
    route = routing_route(case)
    assert route.unit == lamps["lighting"]
    assert not route.auto_dispatch  # the rule names another unit: a person decides
    RoutingRule.objects.create(item=lamps["item"], unit=lamps["lighting"], auto_dispatch=True)
    assert routing_route(case).auto_dispatch


def test_an_inactive_maintenance_unit_falls_back_to_the_catalogue(world, lamps):
    Unit.objects.filter(pk=lamps["lighting"].pk).update(is_active=False)
    assert routing_suggest(report(world, lamps, lamps["lamp"])) == world.department


def test_the_dispatch_form_suggests_the_lamps_maintenance_unit(world, lamps):
    from cases.api.case_serializers import action_hints
    from cases.services import actions_available
    from tests.cases.conftest import put_in_state

    case = put_in_state(report(world, lamps, lamps["lamp"]), "filed")
    dispatcher = world.users[Role.DISPATCHER]
    hints = action_hints(case, actions_available(case=case, actor=dispatcher), dispatcher)
    dispatch = next(h for h in hints if h["action"] == "dispatch")
    assert dispatch["payload_fields"][0]["suggested"] == lamps["lighting"].pk


# --- through the API ---------------------------------------------------------------------------


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_handheld_report_takes_asset_id_and_the_detail_shows_the_asset(world, lamps):
    client = client_for(world.users[Role.INSPECTOR])
    response = client.post(
        "/api/v1/cases/",
        {
            "request_id": rid(),
            "item": "B011801",
            "description": "路灯不亮",
            "lon": POINT_IN_GRID.x,
            "lat": POINT_IN_GRID.y,
            "asset_id": lamps["lamp"].pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    asset = response.json()["asset"]
    assert asset["code"] == lamps["lamp"].code
    assert asset["maintenance_unit"] == {"id": lamps["lighting"].pk, "name": "区路灯管理所"}


def test_the_intake_refuses_a_far_asset_with_a_field_error(world, lamps):
    client = client_for(world.users[Role.INTAKE_OPERATOR])
    response = client.post(
        "/api/v1/intake/",
        {
            "source": "hotline_12345",
            "item": "B011801",
            "description": "路灯不亮",
            "lon": POINT_IN_GRID.x,
            "lat": POINT_IN_GRID.y,
            "external_id": "12345-0001",
            "asset_id": lamps["lamp_far"].pk,
        },
        format="json",
    )
    assert response.status_code == 400
    assert "asset_id" in response.json()["errors"]


def test_the_nearest_assets_of_the_items_class_are_offered_nearest_first(world, lamps):
    client = client_for(world.users[Role.INSPECTOR])
    response = client.get(
        f"/api/v1/assets/?near={POINT_IN_GRID.x},{POINT_IN_GRID.y}&item=B011801&n=2"
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert [a["code"] for a in results] == [lamps["lamp"].code, lamps["lamp_near_too"].code]
    assert 10 < results[0]["distance_m"] < 15
    assert results[0]["maintenance_unit"]["name"] == "区路灯管理所"
    # By class directly, and in a box.
    covers = client.get(f"/api/v1/assets/?near={POINT_IN_GRID.x},{POINT_IN_GRID.y}&class=0101")
    assert [a["code"] for a in covers.json()["results"]] == [lamps["cover"].code]
    boxed = client.get("/api/v1/assets/?bbox=120.30,36.09,120.31,36.10").json()["results"]
    assert len(boxed) == 4


def test_assets_outside_my_regions_are_not_listed_and_their_page_is_a_404(world, lamps):
    east_grid = world.regions["370203002001001"]
    east = lamps["asset"](7, 0, grid=east_grid)
    inspector = client_for(world.users[Role.INSPECTOR])  # posted on a west grid
    codes = {
        a["code"]
        for a in inspector.get("/api/v1/assets/?bbox=120.29,36.07,120.35,36.11").json()["results"]
    }
    assert east.code not in codes
    assert inspector.get(f"/api/v1/assets/{east.code}/").status_code == 404
    assert inspector.get(f"/api/v1/assets/{lamps['lamp'].code}/").status_code == 200


@pytest.mark.parametrize(
    "query",
    ["", "near=1,2&bbox=1,2,3,4", "near=x,y", "near=120,36&class=18", "near=120,36&item=Z9"],
)
def test_bad_asset_queries_are_400(world, lamps, query):
    response = client_for(world.users[Role.DISPATCHER]).get(f"/api/v1/assets/?{query}")
    assert response.status_code == 400


def test_an_assets_detail_lists_the_cases_about_it(world, lamps):
    for _n in range(3):
        report(world, lamps, lamps["lamp"])
    report(world, lamps, lamps["lamp_near_too"])
    body = client_for(world.users[Role.DISPATCHER]).get(f"/api/v1/assets/{lamps['lamp'].code}/")
    assert body.status_code == 200
    data = body.json()
    assert data["case_count"] == 3
    assert data["recent_case_count"] == 3
    assert len(data["cases"]) == 3
    assert data["in_charge_unit"]["name"] == world.department.name


def test_the_asset_page_shows_repeated_failures(world, lamps, client):
    for _n in range(2):
        report(world, lamps, lamps["lamp"])
    client.force_login(world.users[Role.DISPATCHER])
    response = client.get(f"/assets/{lamps['lamp'].code}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "区路灯管理所" in page
    assert 'data-testid="repeat-warning"' in page
    assert page.count("<tr data-case=") == 2
    assert client.get("/assets/3702030118999999/").status_code == 404
    assert client.get("/assets/not-a-code/").status_code == 404

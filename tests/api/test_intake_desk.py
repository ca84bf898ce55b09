"""What the intake desk reads and writes besides the pages: open cases an item may duplicate
near a point (in the reader's view only), the channel's line recorded on the report, and the
desk page itself for the roles that take calls."""

from __future__ import annotations

import pytest
from django.test import Client

from cases.models import CaseEvent
from grids.models import Role
from tests.cases import conftest as cases_conftest
from tests.cases.conftest import OTHER_GRID_POINT, POINT_IN_GRID, World, rid
from tests.helpers import client_for

pytestmark = pytest.mark.django_db
world = cases_conftest.world


def _duplicates(client, world: World, point=POINT_IN_GRID, item=None):
    return client.get(
        "/api/v1/cases/duplicates/",
        {"item": item or world.item.code, "lon": point.x + 0.0001, "lat": point.y},
    )


def test_the_desk_sees_open_cases_of_the_item_near_the_point_nearest_first(world):
    near = world.report(address="辽宁路1号")
    world.report(item_id=world.natural_item.pk)  # another item
    world.report(world.users[Role.INTAKE_OPERATOR], source="hotline_12345", point=OTHER_GRID_POINT)
    response = _duplicates(client_for(world.users[Role.INTAKE_OPERATOR]), world)
    assert response.status_code == 200
    assert [row["number"] for row in response.json()] == [near.number]
    row = response.json()[0]
    assert row["address"] == "辽宁路1号"
    assert row["distance_m"] < 20
    assert row["status_label"]


def test_duplicates_outside_the_readers_view_are_not_listed(world, make_user):
    world.report()
    outsider = make_user(Role.STREET_OFFICER, region=world.regions["370203002"])
    response = _duplicates(client_for(outsider), world)
    assert response.status_code == 200
    assert response.json() == []


def test_a_bad_duplicate_query_is_a_400_naming_the_fields(world):
    client = client_for(world.users[Role.INTAKE_OPERATOR])
    response = client.get("/api/v1/cases/duplicates/", {"item": "nope", "lon": "x"})
    assert response.status_code == 400
    assert {"item", "lon", "lat"} <= set(response.json()["errors"])


def test_the_intake_records_the_line_the_call_came_through(world):
    client = client_for(world.users[Role.INTAKE_OPERATOR])
    response = client.post(
        "/api/v1/intake/",
        {
            "request_id": rid(),
            "source": "hotline_12345",
            "sub_channel": "12319 城建热线",
            "item": world.item.code,
            "request_type": "help",
            "description": "路灯不亮",
            "lon": POINT_IN_GRID.x,
            "lat": POINT_IN_GRID.y,
            "contact": {"name": "李四", "phone": "13900001111"},
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["sub_channel"] == "12319 城建热线"
    event = CaseEvent.objects.get(case_id=response.json()["id"], action="report")
    assert event.data["sub_channel"] == "12319 城建热线"
    assert event.case.request_type == "help"
    # A column of the case: in the API detail and on the case page.
    assert event.case.sub_channel == "12319 城建热线"
    detail = client.get(f"/api/v1/cases/{event.case_id}/")
    assert detail.json()["sub_channel"] == "12319 城建热线"
    page = _page_client(world.users[Role.INTAKE_OPERATOR]).get(f"/cases/{event.case_id}/")
    assert 'data-testid="case-sub-channel">12319 城建热线<' in page.content.decode()


def test_an_intake_without_a_sub_channel_still_works_and_says_blank(world):
    client = client_for(world.users[Role.INTAKE_OPERATOR])
    response = client.post(
        "/api/v1/intake/",
        {
            "request_id": rid(),
            "source": "hotline_12345",
            "item": world.item.code,
            "description": "井盖缺失",
            "lon": POINT_IN_GRID.x,
            "lat": POINT_IN_GRID.y,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["sub_channel"] == ""
    event = CaseEvent.objects.get(case_id=response.json()["id"], action="report")
    assert "sub_channel" not in event.data
    assert event.case.sub_channel == ""
    page = _page_client(world.users[Role.INTAKE_OPERATOR]).get(f"/cases/{event.case_id}/")
    assert 'data-testid="case-sub-channel"' not in page.content.decode()


def test_the_migration_fills_the_column_from_the_report_events(world):
    """Cases reported before the column existed get the line their report's event recorded."""
    import importlib

    from django.apps import apps

    from cases.models import Case

    migration = importlib.import_module("cases.migrations.0013_case_sub_channel")
    named = world.report(sub_channel="12319 城建热线")
    unnamed = world.report()
    Case.objects.update(sub_channel="")  # as before the migration
    migration.backfill(apps, None)
    named.refresh_from_db()
    unnamed.refresh_from_db()
    assert (named.sub_channel, unnamed.sub_channel) == ("12319 城建热线", "")


def _page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.INTAKE_OPERATOR, 200),
        (Role.STREET_OFFICER, 200),
        (Role.COMMUNITY_STAFF, 200),
        (Role.DISPATCHER, 403),
        (Role.INSPECTOR, 403),
    ],
)
def test_the_desk_is_for_the_roles_that_take_calls_and_the_nav_says_so(world, role, status):
    client = _page_client(world.users[role])
    response = client.get("/intake/new/")
    assert response.status_code == status
    home = client.get("/home/").content.decode()
    assert ('data-testid="nav-intake"' in home) is (status == 200)


def test_the_desk_page_labels_its_fields_and_carries_the_catalogue(world):
    response = _page_client(world.users[Role.INTAKE_OPERATOR]).get("/intake/new/")
    html = response.content.decode()
    for field in (
        "f-source",
        "f-sub-channel",
        "f-contact-name",
        "f-contact-phone",
        "f-item-search",
        "f-description",
        "f-address",
    ):
        assert f'for="{field}"' in html, field
    assert world.item.code in html  # the item picker's data
    assert "<script>" not in html  # data only through json_script (CSP)

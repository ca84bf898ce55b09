"""The incremental feed: scoped by the key's region and items, paged by a cursor that misses
nothing, even an event committed after a later one was read; 4xx answers in JSON."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from cases.api.auth import agency_key_issue
from cases.services import case_transition
from exchange.feed import feed_page
from exchange.models import AgencyScope, ExchangeEvent
from grids.models import Role
from tests.cases.conftest import OTHER_GRID_POINT, rid

pytestmark = pytest.mark.django_db


def agency(world, *, region: str = "370203", items=()) -> APIClient:
    issued = agency_key_issue(name=f"agency-{region}-{len(items)}", source="hotline_12345")
    scope = AgencyScope.objects.create(agency=issued.row, region_id=region)
    scope.items.set(items)
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=issued.key)
    return client


def read_all(client: APIClient, since: str = "0", limit: int = 2) -> tuple[list[dict], str]:
    events: list[dict] = []
    while True:
        response = client.get("/api/v1/exchange/cases/", {"since": since, "limit": limit})
        assert response.status_code == 200, response.content
        body = response.json()
        events += body["events"]
        since = body["cursor"]
        if not body["has_more"]:
            return events, since


def report_elsewhere(world):
    return world.report(
        world.users[Role.INTAKE_OPERATOR], source="hotline_12345", point=OTHER_GRID_POINT
    )


def test_the_feed_pages_through_every_event_once_in_order(world):
    client = agency(world)
    first = world.report()
    case_transition(
        case_id=first.pk,
        action="register",
        actor=world.users[Role.INTAKE_OPERATOR],
        request_id=rid(),
    )
    second = world.report()
    events, cursor = read_all(client)
    assert [(e["data"]["case_number"], e["data"]["event"]["action"]) for e in events] == [
        (first.number, "report"),
        (first.number, "register"),
        (second.number, "report"),
    ]
    assert events[0]["specversion"] == "1.0"
    assert events[0]["type"] == "cn.wangge.case.report"
    # Nothing new: the same cursor, no events.
    again = client.get("/api/v1/exchange/cases/", {"since": cursor}).json()
    assert again == {"events": [], "cursor": cursor, "has_more": False}
    third = world.report()
    newer, _ = read_all(client, since=cursor)
    assert [e["data"]["case_number"] for e in newer] == [third.number]


def test_the_feed_is_scoped_by_the_key_s_region_and_items(world):
    street_one = agency(world, region="370203001")
    wells_only = agency(world, region="370203", items=[world.natural_item])
    mine = world.report()  # street 370203001
    report_elsewhere(world)  # street 370203002
    well = world.report(item_id=world.natural_item.pk)

    events, _ = read_all(street_one)
    assert [e["data"]["case_number"] for e in events] == [mine.number, well.number]
    events, _ = read_all(wells_only)
    assert [e["data"]["case_number"] for e in events] == [well.number]


def test_an_event_committed_after_a_later_one_was_read_is_not_skipped(world):
    """A transaction that took its id first and committed last: the cursor is a position
    handed out after commit, so the late row comes after the cursor the reader holds."""
    client = agency(world)
    late_case, early_case = world.report(), world.report()
    # The late transaction's row is not there yet when the reader reads...
    late = ExchangeEvent.objects.get(case=late_case)
    ExchangeEvent.objects.filter(pk=late.pk).delete()
    seen, cursor = read_all(client)
    assert [e["data"]["case_number"] for e in seen] == [early_case.number]
    # ...and commits afterwards, with its lower id.
    late.seq = None
    late.save(force_insert=True)
    assert late.pk < ExchangeEvent.objects.get(case=early_case).pk
    seen, _ = read_all(client, since=cursor)
    assert [e["id"] for e in seen] == [str(late.pk)]


def test_a_page_full_of_out_of_scope_events_still_moves_the_cursor_on(world):
    client = agency(world, region="370203001")
    for _ in range(3):
        report_elsewhere(world)
    body = client.get("/api/v1/exchange/cases/", {"since": "0"}).json()
    assert body["events"] == []
    assert int(body["cursor"]) == 3


def test_a_reader_s_horizon_includes_only_committed_positions(world):
    scope_client = agency(world)
    world.report()
    scope = AgencyScope.objects.get()
    page = feed_page(scope=scope, since=0, limit=10)
    assert [e.seq for e in page.events] == [1]
    assert page.cursor == 1
    assert scope_client.get("/api/v1/exchange/cases/").status_code == 200


@pytest.mark.parametrize("since", ["abc", "-1", "1.5", str(2**64)])
def test_a_bad_cursor_is_a_400_in_json(world, since):
    response = agency(world).get("/api/v1/exchange/cases/", {"since": since})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert "since" in body["errors"]


def test_the_feed_needs_an_agency_key_with_a_scope(world):
    anonymous = APIClient().get("/api/v1/exchange/cases/")
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "not_authenticated"
    bad = APIClient()
    bad.credentials(HTTP_X_API_KEY="nope")
    assert bad.get("/api/v1/exchange/cases/").status_code == 401
    issued = agency_key_issue(name="没有范围", source="hotline_12345")
    unscoped = APIClient()
    unscoped.credentials(HTTP_X_API_KEY=issued.key)
    response = unscoped.get("/api/v1/exchange/cases/")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_staff_tokens_do_not_open_the_feed(world):
    from tests.helpers import client_for

    response = client_for(world.users[Role.DISTRICT_LEADER]).get("/api/v1/exchange/cases/")
    assert response.status_code == 401


def test_the_feed_is_in_the_openapi_schema(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/exchange/cases/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"since", "limit"}
    assert {"200", "400", "401", "403"} <= set(operation["responses"])

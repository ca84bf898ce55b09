"""Offline sync: a queued batch applied in order, one result per item, idempotent, each item
on its own."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import Point
from rest_framework.test import APIClient

from cases.models import Case, CaseEvent, Outbox, Status
from grids.models import Post, Role
from tests.cases import conftest as cases_conftest
from tests.cases.conftest import OTHER_GRID_POINT, POINT_IN_GRID, World, put_in_state
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

world = cases_conftest.world
DEVICE_TIME = "2026-11-27T09:15:00+08:00"


@pytest.fixture
def command_centre(world: World):
    """One person on intake, supervisor and dispatcher posts at the district (a night shift)."""
    user = world.users[Role.INTAKE_OPERATOR]
    district = world.regions["370203"]
    for role in (Role.SHIFT_SUPERVISOR, Role.DISPATCHER):
        Post.objects.create(user=user, role=role, region=district)
    return user


def report(client_id: str, point=POINT_IN_GRID, **extra) -> dict:
    return {
        "client_id": client_id,
        "kind": "report",
        "device_time": DEVICE_TIME,
        "source": "hotline_12345",
        "item": "S010201",
        "description": "路边暴露垃圾一堆",
        "lon": point.x,
        "lat": point.y,
        **extra,
    }


def action(client_id: str, name: str, version: int, **target) -> dict:
    return {
        "client_id": client_id,
        "kind": "action",
        "device_time": DEVICE_TIME,
        "action": name,
        "version": version,
        **target,
    }


def sync(client: APIClient, items: list[dict]):
    return client.post("/api/v1/sync/", {"items": items}, format="json")


def test_a_report_and_the_actions_on_it_are_applied_in_order(world, command_centre):
    items = [
        report("r1"),
        action("a1", "register", 1, case_client_id="r1"),
        action("a2", "file", 2, case_client_id="r1"),
        action("a3", "dispatch", 3, case_client_id="r1", payload={"unit_id": world.department.pk}),
    ]
    response = sync(client_for(command_centre), items)
    assert response.status_code == 200, response.json()
    results = response.json()["results"]
    case = Case.objects.get()
    assert results == [
        {"client_id": cid, "status": "ok", "case_id": case.pk, "version": v, "error": None}
        for cid, v in (("r1", 1), ("a1", 2), ("a2", 3), ("a3", 4))
    ]
    assert (case.status, case.handling_unit) == (Status.DISPATCHED, world.department)
    assert list(case.events.values_list("action", flat=True)) == [
        "report",
        "register",
        "file",
        "dispatch",
    ]


def test_a_replayed_batch_writes_nothing_new_and_gets_the_same_results(world, command_centre):
    client = client_for(command_centre)
    items = [
        report("r1"),
        action("a1", "register", 1, case_client_id="r1"),
        report("r2"),
    ]
    first = sync(client, items).json()
    counts = (Case.objects.count(), CaseEvent.objects.count(), Outbox.objects.count())
    again = sync(client, items).json()
    assert again == first
    assert (Case.objects.count(), CaseEvent.objects.count(), Outbox.objects.count()) == counts


def test_a_failing_item_does_not_roll_back_or_block_the_others(world, command_centre):
    existing = world.report()
    items = [
        report("r1"),
        action("stale", "register", 7, case_id=existing.pk),
        report("r2"),
    ]
    results = sync(client_for(command_centre), items).json()["results"]
    assert [r["status"] for r in results] == ["ok", "error", "ok"]
    assert results[1]["error"]["code"] == "version_conflict"
    assert results[1]["error"]["current_version"] == 1
    assert results[1]["case_id"] == existing.pk
    assert Case.objects.count() == 3
    assert Case.objects.get(pk=existing.pk).status == Status.REPORTED


def test_an_action_on_a_report_that_failed_is_skipped(world, command_centre):
    outside = Point(121.0, 36.5, srid=4326)
    items = [
        report("r1", point=outside),
        action("a1", "register", 1, case_client_id="r1"),
        report("r2"),
    ]
    results = sync(client_for(command_centre), items).json()["results"]
    assert [r["status"] for r in results] == ["error", "skipped", "ok"]
    assert results[0]["error"]["code"] == "outside_district"
    assert results[1]["error"]["code"] == "dependency_failed"
    assert "r1" in results[1]["error"]["message"]
    assert Case.objects.count() == 1


def test_later_actions_on_a_case_whose_earlier_action_failed_are_skipped(world, command_centre):
    case = world.report()
    other = world.report()
    items = [
        action("a1", "file", 1, case_id=case.pk),  # not registered yet: not allowed
        action("a2", "dispatch", 2, case_id=case.pk, payload={"unit_id": world.department.pk}),
        action("b1", "register", 1, case_id=other.pk),
    ]
    results = sync(client_for(command_centre), items).json()["results"]
    assert [r["status"] for r in results] == ["error", "skipped", "ok"]
    assert results[0]["error"]["code"] == "action_not_allowed"


def test_a_malformed_item_is_that_items_error_only(world, command_centre):
    items = [
        report("r1", lon=999, description=""),
        action("a1", "register", 1),  # neither case_id nor case_client_id
        report("r2"),
    ]
    results = sync(client_for(command_centre), items).json()["results"]
    assert [r["status"] for r in results] == ["error", "error", "ok"]
    assert {"lon", "description"} <= set(results[0]["error"]["errors"])
    assert "case_id" in results[1]["error"]["errors"]


def test_a_malformed_action_blocks_the_later_ones_on_its_case(world, command_centre):
    case = world.report()
    items = [
        action("a1", "register", 0, case_id=case.pk),  # version 0 is not a version
        action("a2", "file", 2, case_id=case.pk),
        action("a3", "register", 1, case_id=True),
    ]
    results = sync(client_for(command_centre), items).json()["results"]
    assert [r["status"] for r in results] == ["error", "skipped", "error"]
    assert [r["case_id"] for r in results] == [case.pk, case.pk, None]


def test_an_action_may_name_a_report_synced_in_an_earlier_batch(world, command_centre):
    client = client_for(command_centre)
    sync(client, [report("r1")])
    results = sync(client, [action("a1", "register", 1, case_client_id="r1")]).json()["results"]
    assert results[0]["status"] == "ok"
    assert Case.objects.get().status == Status.REGISTERED
    results = sync(client, [action("a2", "file", 2, case_client_id="nope")]).json()["results"]
    assert results[0]["error"]["errors"] == {
        "case_client_id": ["No report of yours has this client id."]
    }


def test_an_inspector_syncs_offline_reports_and_checks(world):
    inspector = world.users[Role.INSPECTOR]
    checking = put_in_state(world.report(), Status.CHECKING)
    items = [
        report("r1", source="inspector"),
        report("r2", source="inspector", self_handled=True),
        action("c1", "check_pass", checking.version, case_id=checking.pk),
    ]
    results = sync(client_for(inspector), items).json()["results"]
    assert [r["status"] for r in results] == ["ok", "ok", "ok"]
    assert Case.objects.get(pk=checking.pk).status == Status.CHECK_PASSED
    assert Case.objects.get(pk=results[1]["case_id"]).status == Status.CLOSED


def test_an_action_on_a_case_in_another_jurisdiction_is_not_found(world):
    foreign = world.report(
        world.users[Role.INTAKE_OPERATOR], source="hotline_12345", point=OTHER_GRID_POINT
    )
    put_in_state(foreign, Status.CHECKING)
    items = [action("c1", "check_pass", 1, case_id=foreign.pk)]
    results = sync(client_for(world.users[Role.INSPECTOR]), items).json()["results"]
    assert results[0]["status"] == "error"
    assert results[0]["error"]["code"] == "not_found"


def test_client_ids_are_one_per_item_and_the_batch_has_a_limit(world, command_centre):
    client = client_for(command_centre)
    response = sync(client, [report("same"), report("same")])
    assert response.status_code == 400
    assert response.json()["errors"]["items"] == {
        "1": {"client_id": ["Used by another item of this batch."]}
    }
    response = sync(client, [report(f"r{i}") for i in range(201)])
    assert response.status_code == 400
    assert "items" in response.json()["errors"]
    response = sync(client, [report(" padded ")])
    assert "client_id" in response.json()["errors"]["items"]["0"]
    response = sync(client, [{"kind": "teleport"}])
    assert set(response.json()["errors"]["items"]["0"]) == {"client_id", "kind"}
    assert sync(client, []).status_code == 400
    assert Case.objects.count() == 0


def test_the_same_client_id_from_two_users_is_two_items(world, command_centre):
    other = world.users[Role.DISTRICT_LEADER]
    first = sync(client_for(command_centre), [report("r1")]).json()["results"][0]
    second = sync(client_for(other), [report("r1")]).json()["results"][0]
    assert first["status"] == second["status"] == "ok"
    assert first["case_id"] != second["case_id"]

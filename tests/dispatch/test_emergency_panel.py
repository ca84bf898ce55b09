"""Emergency linkage around a case: the case-bound endpoint, the verify task sent to the
nearest inspector through the workflow, and the panel on the case page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.gis.geos import Point
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from cases.models import CaseEvent, Outbox, Status
from grids.models import EmergencyResource, InspectorPosition, ResourceKind, Role, User
from tests.cases.conftest import GRID, POINT_IN_GRID, World, put_in_state
from tests.cases.conftest import world as world  # the fixture, shared

pytestmark = pytest.mark.django_db

NEIGHBOUR_GRID = "370203001001002"


def _api(user: object) -> APIClient:
    client = APIClient()
    client.force_login(user)  # type: ignore[arg-type]
    client.credentials(HTTP_ACCEPT_LANGUAGE="en")
    return client


def _fix(user: object, dlon: float, dlat: float, minutes_ago: float = 2) -> None:
    now = timezone.now()
    InspectorPosition.objects.create(
        user=user,
        point=Point(POINT_IN_GRID.x + dlon, POINT_IN_GRID.y + dlat, srid=4326),
        recorded_at=now - timedelta(minutes=minutes_ago),
        updated_at=now,
    )


@pytest.fixture
def scene(world: World, make_user):
    """A hotline case in GRID; its own inspector ~180 m away, a neighbour-grid inspector
    ~90 m away, a stale one at the spot; a shelter ~110 m north."""
    case = world.report(world.users[Role.INTAKE_OPERATOR], source="hotline_12345")
    own = world.users[Role.INSPECTOR]
    neighbour = make_user(Role.INSPECTOR, region=world.regions[NEIGHBOUR_GRID], username="nb")
    stale = make_user(Role.INSPECTOR, region=world.regions[GRID], username="stale")
    _fix(own, 0.002, 0)
    _fix(neighbour, 0.001, 0)
    _fix(stale, 0, 0, minutes_ago=45)
    shelter = EmergencyResource.objects.create(
        code="SH1", name="一中操场", kind=ResourceKind.SHELTER, point=Point(120.305, 36.096)
    )
    return {"case": case, "own": own, "neighbour": neighbour, "shelter": shelter}


def _nearest(user: object, case_id: int, **params: object):
    return _api(user).get(f"/api/v1/emergency/cases/{case_id}/nearest/", params)


def test_intake_sees_the_nearest_inspectors_and_who_can_take_the_verify_task(world, scene):
    response = _nearest(world.users[Role.INTAKE_OPERATOR], scene["case"].pk)
    assert response.status_code == 200
    body = response.json()
    assert body["case"]["id"] == scene["case"].pk
    assert body["assign"] == {"action": "send_verify", "allowed": True, "reason": ""}
    inspectors = body["inspectors"]
    assert [i["user_id"] for i in inspectors] == [scene["neighbour"].pk, scene["own"].pk]
    assert inspectors[0]["can_assign"] is False
    assert NEIGHBOUR_GRID not in inspectors[0]["assign_refusal"]  # it names the case's grid
    assert GRID in inspectors[0]["assign_refusal"]
    assert inspectors[1]["can_assign"] is True
    assert inspectors[1]["distance_m"] == pytest.approx(180, rel=0.02)  # 0.002° lon at 36° N
    assert 110 <= inspectors[1]["fix_age_s"] <= 130
    [shelter] = [r for r in body["resources"] if r["kind"] == "shelter"]
    assert shelter["distance_m"] == pytest.approx(111, rel=0.01)


def test_no_button_once_the_case_has_left_intake(world, scene):
    put_in_state(scene["case"], Status.REGISTERED)
    body = _nearest(world.users[Role.INTAKE_OPERATOR], scene["case"].pk).json()
    assert body["assign"]["allowed"] is False
    assert "Registered" in body["assign"]["reason"]
    assert all(not i["can_assign"] for i in body["inspectors"])
    assert all(i["assign_refusal"] == body["assign"]["reason"] for i in body["inspectors"])


def test_a_dispatcher_sees_the_inspectors_but_may_not_send_the_task(world, scene):
    body = _nearest(world.users[Role.DISPATCHER], scene["case"].pk).json()
    assert len(body["inspectors"]) == 2
    assert body["assign"]["allowed"] is False
    assert "intake operator" in body["assign"]["reason"]


def test_a_case_outside_the_jurisdiction_is_a_404(world, scene, make_user):
    other_street = make_user(Role.STREET_OFFICER, region=world.regions["370203002"])
    response = _nearest(other_street, scene["case"].pk)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert _nearest(world.users[Role.DISTRICT_LEADER], 987654).status_code == 404


@pytest.mark.parametrize(("params", "field"), [({"n": 0}, "n"), ({"kind": "tank"}, "kind")])
def test_bad_case_nearest_parameters_are_400s(world, scene, params, field):
    response = _nearest(world.users[Role.INTAKE_OPERATOR], scene["case"].pk, **params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def _send_verify(world: World, case, inspector_id: object):
    return _api(world.users[Role.INTAKE_OPERATOR]).post(
        f"/api/v1/cases/{case.pk}/actions/",
        {
            "action": "send_verify",
            "version": case.version,
            "request_id": f"verify-{case.pk}-{inspector_id}",
            "payload": {"inspector_id": inspector_id},
        },
        format="json",
    )


def test_assigning_the_nearest_grid_inspector_sends_them_the_verify_task(world, scene):
    case, own = scene["case"], scene["own"]
    response = _send_verify(world, case, own.pk)
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == Status.VERIFYING
    event = CaseEvent.objects.get(case=case, action="send_verify")
    assert event.data == {"inspector_id": own.pk, "inspector": own.username}
    outbox = Outbox.objects.get(event=event)
    assert outbox.recipients == {"users": [own.pk]}


def test_an_inspector_of_another_grid_cannot_be_sent_the_task(world, scene):
    case = scene["case"]
    response = _send_verify(world, case, scene["neighbour"].pk)
    assert response.status_code == 400
    assert "inspector_id" in response.json()["errors"]
    case.refresh_from_db()
    assert case.status == Status.REPORTED
    assert _send_verify(world, case, "7").status_code == 400


def test_without_a_named_inspector_every_inspector_of_the_grid_hears(world, scene):
    case = scene["case"]
    response = _api(world.users[Role.INTAKE_OPERATOR]).post(
        f"/api/v1/cases/{case.pk}/actions/",
        {"action": "send_verify", "version": case.version, "request_id": "verify-all"},
        format="json",
    )
    assert response.status_code == 200
    outbox = Outbox.objects.get(event__case=case, event__action="send_verify")
    assert outbox.recipients == {"groups": [{"roles": [Role.INSPECTOR], "region": GRID}]}


def test_the_case_page_carries_the_emergency_panel(world, scene):
    client = Client()
    client.force_login(world.users[Role.INTAKE_OPERATOR])
    page = client.get(f"/cases/{scene['case'].pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-nearest="/api/v1/emergency/cases/{scene["case"].pk}/nearest/"' in html
    assert 'id="emergency-i18n"' in html
    assert "dispatch/emergency.js" in html
    assert "附近的应急资源和网格员" in html


def test_the_send_verify_form_offers_the_grid_inspectors_or_the_whole_grid(world, scene):
    hints = _api(world.users[Role.INTAKE_OPERATOR]).get(
        f"/api/v1/cases/{scene['case'].pk}/actions/"
    )
    [send_verify] = [hint for hint in hints.json() if hint["action"] == "send_verify"]
    [field] = send_verify["payload_fields"]
    assert field["name"] == "inspector_id"
    assert field["required"] is False
    assert [choice["value"] for choice in field["choices"]] == [
        "",
        scene["own"].pk,
        User.objects.get(username="stale").pk,
    ]

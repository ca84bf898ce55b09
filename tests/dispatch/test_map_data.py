"""The live map's data: every overdue case whatever the view, open cases in view, closed ones
only behind the filter; a click on a grid shows its inspectors and open cases."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.models import Status
from grids.models import Role
from tests.cases.conftest import GRID, OTHER_GRID_POINT, World, put_in_state
from tests.cases.conftest import world as world  # the fixture, shared

FAR_AWAY_BOX = "120.0,35.0,120.01,35.01"


def _client_for(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_every_overdue_case_is_on_the_map_whatever_the_view_and_no_closed_one(
    world: World,
) -> None:
    late = [
        put_in_state(world.report(), Status.FILED, stage_due_at=timezone.now() - timedelta(hours=h))
        for h in range(1, 8)
    ]
    closed = put_in_state(world.report(), Status.CLOSED)
    open_case = world.report()
    client = _client_for(world.users[Role.SHIFT_SUPERVISOR])
    far = client.get(reverse("dispatch:map-cases"), {"bbox": FAR_AWAY_BOX}).json()
    assert sorted(c["id"] for c in far["cases"]) == sorted(c.pk for c in late)
    assert far["overdue_total"] == 7
    assert {c["card"] for c in far["cases"]} == {"overdue"}
    near = client.get(reverse("dispatch:map-cases"), {"bbox": "120.2,36.0,120.4,36.2"}).json()
    ids = {c["id"] for c in near["cases"]}
    assert open_case.pk in ids
    assert closed.pk not in ids
    with_closed = client.get(
        reverse("dispatch:map-cases"), {"bbox": "120.2,36.0,120.4,36.2", "closed": "1"}
    ).json()
    assert closed.pk in {c["id"] for c in with_closed["cases"]}


def test_map_data_stays_inside_the_jurisdiction(world: World) -> None:
    world.report(world.users[Role.INTAKE_OPERATOR], source="hotline_12345", point=OTHER_GRID_POINT)
    data = _client_for(world.users[Role.STREET_OFFICER]).get(reverse("dispatch:map-cases")).json()
    assert data["cases"] == []


def test_a_click_on_a_grid_shows_its_inspectors_and_open_cases(world: World) -> None:
    case = world.report()
    card = _client_for(world.users[Role.DISPATCHER]).get(
        reverse("dispatch:map-grid"), {"lon": "120.305", "lat": "36.095"}
    )
    data = card.json()
    assert data["code"] == GRID
    assert [i["name"] for i in data["inspectors"]] == ["inspector"]
    assert [c["id"] for c in data["cases"]] == [case.pk]
    assert data["cases"][0]["url"] == f"/cases/{case.pk}/"


def test_a_grid_outside_the_jurisdiction_is_a_404(world: World) -> None:
    response = _client_for(world.users[Role.STREET_OFFICER]).get(
        reverse("dispatch:map-grid"), {"code": "370203002002002"}
    )
    assert response.status_code == 404


def test_a_click_outside_every_grid_shows_nothing_and_is_no_error(world: World) -> None:
    response = _client_for(world.users[Role.DISPATCHER]).get(
        reverse("dispatch:map-grid"), {"lon": "121.5", "lat": "31.2"}
    )
    assert response.status_code == 200
    assert response.json() == {"code": None}


def test_a_grid_lookup_with_no_number_finds_no_grid_and_is_no_error(world: World) -> None:
    response = _client_for(world.users[Role.DISPATCHER]).get(
        reverse("dispatch:map-grid"), {"lon": "nan", "lat": "36.09"}
    )
    assert response.status_code == 200
    assert response.json() == {"code": None}

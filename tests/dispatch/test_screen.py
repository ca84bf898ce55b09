"""The big screen: who gets it, and what its figures count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.models import Status
from dispatch.models import DeadlineAlert
from dispatch.sweeper import sweep_deadlines
from grids.models import Role
from tests.cases.conftest import World, put_in_state
from tests.cases.conftest import world as world  # the fixture, shared


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


def _client_for(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


@pytest.mark.parametrize("role", [Role.DISTRICT_LEADER, Role.SHIFT_SUPERVISOR, Role.DISPATCHER])
def test_leader_and_command_roles_get_the_big_screen(world: World, role: str) -> None:
    client = _client_for(world.users[role])
    assert client.get(reverse("dispatch:screen")).status_code == 200
    assert client.get(reverse("dispatch:screen-data")).status_code == 200


@pytest.mark.parametrize("role", [Role.INSPECTOR, Role.UNIT_HANDLER])
def test_field_roles_do_not_get_the_big_screen(world: World, role: str) -> None:
    client = _client_for(world.users[role])
    assert client.get(reverse("dispatch:screen")).status_code == 403
    response = client.get(reverse("dispatch:screen-data"))
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_screen_counts_todays_reports_overdue_cases_and_red_cards(world: World) -> None:
    world.report()
    late = world.report(address="辽宁路2号")
    put_in_state(
        late,
        Status.FILED,
        stage_started_at=timezone.now() - timedelta(hours=2),
        stage_warn_at=timezone.now() - timedelta(minutes=20),
        stage_due_at=timezone.now() - timedelta(minutes=5),
    )
    sweep_deadlines()
    assert DeadlineAlert.objects.filter(case=late, kind=DeadlineAlert.Kind.RED).exists()
    data = (
        _client_for(world.users[Role.DISTRICT_LEADER]).get(reverse("dispatch:screen-data")).json()
    )
    assert data["kpis"]["today"]["reported"]["value"] == 2
    assert data["now"]["overdue"] == 1
    assert sum(data["trends"]["today_reported"]) == 2
    assert data["rankings"]["items"] == [{"name": "暴露垃圾", "count": 2}]
    assert any(a["kind"] == "red" and late.number in a["text"] for a in data["alarms"])


def test_leaders_home_carries_the_screens_panels(world: World) -> None:
    body = _client_for(world.users[Role.DISTRICT_LEADER]).get(reverse("dispatch:home"))
    assert 'data-testid="leader-panels"' in body.content.decode()
    assert reverse("dispatch:screen") in body.content.decode()

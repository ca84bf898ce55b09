"""The supervision list (/supervisions/, GET /api/v1/supervisions/): scoped by jurisdiction,
filtered by state and region, overdue flagged; and evaluation counting urged and supervised
cases against the unit."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, Supervision
from cases.services import case_transition
from dispatch.models import Group
from grids.models import Role
from tests.cases.conftest import OTHER_GRID_POINT, rid
from tests.cases.conftest import world as world  # the fixture, shared
from tests.dispatch.evaluation_story import Story, at, month
from tests.helpers import client_for


def _handling(world, **where) -> Case:
    """Dispatched through the services, so its stage clock is the handling clock."""
    case = world.report(**where)
    for action, role, payload in (
        ("register", Role.INTAKE_OPERATOR, {}),
        ("file", Role.SHIFT_SUPERVISOR, {}),
        ("dispatch", Role.DISPATCHER, {"unit_id": world.department.pk}),
    ):
        case = case_transition(
            case_id=case.pk,
            action=action,
            actor=world.users[role],
            request_id=rid(),
            payload=payload,
        )
    return case


def _supervise(world, case: Case, due: dt.date, role: str = Role.SHIFT_SUPERVISOR) -> Case:
    return case_transition(
        case_id=case.pk,
        action="supervise",
        actor=world.users[role],
        request_id=rid(),
        note="督办：请限期办结",
        payload={"due_date": due.isoformat()},
    )


@pytest.fixture
def supervised(world):
    """Three supervisions: one due in two days, one already overdue, one settled."""
    today = timezone.localdate()
    ahead = _supervise(world, _handling(world), today + dt.timedelta(days=2))
    with time_machine.travel(timezone.now() - dt.timedelta(days=3)):
        late = _supervise(world, _handling(world), today - dt.timedelta(days=2))
    done = _supervise(world, _handling(world), today + dt.timedelta(days=1))
    Supervision.objects.filter(case=done).update(settled_at=timezone.now())
    return {"ahead": ahead, "late": late, "done": done}


def _ids(body: dict) -> list[int]:
    return [row["case"]["id"] for row in body["results"]]


def test_the_api_lists_supervisions_newest_first_with_the_overdue_flagged(world, supervised):
    body = client_for(world.users[Role.SHIFT_SUPERVISOR]).get("/api/v1/supervisions/").json()
    rows = {row["case"]["id"]: row for row in body["results"]}
    assert set(rows) == {c.pk for c in supervised.values()}
    assert rows[supervised["late"].pk]["overdue"] is True
    assert rows[supervised["ahead"].pk]["overdue"] is False
    assert rows[supervised["done"].pk]["overdue"] is False
    row = rows[supervised["ahead"].pk]
    assert (row["kind"], row["created_by"], row["note"]) == (
        "manual",
        "supervisor",
        "督办：请限期办结",
    )
    assert row["case"]["item"] == world.item.name
    assert row["case"]["handling_unit"]["id"] == world.department.pk


@pytest.mark.parametrize(
    ("state", "expected"),
    [("open", {"ahead", "late"}), ("overdue", {"late"}), ("settled", {"done"}), ("", None)],
)
def test_the_api_filters_by_state(world, supervised, state, expected):
    body = (
        client_for(world.users[Role.DISTRICT_LEADER])
        .get("/api/v1/supervisions/", {"state": state})
        .json()
    )
    wanted = set(supervised) if expected is None else expected
    assert set(_ids(body)) == {supervised[name].pk for name in wanted}


def test_the_api_filters_by_region_and_refuses_a_bad_filter(world, supervised):
    other = _supervise(
        world,
        _handling(
            world,
            actor=world.users[Role.INTAKE_OPERATOR],
            source="hotline_12345",
            point=OTHER_GRID_POINT,
        ),
        timezone.localdate() + dt.timedelta(days=1),
    )
    client = client_for(world.users[Role.DISTRICT_LEADER])
    assert _ids(client.get("/api/v1/supervisions/", {"region": "370203002"}).json()) == [other.pk]
    response = client.get("/api/v1/supervisions/", {"state": "someday", "region": "x"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"state", "region"}


def test_a_foreign_street_sees_no_supervisions_of_another_street(world, supervised, make_user):
    foreign = make_user(Role.STREET_OFFICER, region=world.regions["370203002"])
    assert _ids(client_for(foreign).get("/api/v1/supervisions/").json()) == []
    own = client_for(world.users[Role.STREET_OFFICER]).get("/api/v1/supervisions/").json()
    assert set(_ids(own)) == {c.pk for c in supervised.values()}


def test_the_page_lists_open_supervisions_with_the_overdue_marked(world, supervised):
    client = Client()
    client.force_login(world.users[Role.SHIFT_SUPERVISOR])
    response = client.get(reverse("dispatch:supervisions"))
    assert response.status_code == 200
    page = response.content.decode()
    assert f'data-case="{supervised["ahead"].pk}"' in page
    assert f'data-case="{supervised["late"].pk}" class="overdue"' in page
    assert f'data-case="{supervised["done"].pk}"' not in page  # open ones by default
    assert response.context["counts"] == {"open": 2, "overdue": 1}
    assert 'data-testid="nav-supervisions"' in page
    # A filter that does not parse shows everything rather than an error.
    assert client.get(reverse("dispatch:supervisions"), {"state": "x"}).status_code == 200


def test_units_and_inspectors_have_no_supervision_page(world):
    for role in (Role.UNIT_HANDLER, Role.INSPECTOR):
        client = Client()
        client.force_login(world.users[role])
        assert client.get(reverse("dispatch:supervisions")).status_code == 403
        home = client.get(reverse("dispatch:home")).content.decode()
        assert 'data-testid="nav-supervisions"' not in home


# --- evaluation -----------------------------------------------------------------------------


def test_evaluation_counts_urged_and_supervised_cases_against_the_unit(world):
    from dispatch.evaluation.reports import subject_report

    story = Story(world)
    unit = world.department.pk
    cases = []
    for _ in range(3):
        case = story.report("2026-11-16 09:00")
        story.to_filed(case, "2026-11-16")
        story.act(case, "dispatch", Role.DISPATCHER, "2026-11-16 09:30", unit_id=unit)
        cases.append(case)
    # Urged twice (counted once), and urged and supervised; the third left alone.
    story.act(cases[0], "urge", Role.SHIFT_SUPERVISOR, "2026-11-16 10:00", note="请尽快")
    story.act(cases[0], "urge", Role.DISTRICT_LEADER, "2026-11-16 11:00", note="再催")
    story.act(cases[1], "urge", Role.DISPATCHER, "2026-11-16 10:00", note="请尽快")
    with time_machine.travel(at("2026-11-16 10:05"), tick=False):
        case_transition(
            case_id=cases[1].pk,
            action="supervise",
            actor=world.users[Role.DISTRICT_LEADER],
            request_id=rid(),
            note="领导督办",
            payload={"due_date": "2026-11-17"},
        )
    story.rebuild("2026-11-01", "2026-11-30")
    row = subject_report(
        user=world.users[Role.DISTRICT_LEADER],
        group=Group.UNIT,
        subject=str(unit),
        period=month(2026, 11),
    )
    figures = {f.key: f.value for f in row.figures}
    assert (figures["urged"], figures["supervised"]) == (2, 1)

"""Urging (催办) and supervision (督办) as workflow actions: who may, what they record, whom
they tell, and when a supervision is settled."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cases.errors import ActionNotAllowed, InvalidInput, NotPermitted
from cases.models import CaseEvent, HandlingLevel, Outbox, Status, Supervision
from cases.services import case_transition
from grids.models import Role

from .conftest import put_in_state, rid

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)


def act(case, action, actor, **kwargs):
    return case_transition(case_id=case.pk, action=action, actor=actor, request_id=rid(), **kwargs)


def at_unit(world, level=HandlingLevel.DISTRICT):
    return put_in_state(
        world.report(), Status.HANDLING, handling_unit=world.department, handling_level=level
    )


def handled_by_the_unit(world):
    """Through the services, so the stage clock is the handling clock."""
    case = world.report()
    for action, role, payload in (
        ("register", Role.INTAKE_OPERATOR, None),
        ("file", Role.SHIFT_SUPERVISOR, None),
        ("dispatch", Role.DISPATCHER, {"unit_id": world.department.pk}),
        ("sign_for", Role.UNIT_HANDLER, None),
    ):
        case = act(case, action, world.users[role], payload=payload)
    return case


def test_a_shift_supervisor_urges_the_unit_with_a_reason(world):
    case = at_unit(world)
    with pytest.raises(InvalidInput):
        act(case, "urge", world.users[Role.SHIFT_SUPERVISOR])  # no reason
    case = act(case, "urge", world.users[Role.SHIFT_SUPERVISOR], note="群众多次来电，请今日办结")
    event = CaseEvent.objects.filter(case=case).latest("pk")
    assert (event.action, event.note, event.handling_unit) == (
        "urge",
        "群众多次来电，请今日办结",
        world.department,
    )
    assert Outbox.objects.get(event=event).recipients == {"units": [world.department.pk]}
    assert case.status == Status.HANDLING  # pressure, not a move


@pytest.mark.parametrize(
    ("level", "role", "allowed"),
    [
        # At or above the case's level, over its region.
        (HandlingLevel.COMMUNITY, Role.COMMUNITY_STAFF, True),
        (HandlingLevel.COMMUNITY, Role.STREET_OFFICER, True),
        (HandlingLevel.COMMUNITY, Role.INTAKE_OPERATOR, True),
        (HandlingLevel.STREET, Role.STREET_OFFICER, True),
        (HandlingLevel.STREET, Role.COMMUNITY_STAFF, False),  # below the case's level
        (HandlingLevel.DISTRICT, Role.STREET_OFFICER, False),
        (HandlingLevel.DISTRICT, Role.DISPATCHER, True),
        (HandlingLevel.DISTRICT, Role.DISTRICT_LEADER, True),
        (HandlingLevel.DISTRICT, Role.UNIT_HANDLER, False),
        (HandlingLevel.DISTRICT, Role.INSPECTOR, False),
    ],
)
def test_who_may_urge(world, level, role, allowed):
    case = at_unit(world, level)
    if allowed:
        act(case, "urge", world.users[role], note="请尽快")
    else:
        with pytest.raises(NotPermitted):
            act(case, "urge", world.users[role], note="请尽快")


def test_a_leader_supervises_with_a_due_date_and_the_unit_and_command_hear(world):
    with time_machine.travel(MONDAY, tick=False):
        case = at_unit(world)
        case = act(
            case,
            "supervise",
            world.users[Role.DISTRICT_LEADER],
            note="领导督办",
            payload={"due_date": "2026-11-25"},
        )
    supervision = Supervision.objects.get(case=case)
    assert supervision.kind == Supervision.Kind.MANUAL
    assert supervision.created_by == world.users[Role.DISTRICT_LEADER]
    assert supervision.event.action == "supervise"
    # Due by the end of that day, Beijing time.
    assert supervision.due_at == datetime(2026, 11, 25, 23, 59, 59, tzinfo=SHANGHAI)
    assert (supervision.handling_unit, supervision.to_level) == (world.department, "district")
    notice = Outbox.objects.get(event=supervision.event)
    assert notice.recipients["units"] == [world.department.pk]
    assert notice.recipients["groups"] == [
        {
            "roles": sorted([Role.DISPATCHER, Role.INTAKE_OPERATOR, Role.SHIFT_SUPERVISOR]),
            "region": "370203",
        }
    ]


@pytest.mark.parametrize("due_date", ["2026-11-22", "tomorrow", "", "2028-01-01"])
def test_a_supervision_needs_a_due_date_today_or_later_within_a_year(world, due_date):
    with time_machine.travel(MONDAY, tick=False):
        case = at_unit(world)
        with pytest.raises(InvalidInput) as bad:
            act(
                case,
                "supervise",
                world.users[Role.SHIFT_SUPERVISOR],
                note="督办",
                payload={"due_date": due_date},
            )
    assert "due_date" in bad.value.field_errors
    assert not Supervision.objects.exists()


def test_one_open_supervision_by_a_person_at_a_time(world):
    case = handled_by_the_unit(world)
    due = {"due_date": (datetime.now(SHANGHAI).date() + timedelta(days=1)).isoformat()}
    case = act(case, "supervise", world.users[Role.SHIFT_SUPERVISOR], note="一", payload=due)
    with pytest.raises(ActionNotAllowed):
        act(case, "supervise", world.users[Role.DISTRICT_LEADER], note="二", payload=due)


def test_only_shift_supervisors_and_leaders_supervise(world):
    case = at_unit(world)
    due = {"due_date": (datetime.now(SHANGHAI).date() + timedelta(days=1)).isoformat()}
    for role in (Role.DISPATCHER, Role.INTAKE_OPERATOR, Role.STREET_OFFICER):
        with pytest.raises(NotPermitted):
            act(case, "supervise", world.users[role], note="x", payload=due)


def test_a_supervision_is_settled_when_its_stage_ends(world):
    case = handled_by_the_unit(world)
    due = {"due_date": (datetime.now(SHANGHAI).date() + timedelta(days=1)).isoformat()}
    case = act(case, "supervise", world.users[Role.SHIFT_SUPERVISOR], note="督办", payload=due)
    # An urge or a request keeps the stage: still open.
    case = act(case, "urge", world.users[Role.SHIFT_SUPERVISOR], note="再催")
    assert Supervision.objects.get(case=case).settled_at is None
    case = act(case, "feedback", world.users[Role.UNIT_HANDLER], note="已处置")
    assert Supervision.objects.get(case=case).settled_at is not None


def test_pressing_on_a_case_does_not_reset_the_sweeps_next_look(world):
    case = handled_by_the_unit(world)
    sweep_at = case.sweep_at
    case = act(case, "urge", world.users[Role.SHIFT_SUPERVISOR], note="请尽快")
    assert case.sweep_at == sweep_at

"""The replay behind the on-time figures keeps the same stage clock as cases.deadlines: after
every action, the due it holds is the case's stage_due_at — through working-hour limits,
extension, suspension and resume, rework and a return."""

from __future__ import annotations

import pytest
import time_machine

from cases.models import Case
from cases.services import case_transition
from dispatch.evaluation.facts import replayed_stage_due
from dispatch.evaluation.stats import load_histories, make_clock
from grids.models import Role
from tests.cases.conftest import World, rid
from tests.dispatch.evaluation_story import at

pytestmark = pytest.mark.django_db

# (action, role, local time, payload); working days Mon–Fri, 08:30–12:00 and 13:30–17:30.
STEPS = [
    ("register", Role.INTAKE_OPERATOR, "2026-11-09 09:10", {}),
    ("file", Role.SHIFT_SUPERVISOR, "2026-11-09 11:50", {}),
    ("dispatch", Role.DISPATCHER, "2026-11-09 13:40", "unit"),
    ("request_return", Role.UNIT_HANDLER, "2026-11-09 14:00", {}),
    ("approve_return", Role.DISPATCHER, "2026-11-09 14:05", {}),
    ("dispatch", Role.DISPATCHER, "2026-11-09 17:20", "unit"),
    ("sign_for", Role.UNIT_HANDLER, "2026-11-10 08:40", {}),
    (
        "request_extension",
        Role.UNIT_HANDLER,
        "2026-11-10 09:00",
        {"value": 3, "unit": "working_hours"},
    ),
    ("approve_extension", Role.SHIFT_SUPERVISOR, "2026-11-10 09:30", {}),
    ("request_suspension", Role.UNIT_HANDLER, "2026-11-10 10:00", {}),
    ("approve_suspension", Role.SHIFT_SUPERVISOR, "2026-11-10 10:10", {}),
    ("resume", Role.SHIFT_SUPERVISOR, "2026-11-11 15:00", {}),
    ("feedback", Role.UNIT_HANDLER, "2026-11-12 09:00", {}),
    ("send_check", Role.INTAKE_OPERATOR, "2026-11-12 09:10", {}),
    ("check_fail", Role.INSPECTOR, "2026-11-12 09:20", {}),
    ("feedback", Role.UNIT_HANDLER, "2026-11-13 16:00", {}),
    ("send_check", Role.INTAKE_OPERATOR, "2026-11-13 16:30", {}),
    ("check_pass", Role.INSPECTOR, "2026-11-13 16:45", {}),
]
NOTES = {
    "request_return",
    "request_extension",
    "request_suspension",
    "feedback",
    "check_fail",
    "escalate",
}


def test_replayed_due_equals_the_services_due_after_every_action(world: World):
    with time_machine.travel(at("2026-11-09 09:00"), tick=False):
        case = world.report()
    clock = make_clock()
    checked = 0
    for action, role, when, payload in STEPS:
        if payload == "unit":
            payload = {"unit_id": world.department.pk}
        actor = world.users[role]
        with time_machine.travel(at(when), tick=False):
            case_transition(
                case_id=case.pk,
                action=action,
                actor=actor,
                request_id=rid(),
                payload=payload,
                note="原因" if action in NOTES else "",
            )
        row = Case.objects.get(pk=case.pk)
        history = load_histories([case.pk])[case.pk]
        replayed = replayed_stage_due(*history, clock=clock)
        if row.status == "suspended":
            continue  # the clock is stopped; resume moves it on
        assert replayed == (row.stage, row.stage_due_at), action
        checked += 1
    assert checked == len(STEPS) - 1
    assert Case.objects.get(pk=case.pk).reworks_count == 1

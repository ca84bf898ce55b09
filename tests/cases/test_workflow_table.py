"""Every action × every state × every role, driven by the table itself.

For each (action, state) the case is put in that state with whatever the action needs
(a pending request, a handling unit); then each role's user tries. The ones the table allows
succeed; the others are refused with a clear error and write nothing.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases.errors import ActionNotAllowed, CaseError, NotPermitted
from cases.models import Case, CaseEvent, CoHandling, Outbox, PendingRequest, Status
from cases.services import case_transition
from cases.workflow import TRANSITION_ACTIONS, TRANSITIONS, Action, Emphasis, Scope
from grids.models import Role

from .conftest import OTHER_GRID_POINT, put_in_state, rid

# How each role's test user stands to a district-level case in grid 370203001001001 handled
# by the department: who the table's scopes admit.
QUALIFIES: dict[Scope, set[str]] = {
    Scope.COMMAND: {
        Role.INTAKE_OPERATOR,
        Role.SHIFT_SUPERVISOR,
        Role.DISPATCHER,
        Role.DISTRICT_LEADER,
    },
    Scope.GRID: {Role.INSPECTOR},
    Scope.UNIT: {Role.UNIT_HANDLER},
    Scope.LEVEL: {Role.INTAKE_OPERATOR, Role.SHIFT_SUPERVISOR, Role.DISPATCHER},
    Scope.REPORTER: {Role.INTAKE_OPERATOR},
    # Command roles at or above the case's level (the district), and leaders anywhere.
    Scope.ABOVE: {
        Role.INTAKE_OPERATOR,
        Role.SHIFT_SUPERVISOR,
        Role.DISPATCHER,
        Role.DISTRICT_LEADER,
    },
    # The world's co-handling unit is the first street's office: its street officer acts.
    Scope.CO_UNIT: {Role.STREET_OFFICER},
}
# The co-handling actions need a unit co-handling the case (the street office), signed for
# its part where the action feeds it back.
NEEDS_CO_HANDLER = {Action.REMOVE_CO_HANDLER, Action.CO_SIGN_FOR, Action.CO_FEEDBACK}


def payload_for(action: Action, world, other_case: Case) -> dict:
    return {
        Action.VERIFY: {"confirmed": True},
        Action.MARK_DUPLICATE: {"original_case_id": other_case.pk},
        Action.DISPATCH: {"unit_id": world.department.pk},
        Action.REQUEST_EXTENSION: {"value": 2, "unit": "working_hours"},
        Action.CLOSE_EXCEPTIONALLY: {"closure_kind": "special"},
        Action.RATE: {"rating": 4},
        Action.ADD_CO_HANDLER: {"unit_id": world.street_office.pk},
        Action.REMOVE_CO_HANDLER: {"unit_id": world.street_office.pk},
        Action.SUPERVISE: {"due_date": (timezone.localdate() + dt.timedelta(days=2)).isoformat()},
    }.get(action, {})


def expected_ok(action: Action, status: str, role: str) -> bool:
    row = TRANSITIONS[action]
    if row.scope is Scope.CO_UNIT:
        return status in row.sources and role in QUALIFIES[Scope.CO_UNIT]
    if status not in row.sources or role not in row.roles:
        return False
    if action is Action.ESCALATE:
        return False  # the case sits at the district, the top level
    return role in QUALIFIES[row.scope]


@pytest.mark.parametrize("status", Status.values)
@pytest.mark.parametrize("action", sorted(TRANSITION_ACTIONS))
def test_action_in_state_by_each_role(world, action, status):
    action = Action(action)
    row = TRANSITIONS[action]
    other = world.report(
        world.users[Role.INTAKE_OPERATOR], source="hotline_12345", point=OTHER_GRID_POINT
    )
    for role, user in world.users.items():
        case = world.report()
        extra: dict = {"handling_unit": world.department}
        if row.needs_pending not in (None, PendingRequest.NONE):
            extra["pending_request"] = row.needs_pending
            if row.needs_pending == PendingRequest.EXTENSION:
                extra["pending_request_data"] = {"value": "2", "unit": "working_hours"}
        if status == Status.DUPLICATE:
            extra["duplicate_of"] = other
        case = put_in_state(case, status, **extra)
        if action in NEEDS_CO_HANDLER:
            CoHandling.objects.create(
                case=case,
                unit=world.street_office,
                added_at=timezone.now(),
                signed_at=timezone.now() if action is Action.CO_FEEDBACK else None,
            )
        events_before = CaseEvent.objects.filter(case=case).count()
        outbox_before = Outbox.objects.count()
        try:
            after = case_transition(
                case_id=case.pk,
                action=action,
                actor=user,
                request_id=rid(),
                expected_version=case.version,
                payload=payload_for(action, world, other),
                note="理由说明",
            )
        except (NotPermitted, ActionNotAllowed) as exc:
            assert not expected_ok(action, status, role), (
                f"{role} should be able to {action} from {status}: {exc.message}"
            )
            assert exc.message  # a clear reason
            fresh = Case.objects.get(pk=case.pk)
            assert fresh.version == case.version
            assert fresh.status == status
            assert CaseEvent.objects.filter(case=case).count() == events_before
            assert Outbox.objects.count() == outbox_before
        except CaseError as exc:  # pragma: no cover - a payload problem is a test bug
            pytest.fail(f"{role} {action} from {status}: unexpected {exc.code}: {exc.message}")
        else:
            assert expected_ok(action, status, role), f"{role} must not {action} from {status}"
            assert after.version == case.version + 1
            if row.target is not None:
                assert after.status == row.target
            event = CaseEvent.objects.filter(case=case).latest("pk")
            assert event.action == action
            assert event.actor == user
            assert event.from_status == status
            assert event.version == after.version


def test_every_action_is_reachable_by_some_role_from_some_state():
    for action in TRANSITION_ACTIONS:
        row = TRANSITIONS[Action(action)]
        assert row.sources, action
        assert row.roles, action
        if action != Action.ESCALATE:
            roles = row.roles | QUALIFIES[row.scope]
            assert any(expected_ok(Action(action), s, r) for s in row.sources for r in roles)


def test_the_table_says_which_actions_ask_first():
    """One rule for every form: destructive actions ask, and so does handing a case to another
    level, down or up (the level that did it cannot take it back); the next step of the loop
    never asks."""
    asking = {row.action for row in TRANSITIONS.values() if row.asks_confirmation}
    destructive = {
        row.action for row in TRANSITIONS.values() if row.emphasis is Emphasis.DESTRUCTIVE
    }
    assert asking == destructive | {Action.PUSH_DOWN, Action.ESCALATE}
    for action in (Action.PUSH_DOWN, Action.ESCALATE):
        assert TRANSITIONS[action].emphasis is Emphasis.SECONDARY
        assert "%(number)s" in str(TRANSITIONS[action].confirm)
    assert not any(
        row.asks_confirmation for row in TRANSITIONS.values() if row.emphasis is Emphasis.PRIMARY
    )

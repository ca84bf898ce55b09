"""An action is offered only where it succeeds.

The walk: a generated history (cases.generator) on the box district, with joint handling and
supervision added through the services; for every case and every user of the demo posts
(grids.demo.seed.DEMO_ACCOUNTS, placed in the box district), every action the actions
endpoint offers is taken — with a minimal payload built from the hint's fields, which come
from the workflow table — inside a transaction that is then rolled back. None may fail.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.utils import timezone

from cases.api.case_serializers import action_hints
from cases.errors import CaseError
from cases.generator import generate_cases
from cases.models import OPEN_STATUSES, Case, HandlingLevel, PendingRequest, Status
from cases.selectors import case_qs_for_user
from cases.services import actions_available, case_transition
from cases.workflow import TRANSITION_ACTIONS, Action
from grids.demo.seed import DEMO_ACCOUNTS
from grids.models import GridKind, Level, Post, Region, Role, User

from .conftest import put_in_state, rid

SHANGHAI = ZoneInfo("Asia/Shanghai")
LAST_DAY = date(2026, 11, 27)
NOW = datetime(2026, 11, 27, 15, 0, tzinfo=SHANGHAI)

FIRST_STREET = "370203001"
FIRST_COMMUNITY = "370203001001"


def demo_users(world) -> dict[str, User]:
    """The demo accounts' posts (DEMO_ACCOUNTS), placed in the box district the way seed_demo
    places them in the reference district: the first street, its first community, that
    community's unit grids, the district, the city-management department."""
    regions = world.regions
    places = {
        "district": [regions["370203"]],
        "first_street": [regions[FIRST_STREET]],
        "first_community": [regions[FIRST_COMMUNITY]],
        "first_community_grids": sorted(
            (
                r
                for r in Region.objects.filter(
                    level=Level.GRID, kind=GridKind.UNIT, parent_id=FIRST_COMMUNITY
                )
            ),
            key=lambda r: r.code,
        ),
    }
    users = {}
    for account in DEMO_ACCOUNTS:
        if account.role == Role.AUDITOR:
            continue  # reads access logs; handles no cases
        user = User.objects.create_user(username=account.username, password="pw-123456!")
        if account.place == "city_management":
            Post.objects.create(user=user, role=account.role, unit=world.department)
        for region in places.get(account.place, []):
            Post.objects.create(
                user=user,
                role=account.role,
                region=region,
                inspector_type="full_time" if account.role == Role.INSPECTOR else "",
            )
        users[account.username] = user
    return users


def minimal_payload(hint: dict[str, Any]) -> dict[str, Any]:
    """The least a client would send: each required field's suggestion or first choice, or a
    plain value of its type."""
    payload: dict[str, Any] = {}
    today = timezone.localdate()
    for field in hint["payload_fields"]:
        if not field["required"]:
            continue
        choices = [c["value"] for c in field.get("choices", []) if c["value"] != ""]
        if field.get("suggested") not in (None, ""):
            payload[field["name"]] = field["suggested"]
        elif choices:
            payload[field["name"]] = choices[0]
        else:
            payload[field["name"]] = {
                "boolean": True,
                "integer": 1,
                "number": 1,
                "string": "x",
                "date": (today + timedelta(days=1)).isoformat(),
            }[field["type"]]
    return payload


class _RolledBack(Exception):
    pass


def take_and_roll_back(case: Case, user: User, hint: dict[str, Any]) -> None:
    """Take the offered action for real, then undo it: the database is as it was."""
    payload = minimal_payload(hint)
    if hint["action"] == Action.MARK_DUPLICATE and not payload:
        # Either field names the original: a candidate nearby, or a number the operator types
        # (any open case they can see), which is what a client sends without candidates.
        other = (
            case_qs_for_user(user)
            .filter(status__in=sorted(OPEN_STATUSES))
            .exclude(pk=case.pk)
            .order_by("pk")
            .first()
        )
        if other is not None:
            payload = {"original_case_number": other.number}
    try:
        with transaction.atomic():
            case_transition(
                case_id=case.pk,
                action=hint["action"],
                actor=user,
                request_id=rid(),
                expected_version=case.version,
                payload=payload,
                note="说明" if hint["needs_note"] else "",
            )
            raise _RolledBack
    except _RolledBack:
        pass


def _with_joint_handling_and_supervision(world) -> None:
    """What the generator does not write: co-handling units and supervisions, through the
    services, on some of the cases with a unit (and one co-handler's part signed for)."""
    dispatcher = User.objects.get(username="demo-dispatcher")
    leader = User.objects.get(username="demo-leader")
    at_unit = Case.objects.filter(
        status__in=[Status.DISPATCHED, Status.HANDLING],
        handling_level=HandlingLevel.DISTRICT,
        pending_request=PendingRequest.NONE,
    ).order_by("pk")[:6]
    for n, case in enumerate(at_unit):
        if n % 2 == 0 and case.handling_unit_id != world.street_office.pk:
            case = case_transition(
                case_id=case.pk,
                action=Action.ADD_CO_HANDLER,
                actor=dispatcher,
                request_id=rid(),
                payload={"unit_id": world.street_office.pk},
            )
            if n == 2:
                case_transition(
                    case_id=case.pk,
                    action=Action.CO_SIGN_FOR,
                    actor=world.users[Role.STREET_OFFICER],
                    request_id=rid(),
                )
        if n % 3 == 0:
            case_transition(
                case_id=case.pk,
                action=Action.SUPERVISE,
                actor=leader,
                request_id=rid(),
                note="请加快处置",
                payload={"due_date": (timezone.localdate() + timedelta(days=2)).isoformat()},
            )


@pytest.mark.slow
def test_every_action_offered_on_a_generated_history_succeeds(world):
    # The first item starts in the community's own loop, the other at the district.
    world.item.entry_level = "community"
    world.item.save(update_fields=["entry_level"])
    generate_cases(days=3, per_day=50, end_date=LAST_DAY, seed=11, now=NOW)
    users = demo_users(world)
    _with_joint_handling_and_supervision(world)
    cases = list(Case.objects.select_related("item", "handling_unit__region").order_by("pk"))
    levels = {case.handling_level for case in cases}
    assert {HandlingLevel.COMMUNITY, HandlingLevel.DISTRICT} <= levels

    taken: dict[str, int] = {}
    failures: list[str] = []
    for case in cases:
        for username, user in users.items():
            hints = action_hints(case, actions_available(case=case, actor=user), user)
            for hint in hints:
                try:
                    take_and_roll_back(case, user, hint)
                except CaseError as exc:
                    failures.append(
                        f"{username} {hint['action']} on case {case.pk} ({case.status}, "
                        f"{case.handling_level}): {exc.code}: {exc.message}"
                    )
                taken[hint["action"]] = taken.get(hint["action"], 0) + 1
            fresh = Case.objects.get(pk=case.pk)
            assert fresh.version == case.version, "a rolled-back action left a trace"
    assert not failures, "\n".join(failures[:20])
    # The walk reached most of the table: a walk that offered nothing would prove nothing.
    assert len(taken) >= 20, sorted(taken)
    assert {"add_co_handler", "co_sign_for", "co_feedback", "urge", "supervise"} <= set(taken)
    assert set(taken) <= TRANSITION_ACTIONS


# --- the level guards, one by one --------------------------------------------------------------


def _offered(case: Case, user: User) -> set[str]:
    return {h["action"] for h in action_hints(case, actions_available(case=case, actor=user), user)}


def test_escalate_is_not_offered_at_the_district(world):
    case = world.report()
    assert case.handling_level == HandlingLevel.DISTRICT
    assert "escalate" not in _offered(case, world.users[Role.INTAKE_OPERATOR])


def test_push_down_is_not_offered_below_the_community(world):
    case = put_in_state(world.report(), Status.FILED, handling_level=HandlingLevel.COMMUNITY)
    offered = _offered(case, world.users[Role.COMMUNITY_STAFF])
    assert "dispatch" in offered
    assert "push_down" not in offered
    assert "escalate" in offered  # the community may hand it up to the street


def test_a_second_extension_is_offered_to_the_leader_only(world):
    case = put_in_state(
        world.report(),
        Status.HANDLING,
        handling_unit=world.department,
        pending_request=PendingRequest.EXTENSION,
        pending_request_data={"value": "2", "unit": "working_hours"},
        extensions_count=1,
    )
    assert "approve_extension" not in _offered(case, world.users[Role.SHIFT_SUPERVISOR])
    assert "deny_extension" in _offered(case, world.users[Role.SHIFT_SUPERVISOR])
    assert "approve_extension" in _offered(case, world.users[Role.DISTRICT_LEADER])


def test_a_rated_case_is_not_offered_a_second_rating(world):
    case = world.report(world.users[Role.INTAKE_OPERATOR], source="hotline_12345")
    case = put_in_state(case, Status.CLOSED, rating=4)
    assert "rate" not in _offered(case, world.users[Role.INTAKE_OPERATOR])


def test_the_district_sees_a_community_case_and_may_only_press_on_it(world):
    case = put_in_state(world.report(), Status.REPORTED, handling_level=HandlingLevel.COMMUNITY)
    for role in (Role.INTAKE_OPERATOR, Role.DISPATCHER):
        assert _offered(case, world.users[role]) == set(), role
    # Supervision comes from above: the district's shift supervisor may supervise it.
    assert _offered(case, world.users[Role.SHIFT_SUPERVISOR]) == {"supervise"}
    assert {"register", "reject", "send_verify"} <= _offered(
        case, world.users[Role.COMMUNITY_STAFF]
    )


@pytest.mark.parametrize(
    ("status", "role"),
    [
        (Status.REPORTED, Role.INTAKE_OPERATOR),
        (Status.FILED, Role.DISPATCHER),
        (Status.HANDLING, Role.UNIT_HANDLER),
        (Status.HANDLING, Role.DISTRICT_LEADER),
    ],
)
def test_the_actions_endpoint_stays_a_few_queries(
    world, status, role, django_assert_max_num_queries
):
    """Every guard is asked for every row: the posts are read once, not per row."""
    from tests.helpers import client_for

    case = put_in_state(world.report(), status, handling_unit=world.department)
    client = client_for(world.users[role])
    with django_assert_max_num_queries(12):
        assert client.get(f"/api/v1/cases/{case.pk}/actions/").status_code == 200
    with django_assert_max_num_queries(20):
        assert client.get(f"/api/v1/cases/{case.pk}/").status_code == 200

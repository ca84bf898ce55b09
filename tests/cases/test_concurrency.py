"""Two people on one case, a handheld retrying at the same moment: on real PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import connection

from cases.errors import ActionNotAllowed, CaseError, VersionConflict
from cases.models import Case, CaseEvent, Status
from cases.services import ReportInput, case_report, case_transition
from grids.models import Role
from tests.helpers import race

from .conftest import POINT_IN_GRID, rid

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL (SQLite is one writer)"
    ),
]


def test_two_people_acting_on_one_case_exactly_one_wins(world):
    case = world.report()
    register = lambda: case_transition(  # noqa: E731
        case_id=case.pk,
        action="register",
        actor=world.users[Role.INTAKE_OPERATOR],
        request_id=rid(),
        expected_version=1,
    )
    reject = lambda: case_transition(  # noqa: E731
        case_id=case.pk,
        action="reject",
        actor=world.users[Role.INTAKE_OPERATOR],
        request_id=rid(),
        expected_version=1,
        note="不予受理",
    )
    results, errors = race(register, reject)
    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    losers = [e for e in errors if e is not None]
    assert len(losers) == 1
    assert isinstance(losers[0], CaseError)
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.version == 2
    assert fresh.status in (Status.REGISTERED, Status.REJECTED)
    assert CaseEvent.objects.filter(case=case).count() == 2  # report + the winner


def test_without_versions_the_row_lock_orders_them_and_the_losers_see_the_new_state(world):
    # No expected version: the second transaction waits for the first's lock, re-reads the
    # case, and finds its action no longer applies. Nothing is overwritten.
    case = world.report()
    intake = world.users[Role.INTAKE_OPERATOR]

    def call(action):
        return lambda: case_transition(
            case_id=case.pk, action=action, actor=intake, request_id=rid(), note="并发操作"
        )

    results, errors = race(call("register"), call("register"), call("send_verify"))
    assert sum(r is not None for r in results) == 1
    assert all(isinstance(e, ActionNotAllowed) for e in errors if e is not None)
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.version == 2
    assert list(CaseEvent.objects.filter(case=case).values_list("version", flat=True)) == [1, 2]


def test_handheld_retry_racing_itself_creates_one_case(world):
    data = ReportInput(
        source="inspector", item_id=world.item.pk, description="井盖缺失", point=POINT_IN_GRID
    )
    actor = world.users[Role.INSPECTOR]
    call = lambda: case_report(actor=actor, data=data, request_id="retry-race")  # noqa: E731
    results, errors = race(call, call, call)
    assert errors == [None, None, None]
    assert len({r.pk for r in results}) == 1
    assert Case.objects.count() == 1
    assert CaseEvent.objects.filter(request_id="retry-race").count() == 1


def test_stale_version_loses_even_when_it_arrives_first(world):
    case = world.report()
    case_transition(
        case_id=case.pk,
        action="register",
        actor=world.users[Role.INTAKE_OPERATOR],
        request_id=rid(),
        expected_version=1,
    )
    with pytest.raises(VersionConflict):
        case_transition(
            case_id=case.pk,
            action="file",
            actor=world.users[Role.SHIFT_SUPERVISOR],
            request_id=rid(),
            expected_version=1,
        )

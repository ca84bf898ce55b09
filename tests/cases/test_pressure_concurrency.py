"""Two people adding the same co-handling unit, or supervising one case, at the same moment:
one wins, the other is told why, and nothing is written twice (PostgreSQL row locks)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from cases.errors import CaseError
from cases.models import CoHandling, Status, Supervision
from cases.services import case_transition
from grids.models import Role
from tests.helpers import race

from .conftest import put_in_state, rid

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL (SQLite is one writer)"
    ),
]


def test_two_dispatchers_adding_the_same_unit_add_it_once(world, make_user):
    case = put_in_state(world.report(), Status.HANDLING, handling_unit=world.department)
    second = make_user(Role.DISPATCHER, region=world.regions["370203"])

    def add(user):
        return lambda: case_transition(
            case_id=case.pk,
            action="add_co_handler",
            actor=user,
            request_id=rid(),
            payload={"unit_id": world.street_office.pk},
        )

    results, errors = race(add(world.users[Role.DISPATCHER]), add(second))
    assert sum(r is not None for r in results) == 1
    losers = [e for e in errors if e is not None]
    assert len(losers) == 1
    assert isinstance(losers[0], CaseError)
    assert CoHandling.objects.filter(case=case).count() == 1


def test_a_leader_and_a_supervisor_supervising_at_once_make_one_supervision(world):
    case = put_in_state(world.report(), Status.HANDLING, handling_unit=world.department)
    due = {"due_date": (timezone.localdate() + dt.timedelta(days=1)).isoformat()}

    def supervise(role):
        return lambda: case_transition(
            case_id=case.pk,
            action="supervise",
            actor=world.users[role],
            request_id=rid(),
            note="督办",
            payload=due,
        )

    results, errors = race(supervise(Role.DISTRICT_LEADER), supervise(Role.SHIFT_SUPERVISOR))
    assert sum(r is not None for r in results) == 1
    assert sum(isinstance(e, CaseError) for e in errors) == 1
    assert Supervision.objects.filter(case=case).count() == 1

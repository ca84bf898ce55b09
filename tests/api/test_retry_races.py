"""Copies of one request racing each other (issue 14): a handheld or an agency resending before
the first answer came. Exactly one write, and every copy answers as a retry does.

Real threads and real transactions. On PostgreSQL the copies run at the same instant; SQLite
has one writer (and the test database is one shared in-memory file), so there they take turns,
which still checks what a late copy answers."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient

from cases.api.auth import agency_key_issue
from cases.models import Case, CaseEvent, Contact
from grids.models import Role
from tests.api.test_cases_api import intake_body, report_body
from tests.cases import conftest as cases_conftest
from tests.cases.conftest import World
from tests.helpers import client_for, race

pytestmark = pytest.mark.django_db(transaction=True)

world = cases_conftest.world
_one_writer = threading.Lock()


def copies(n: int, call: Callable[[], Any]) -> list[Any]:
    """n copies of the call in threads; every copy must return (no exception)."""
    if connection.vendor == "sqlite":

        def serial() -> Any:
            with _one_writer:
                return call()

        results, errors = race(*[serial] * n)
    else:
        results, errors = race(*[call] * n)
    assert errors == [None] * n, errors
    return results


def test_copies_of_one_action_make_one_event_and_all_answer_200(world: World) -> None:
    case = world.report()
    intake = world.users[Role.INTAKE_OPERATOR]
    body = {"action": "register", "version": case.version, "request_id": "act-copy-1"}

    def post() -> Any:
        return client_for(intake).post(f"/api/v1/cases/{case.pk}/actions/", body, format="json")

    responses = copies(20, post)
    assert [r.status_code for r in responses] == [200] * 20, [
        r.json() for r in responses if r.status_code != 200
    ]
    assert CaseEvent.objects.filter(request_id="act-copy-1").count() == 1
    assert Case.objects.get(pk=case.pk).version == case.version + 1
    replay = post()
    assert replay.status_code == 200
    assert all(r.json() == replay.json() for r in responses)


def test_copies_of_one_report_make_one_case_one_answers_201_the_others_200(world: World) -> None:
    inspector = world.users[Role.INSPECTOR]
    body = report_body(world, request_id="report-copy-1")

    def post() -> Any:
        return client_for(inspector).post("/api/v1/cases/", body, format="json")

    responses = copies(8, post)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 7 + [201], [r.json() for r in responses]
    assert Case.objects.count() == 1
    assert CaseEvent.objects.filter(request_id="report-copy-1").count() == 1
    replay = post()
    assert replay.status_code == 200
    assert all(r.json() == replay.json() for r in responses)


def test_copies_of_one_agency_ticket_make_one_case(world: World) -> None:
    issued = agency_key_issue(name="12345 政务服务热线", source="hotline_12345")
    body = intake_body(world, external_id="GD-RACE-0001")

    def post() -> Any:
        client = APIClient()
        client.credentials(HTTP_X_API_KEY=issued.key, HTTP_ACCEPT_LANGUAGE="en")
        return client.post("/api/v1/intake/", body, format="json")

    responses = copies(8, post)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 7 + [201], [r.json() for r in responses]
    assert (Case.objects.count(), Contact.objects.count()) == (1, 1)
    assert len({r.json()["id"] for r in responses}) == 1

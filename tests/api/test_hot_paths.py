"""The hot paths stay lean (issue 17): an inspector's report and an action send at most eight
SQL statements each, whole requests counted (token, posts, the write and the answer).

Transaction control is counted apart: the test's transaction turns the write's atomic block
into SAVEPOINT and RELEASE (a server sends BEGIN and COMMIT there instead, which Django's
PostgreSQL backend does not even pass through the cursor)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases.models import Case, CaseEvent
from grids.models import Role
from tests.api.test_cases_api import intake_body, report_body
from tests.cases import conftest as cases_conftest
from tests.cases.conftest import World, rid
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

world = cases_conftest.world

# Token, posts, item and condition, locate, number, case, event, outbox.
REPORT_STATEMENTS = 8
# Token, posts, case under its lock, update, event, outbox, timeline, its photos.
TRANSITION_STATEMENTS = 8
# SAVEPOINT and RELEASE around the one atomic block.
TRANSACTION_CONTROL = 2
_CONTROL = ("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT", "ROLLBACK")


def work(captured) -> list[str]:
    """The statements that do work (not transaction control)."""
    sqls = [q["sql"] for q in captured.captured_queries]
    return [sql for sql in sqls if not sql.lstrip().upper().startswith(_CONTROL)]


def _warm(client, world: World) -> None:
    # The first request of a token writes its last use, and the settings tables are cached
    # on first read: neither is the steady state.
    client.post("/api/v1/cases/", report_body(world), format="json")


def test_an_inspectors_report_sends_at_most_eight_statements(
    world: World, django_assert_max_num_queries
) -> None:
    inspector = client_for(world.users[Role.INSPECTOR])
    _warm(inspector, world)
    with django_assert_max_num_queries(REPORT_STATEMENTS + TRANSACTION_CONTROL) as captured:
        response = inspector.post("/api/v1/cases/", report_body(world), format="json")
    assert len(work(captured)) <= REPORT_STATEMENTS, work(captured)
    assert response.status_code == 201, response.json()
    body = response.json()
    # The answer is the case as its detail shows it, but without the action hints.
    detail = inspector.get(f"/api/v1/cases/{body['id']}/").json()
    assert body["actions"] == []
    assert {**body, "actions": detail["actions"]} == detail
    assert body["location"]["grid"]["code"] == "370203001001001"
    assert [e["action"] for e in body["timeline"]] == ["report"]


def test_an_action_sends_at_most_eight_statements(
    world: World, django_assert_max_num_queries
) -> None:
    case = world.report()
    intake = client_for(world.users[Role.INTAKE_OPERATOR])
    intake.get(f"/api/v1/cases/{case.pk}/")  # the token's first use
    body = {"action": "register", "version": 1, "request_id": rid()}
    with django_assert_max_num_queries(TRANSITION_STATEMENTS + TRANSACTION_CONTROL) as captured:
        response = intake.post(f"/api/v1/cases/{case.pk}/actions/", body, format="json")
    assert len(work(captured)) <= TRANSITION_STATEMENTS, work(captured)
    assert response.status_code == 200, response.json()
    answer = response.json()
    assert (answer["status"], answer["version"], answer["actions"]) == ("registered", 2, [])
    detail = intake.get(f"/api/v1/cases/{case.pk}/").json()
    assert {**answer, "actions": detail["actions"]} == detail


def test_with_the_exchange_in_use_an_action_records_one_row_more(
    world: World, django_assert_max_num_queries
) -> None:
    # A subscription exists (for closes only): every event is recorded for the feed, one
    # INSERT; who listens is cached, so no read of the subscriptions per action.
    from exchange.models import ExchangeEvent, Subscription

    Subscription.objects.create(
        name="closes",
        url="http://127.0.0.1:9/",
        secret="s",
        event_types=["close"],
        created_at=timezone.now(),
    )
    case = world.report()
    intake = client_for(world.users[Role.INTAKE_OPERATOR])
    intake.get(f"/api/v1/cases/{case.pk}/")
    body = {"action": "register", "version": 1, "request_id": rid()}
    with django_assert_max_num_queries(TRANSITION_STATEMENTS + 1 + TRANSACTION_CONTROL) as captured:
        response = intake.post(f"/api/v1/cases/{case.pk}/actions/", body, format="json")
    assert len(work(captured)) <= TRANSITION_STATEMENTS + 1, work(captured)
    assert response.status_code == 200, response.json()
    assert ExchangeEvent.objects.filter(case=case).count() == 2  # the report and the register


def test_a_supervised_case_still_shows_and_settles_its_supervision(world: World) -> None:
    case = world.report()
    leader = client_for(world.users[Role.DISTRICT_LEADER])
    soon = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    intake = client_for(world.users[Role.INTAKE_OPERATOR])
    supervised = leader.post(
        f"/api/v1/cases/{case.pk}/actions/",
        {
            "action": "supervise",
            "version": 1,
            "request_id": rid(),
            "note": "尽快处理",
            "payload": {"due_date": soon},
        },
        format="json",
    )
    assert supervised.status_code == 200, supervised.json()
    assert len(supervised.json()["supervisions"]) == 1
    registered = intake.post(
        f"/api/v1/cases/{case.pk}/actions/",
        {"action": "register", "version": 2, "request_id": rid()},
        format="json",
    )
    assert registered.status_code == 200, registered.json()
    (supervision,) = registered.json()["supervisions"]
    assert supervision["settled_at"] is not None


def test_writes_carry_the_action_hints_when_asked(world: World) -> None:
    inspector = client_for(world.users[Role.INSPECTOR])
    response = inspector.post("/api/v1/cases/?include=actions", report_body(world), format="json")
    assert response.status_code == 201
    hints = response.json()["actions"]
    assert hints == inspector.get(f"/api/v1/cases/{response.json()['id']}/actions/").json()
    intake = client_for(world.users[Role.INTAKE_OPERATOR])
    acted = intake.post(
        f"/api/v1/cases/{response.json()['id']}/actions/?include=actions",
        {"action": "register", "version": 1, "request_id": rid()},
        format="json",
    )
    assert [h["action"] for h in acted.json()["actions"]] == [
        h["action"] for h in intake.get(f"/api/v1/cases/{response.json()['id']}/actions/").json()
    ]
    assert acted.json()["actions"]


def test_a_hotline_intake_stays_lean(world: World, django_assert_max_num_queries) -> None:
    # The intake operator's hotline report also writes the caller's contact, and its answer
    # looks for duplicates nearby; it is not on the inspector's budget but must not creep.
    intake = client_for(world.users[Role.INTAKE_OPERATOR])
    intake.post("/api/v1/intake/", intake_body(world, source="hotline_12345"), format="json")
    # 13: with the ticket's origin, kept for answering back to the agency (exchange).
    with django_assert_max_num_queries(13):
        response = intake.post(
            "/api/v1/intake/",
            intake_body(world, source="hotline_12345", external_id="GD-LEAN-2"),
            format="json",
        )
    assert response.status_code == 201, response.json()
    assert Case.objects.count() == 2
    assert CaseEvent.objects.count() == 2

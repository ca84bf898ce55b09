"""The feed's cursor across concurrent writes: writers committing while readers page, and a
transaction that took its id first and commits last."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction
from rest_framework.test import APIClient

from cases.api.auth import agency_key_issue
from cases.services import case_transition
from exchange.models import AgencyScope, ExchangeEvent
from grids.models import Role
from tests.cases.conftest import rid

pytestmark = pytest.mark.django_db(transaction=True)

WRITERS = 4
REPORTS_EACH = 8


def feed_client() -> APIClient:
    issued = agency_key_issue(name="区应急局", source="hotline_12345")
    # The reader polls as fast as it can: its key gets a rate to match (the default, 20 a
    # second, is for an agency's real traffic; this test is about the cursor, not the rate).
    issued.row.rate = "10000/second"
    issued.row.save(update_fields=["rate"])
    AgencyScope.objects.create(agency=issued.row, region_id="370203")
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=issued.key)
    return client


def read(client: APIClient, since: str, limit: int = 3) -> tuple[list[str], str, bool]:
    response = client.get("/api/v1/exchange/cases/", {"since": since, "limit": limit})
    assert response.status_code == 200, response.content
    body = response.json()
    return [e["id"] for e in body["events"]], body["cursor"], body["has_more"]


def in_thread(target, *args) -> threading.Thread:
    def run() -> None:
        try:
            target(*args)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


# SQLite has one writer at a time and its in-memory test database locks whole tables, so the
# writers there take turns (a lock below); the reader still reads between their commits.
SERIALISE_WRITES = connection.vendor != "postgresql"


def test_a_reader_paging_while_writers_commit_misses_nothing_and_sees_nothing_twice(world):
    client = feed_client()
    write_lock = threading.Lock()
    done = threading.Event()
    errors: list[BaseException] = []

    operator = world.users[Role.INTAKE_OPERATOR]

    def write(n: int) -> None:
        mine: list[int] = []

        def report() -> None:
            mine.append(world.report().pk)

        def register() -> None:
            case_transition(case_id=mine[-1], action="register", actor=operator, request_id=rid())

        try:
            for _ in range(REPORTS_EACH // 2):
                # A report (numbered one at a time) and a registration (locks its case only).
                for step in (report, register):
                    if SERIALISE_WRITES:
                        with write_lock:
                            step()
                    else:
                        step()
        except BaseException as exc:
            errors.append(exc)

    seen: list[str] = []
    cursor = "0"

    def page_on() -> None:
        nonlocal cursor
        ids, cursor, _more = read(client, cursor)
        seen.extend(ids)

    def reader() -> None:
        try:
            while not done.is_set():
                if SERIALISE_WRITES:
                    with write_lock:
                        page_on()
                else:
                    page_on()
        except BaseException as exc:
            errors.append(exc)

    reading = in_thread(reader)
    writers = [in_thread(write, n) for n in range(WRITERS)]
    for thread in writers:
        thread.join(timeout=120)
    done.set()
    reading.join(timeout=60)
    assert errors == []
    while True:
        ids, cursor, more = read(client, cursor)
        seen.extend(ids)
        if not ids and not more:
            break
    everything = sorted(str(pk) for pk in ExchangeEvent.objects.values_list("pk", flat=True))
    assert len(everything) == WRITERS * REPORTS_EACH
    assert len(seen) == len(set(seen)), "an event was read twice"
    assert sorted(seen) == everything


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="two open writers need PostgreSQL (SQLite has one)"
)
def test_a_transaction_committing_after_a_later_one_is_still_read(world):
    client = feed_client()
    first, second = world.report(), world.report()
    _ids, cursor, _ = read(client, "0", limit=10)
    operator = world.users[Role.INTAKE_OPERATOR]
    inserted, release = threading.Event(), threading.Event()
    late: dict[str, int] = {}

    def register(case_id: int) -> int:
        case_transition(case_id=case_id, action="register", actor=operator, request_id=rid())
        return ExchangeEvent.objects.filter(case_id=case_id).latest("pk").pk

    def slow_writer() -> None:
        with transaction.atomic():
            late["event"] = register(first.pk)
            inserted.set()
            release.wait(timeout=60)

    slow = in_thread(slow_writer)
    assert inserted.wait(timeout=60)
    quick_event = register(second.pk)  # commits now, with a higher id
    assert quick_event > late["event"]

    ids, cursor, _ = read(client, cursor)
    assert ids == [str(quick_event)]
    release.set()
    slow.join(timeout=60)
    ids, _cursor, _ = read(client, cursor)
    assert ids == [str(late["event"])]

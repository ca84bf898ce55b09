"""The read replica router against a real streaming replica (issue 17 §4).

Heavy read-only pages read the replica; everything else, and a client's requests for a few
seconds after its own write, read the primary. With the replica's replay paused, a page that
reads it cannot see a new case: that shows which database answered.
"""

from __future__ import annotations

import time

import pytest
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from config import replica as replica_module
from grids.models import Role
from tests.api.test_cases_api import report_body
from tests.cases.conftest import World
from tests.helpers import client_for
from tests.replica.conftest import wait_for_replica

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


def _browser(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


class Reads:
    """Which database a request read its cases from."""

    def __init__(self) -> None:
        self.primary = CaptureQueriesContext(connections["default"])
        self.replica = CaptureQueriesContext(connections["replica"])

    def __enter__(self) -> Reads:
        self.primary.__enter__()
        self.replica.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.primary.__exit__(*exc)
        self.replica.__exit__(*exc)

    @staticmethod
    def _cases(context: CaptureQueriesContext) -> int:
        return sum('"cases_case"' in query["sql"] for query in context.captured_queries)

    @property
    def cases_on_primary(self) -> int:
        return self._cases(self.primary)

    @property
    def cases_on_replica(self) -> int:
        return self._cases(self.replica)


def test_the_replica_is_a_streaming_standby_of_the_primary():
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery(), current_database()")
        in_recovery, name = cursor.fetchone()
    assert in_recovery is True
    assert name == connections["default"].settings_dict["NAME"]  # the test database, streamed
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone()[0] is False


def test_the_overview_reads_the_replica_and_a_case_page_the_primary(world: World):
    leader = _browser(world.users[Role.DISTRICT_LEADER])
    case = world.report()
    wait_for_replica()
    with Reads() as reads:
        data = leader.get(reverse("dispatch:overview")).json()
    assert data["reported"] == 1
    assert reads.cases_on_replica > 0
    assert reads.cases_on_primary == 0
    with Reads() as reads:
        assert leader.get(reverse("dispatch:case", args=[case.pk])).status_code == 200
    assert reads.cases_on_replica == 0
    assert reads.cases_on_primary > 0


def test_the_writer_reads_its_own_write_while_the_replica_lags(world: World, replica_admin):
    inspector = client_for(world.users[Role.INSPECTOR])
    leader = _browser(world.users[Role.DISTRICT_LEADER])
    wait_for_replica()
    replica_admin.execute("SELECT pg_wal_replay_pause()")
    # The inspector reports (a write through the API, with a token): the replica does not
    # replay it while paused.
    response = inspector.post(reverse("api-cases"), report_body(world), format="json")
    assert response.status_code == 201, response.content
    new_id = response.json()["id"]
    # The inspector's own list (a replica view) right after: from the primary, with the case.
    with Reads() as reads:
        listed = inspector.get(reverse("api-cases")).json()
    assert new_id in [row["id"] for row in listed["results"]]
    assert reads.cases_on_replica == 0
    # The leader, who wrote nothing, reads the lagging replica: the case is not there yet.
    with Reads() as reads:
        assert leader.get(reverse("dispatch:overview")).json()["reported"] == 0
    assert reads.cases_on_replica > 0
    replica_admin.execute("SELECT pg_wal_replay_resume()")
    wait_for_replica()
    assert leader.get(reverse("dispatch:overview")).json()["reported"] == 1


def test_after_the_sticky_seconds_the_writer_reads_the_replica_again(world: World, settings):
    settings.REPLICA_STICKY_SECONDS = 1
    inspector = client_for(world.users[Role.INSPECTOR])
    response = inspector.post(reverse("api-cases"), report_body(world), format="json")
    assert response.status_code == 201
    with Reads() as reads:
        inspector.get(reverse("api-cases"))
    assert (reads.cases_on_primary, reads.cases_on_replica) != (0, 0)
    assert reads.cases_on_replica == 0
    time.sleep(1.2)
    wait_for_replica()
    with Reads() as reads:
        listed = inspector.get(reverse("api-cases")).json()
    assert reads.cases_on_replica > 0
    assert reads.cases_on_primary == 0
    assert len(listed["results"]) == 1


def test_a_browser_that_wrote_carries_the_mark_in_a_cookie(world: World):
    world.report()
    leader = _browser(world.users[Role.DISTRICT_LEADER])
    wait_for_replica()
    response = leader.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.cookies[replica_module.COOKIE]["max-age"] == 10
    assert response.cookies[replica_module.COOKIE]["httponly"]
    with Reads() as reads:
        assert leader.get(reverse("dispatch:overview")).json()["reported"] == 1
    assert reads.cases_on_replica == 0
    assert reads.cases_on_primary > 0


def test_open311_and_analysis_reads_go_to_the_replica(world: World):
    world.report()
    leader = _browser(world.users[Role.DISTRICT_LEADER])
    wait_for_replica()
    with Reads() as reads:
        response = Client().get(reverse("open311-requests", args=["json"]))
    assert response.status_code == 200
    assert len(reads.replica.captured_queries) > 0
    with Reads() as reads:
        assert leader.get(reverse("analysis:index")).status_code == 200
    assert len(reads.replica.captured_queries) > 0


def test_with_the_replica_down_every_page_reads_the_primary(world: World, monkeypatch):
    world.report()
    leader = _browser(world.users[Role.DISTRICT_LEADER])
    replica = connections["replica"]
    replica.close()
    monkeypatch.setitem(replica.settings_dict, "PORT", "1")  # nothing listens there
    monkeypatch.setattr(replica_module, "_replica_down_until", 0.0)
    try:
        with CaptureQueriesContext(connections["default"]) as primary:
            assert leader.get(reverse("dispatch:overview")).json()["reported"] == 1
        assert Reads._cases(primary) > 0
        assert replica_module._replica_down_until > time.monotonic()  # not tried again at once
    finally:
        replica.close()
        monkeypatch.undo()
        replica_module._replica_down_until = 0.0


def _figure(body: str, name: str) -> float:
    line = next(line for line in body.splitlines() if line.startswith(name + " "))
    return float(line.split()[1])


def test_metrics_report_the_replica_and_its_lag(settings, replica_admin):
    settings.METRICS_TOKEN = "t" * 32
    scraper = Client(HTTP_AUTHORIZATION="Bearer " + "t" * 32)
    wait_for_replica()
    body = scraper.get("/metrics").content.decode()
    assert _figure(body, "wangge_replica_up") == 1
    # Other databases of the same server write WAL too: the lag is small, not always 0.
    assert 0 <= _figure(body, "wangge_replica_lag_bytes") < 64 * 1024 * 1024
    replica_admin.execute("SELECT pg_wal_replay_pause()")
    for _ in range(100):
        state = replica_admin.execute("SELECT pg_get_wal_replay_pause_state()").fetchone()[0]
        if state == "paused":
            break
        time.sleep(0.05)
    with connections["default"].cursor() as cursor:  # WAL the paused replica cannot replay
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        before = cursor.fetchone()[0]
        cursor.execute("CREATE TABLE metrics_lag_probe AS SELECT generate_series(1, 5000) AS n")
        cursor.execute("DROP TABLE metrics_lag_probe")
        cursor.execute("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s::pg_lsn)", [before])
        written = float(cursor.fetchone()[0])
    time.sleep(1.1)
    body = scraper.get("/metrics").content.decode()
    assert _figure(body, "wangge_replica_lag_bytes") >= written > 0
    assert _figure(body, "wangge_replica_lag_seconds") > 0

"""A real streaming replica (`make test-replica` starts one with .ci/pg_replica.sh)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import psycopg
import pytest
from django.conf import settings
from django.db import connections

from tests.cases.conftest import world  # noqa: F401 - the fixture, shared

# Without DATABASE_REPLICA_URL (the ordinary suite) these tests are not collected at all.
collect_ignore_glob = [] if "replica" in settings.DATABASES else ["test_*.py"]


def wait_for_replica(timeout: float = 20.0) -> None:
    """Until the replica has replayed everything the primary has written so far."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        lsn = cursor.fetchone()[0]
    deadline = time.monotonic() + timeout
    while True:
        with connections["replica"].cursor() as cursor:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn])
            if cursor.fetchone()[0]:
                return
        if time.monotonic() > deadline:
            raise AssertionError(f"the replica has not replayed {lsn} in {timeout} s")
        time.sleep(0.05)


@pytest.fixture
def replica_admin() -> Iterator[psycopg.Connection]:
    """A superuser session on the replica (to pause and resume its replay)."""
    replica = settings.DATABASES["replica"]
    with psycopg.connect(
        host=replica["HOST"] or "127.0.0.1",
        port=int(replica["PORT"] or 5432),
        user="postgres",
        dbname="postgres",
        autocommit=True,
    ) as conn:
        yield conn
        conn.execute("SELECT pg_wal_replay_resume()")  # whatever the test left

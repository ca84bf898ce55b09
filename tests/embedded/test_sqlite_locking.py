"""Issue 14: on the embedded default, concurrent writers queue; none gets "database is locked".

A transaction that reads and then writes (the version-guarded UPDATE of case_transition) used
to start as a reader; when another connection was writing, SQLite could not upgrade it and
failed at once ("database is locked", an HTTP 500), whatever the busy timeout. With
"transaction_mode": "IMMEDIATE" every transaction takes the write lock first and waits for it.

Real processes on a real database file, as web, worker and beat are on `make run`.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from cases.models import Case, Status
from grids.models import Role
from tests.cases import conftest as cases_conftest

world = cases_conftest.world

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.slow,
    pytest.mark.skipif(
        connection.vendor != "sqlite", reason="the embedded default's SQLite locking"
    ),
]

PROCESSES = 4
CASES_PER_PROCESS = 15
BASE_DIR = Path(settings.BASE_DIR)


def test_settings_take_the_write_lock_first():
    options = settings.DATABASES["default"]["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] >= 10


def _copy_test_database(target: Path) -> None:
    """The in-memory test database (migrated, with the world committed) as a file."""
    connection.ensure_connection()
    destination = sqlite3.connect(target)
    try:
        connection.connection.backup(destination)
    finally:
        destination.close()


def test_concurrent_transitions_on_spatialite_never_fail_with_database_is_locked(world, tmp_path):
    cases = [world.report() for _ in range(PROCESSES * CASES_PER_PROCESS)]
    assert {c.status for c in cases} == {Status.REPORTED}
    database = tmp_path / "wangge.sqlite3"
    _copy_test_database(database)

    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "DATABASE_TEST_TEMPLATE", "CELERY_BROKER_URL", "CACHE_URL"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=f"spatialite:///{database}",
        NOTIFICATION_KICK_ON_COMMIT="0",  # no task messages on this worktree's broker
        LOG_LEVEL="ERROR",
    )
    chunks = [cases[i * CASES_PER_PROCESS : (i + 1) * CASES_PER_PROCESS] for i in range(PROCESSES)]
    intake = world.users[Role.INTAKE_OPERATOR].username
    procs = [
        subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "tests.embedded.sqlite_writer",
                intake,
                "register",
                *[str(c.pk) for c in chunk],
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for chunk in chunks
    ]
    outcomes = []
    deadline = time.monotonic() + 300
    for proc in procs:
        out, err = proc.communicate(timeout=max(1, deadline - time.monotonic()))
        assert proc.returncode == 0, err[-3000:]
        outcomes.append(json.loads(out.strip().splitlines()[-1]))

    assert [o["locked"] for o in outcomes] == [0] * PROCESSES, outcomes
    assert [o["other"] for o in outcomes] == [[]] * PROCESSES, outcomes
    assert sum(o["ok"] for o in outcomes) == PROCESSES * CASES_PER_PROCESS, outcomes
    with sqlite3.connect(database) as db:
        (registered,) = db.execute(
            "SELECT count(*) FROM cases_case WHERE status = ?", [Status.REGISTERED.value]
        ).fetchone()
    assert registered == PROCESSES * CASES_PER_PROCESS
    assert Case.objects.count() == PROCESSES * CASES_PER_PROCESS

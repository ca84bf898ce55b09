"""`make run`'s stack survives its worker: kill -9 of the Celery worker leaves the web server
serving, and the worker comes back (issue 14; config/respawn.py in the Procfile).

The real Procfile under honcho, on a copy of the migrated test database (SpatiaLite) and a
broker folder of the test's own.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

BASE_DIR = Path(settings.BASE_DIR)
BIN = Path(sys.executable).parent

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "sqlite", reason="the embedded stack (SpatiaLite)"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def processes() -> dict[int, tuple[int, str]]:
    """pid → (parent pid, command line) of every process we can read."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        found[int(entry.name)] = (ppid, cmdline)
    return found


def descendants(root: int) -> dict[int, str]:
    table = processes()
    out: dict[int, str] = {}
    frontier = [root]
    while frontier:
        parent = frontier.pop()
        for pid, (ppid, cmdline) in table.items():
            if ppid == parent and pid not in out:
                out[pid] = cmdline
                frontier.append(pid)
    return out


def worker_pid(honcho: int) -> int | None:
    """The Celery worker's main process: the celery command whose parent is the respawn
    wrapper (not the wrapper, whose own command line names celery too, nor the pool)."""
    table = processes()
    for pid, cmdline in descendants(honcho).items():
        parent_cmd = table.get(table.get(pid, (0, ""))[0], (0, ""))[1]
        if (
            "celery -A config worker" in cmdline
            and "config.respawn" not in cmdline
            and "config.respawn" in parent_cmd
        ):
            return pid
    return None


def healthz(port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def stack(tmp_path) -> Iterator[tuple[subprocess.Popen, int, Path]]:
    database = tmp_path / "wangge.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(database)
    connection.connection.backup(target)
    target.close()
    port = free_port()
    log = tmp_path / "honcho.log"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "DATABASE_TEST_TEMPLATE", "CELERY_BROKER_URL", "CACHE_URL"}
    }
    env.update(
        PATH=f"{BIN}:{env.get('PATH', '')}",
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=f"spatialite:///{database}",
        CELERY_FILESYSTEM_DIR=str(tmp_path / "celery"),
        CELERY_BEAT_SCHEDULE_FILE=str(tmp_path / "celerybeat-schedule"),
        WEB_CONCURRENCY="1",
        CELERY_CONCURRENCY="1",
        DEBUG="1",
        PYTHONUNBUFFERED="1",
    )
    with log.open("wb") as out:
        honcho = subprocess.Popen(  # noqa: S603
            [str(BIN / "honcho"), "start", "-f", "Procfile", "-p", str(port)],
            cwd=BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    groups: set[int] = set()
    try:
        yield honcho, port, log
    finally:
        groups = {os.getpgid(pid) for pid in descendants(honcho.pid) if _alive(pid)}
        honcho.send_signal(signal.SIGINT)
        try:
            honcho.wait(timeout=30)
        except subprocess.TimeoutExpired:
            honcho.kill()
        for group in groups:  # whatever a killed worker's pool left behind
            with contextlib.suppress(OSError):
                os.killpg(group, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        os.getpgid(pid)
    except OSError:
        return False
    return True


def test_kill_9_of_the_worker_leaves_web_serving_and_the_worker_comes_back(stack):
    honcho, port, log = stack
    wait_for(lambda: healthz(port) == 200, 90, "the web server")
    wait_for(lambda: log.read_text(errors="replace").count(" ready.") >= 1, 90, "the worker")
    first = wait_for(lambda: worker_pid(honcho.pid), 30, "the worker's pid")

    os.kill(first, signal.SIGKILL)

    # The web server keeps serving while the worker is gone and while it starts again.
    answers = []
    for _ in range(10):
        answers.append(healthz(port))
        time.sleep(0.5)
    assert answers == [200] * 10, log.read_text(errors="replace")[-3000:]
    assert not _alive(first)
    assert honcho.poll() is None, "honcho stopped the stack"

    second = wait_for(
        lambda: (pid := worker_pid(honcho.pid)) and pid != first and pid, 60, "a new worker"
    )
    wait_for(
        lambda: log.read_text(errors="replace").count(" ready.") >= 2, 90, "the new worker ready"
    )
    assert second != first
    assert healthz(port) == 200
    assert "respawn: celery exited with -9" in log.read_text(errors="replace")

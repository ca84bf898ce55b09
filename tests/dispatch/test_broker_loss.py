"""Broker and worker loss: a real Celery worker and beat on a Redis of the test's own.

ARCHITECTURE.md promises that losing the broker or the worker delays a warning by one sweep
interval and never loses one. This test takes both away, lets deadlines pass while they are
gone, brings them back (an empty Redis: whatever was queued is lost with it) and checks that
every card, every supervision and every notification arrives, each exactly once.

It needs PostgreSQL (the worker is another process, so it must see the test database) and a
`redis-server` binary; CI has both.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from cases.models import Case, LimitUnit, Outbox, Supervision
from dispatch.models import (
    DeadlineAlert,
    InboxMessage,
    NotificationDelivery,
    SweepSettings,
)
from tests.cases import conftest as cases_conftest
from tests.cases.conftest import put_in_state

world = cases_conftest.world

REDIS_SERVER = shutil.which("redis-server")
CELERY = Path(sys.executable).with_name("celery")
ROOT = Path(settings.BASE_DIR)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the worker is another process: it needs a database server to share",
    ),
    pytest.mark.skipif(REDIS_SERVER is None, reason="needs the redis-server binary"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Services:
    """A private redis-server, and a Celery worker and beat pointed at it and the test DB."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.redis: subprocess.Popen[bytes] | None = None
        self.worker: subprocess.Popen[bytes] | None = None
        self.beat: subprocess.Popen[bytes] | None = None
        db = connection.settings_dict
        auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings_test",
            "DATABASE_URL": f"postgis://{auth}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{self.port}/0",
            "DEADLINE_SWEEP_SECONDS": "1",
            "NOTIFICATION_SWEEP_SECONDS": "1",
            "NOTIFICATION_BACKENDS": ",".join(
                [
                    "dispatch.notifications.InboxBackend",
                    "dispatch.notifications.LoggingSmsBackend",
                ]
            ),
            "SECRET_KEY": os.environ.get("SECRET_KEY", "test-only"),
        }
        self.env.pop("DATABASE_TEST_TEMPLATE", None)
        self.generation = 0

    def _log(self, name: str) -> int:
        return os.open(
            self.workdir / f"{name}-{self.generation}.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND
        )

    def start_redis(self) -> None:
        self.redis = subprocess.Popen(  # noqa: S603 - fixed arguments
            [
                str(REDIS_SERVER),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=self._log("redis"),
            stderr=subprocess.STDOUT,
        )
        wait_for(self._redis_answers, 10, "redis-server to answer")

    def _redis_answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start_celery(self) -> None:
        self.generation += 1
        common = [str(CELERY), "-A", "config"]
        self.worker = subprocess.Popen(  # noqa: S603 - fixed arguments
            [
                *common,
                "worker",
                "--pool",
                "solo",
                "--without-mingle",
                "--without-gossip",
                "--loglevel",
                "INFO",
                "-n",
                f"broker-loss-{self.port}@%h",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self._log("worker"),
            stderr=subprocess.STDOUT,
        )
        self.beat = subprocess.Popen(  # noqa: S603 - fixed arguments
            [
                *common,
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                str(self.workdir / f"beat-schedule-{self.generation}"),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self._log("beat"),
            stderr=subprocess.STDOUT,
        )

    def kill_celery(self) -> None:
        # SIGKILL: a worker that dies, not one that shuts down politely.
        for proc in (self.worker, self.beat):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait(10)

    def kill_redis(self) -> None:
        if self.redis is not None and self.redis.poll() is None:
            self.redis.send_signal(signal.SIGKILL)
            self.redis.wait(10)

    def stop_all(self) -> None:
        self.kill_celery()
        self.kill_redis()

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
            for path in sorted(self.workdir.glob("*.log"))
        )


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    running = Services(tmp_path)
    try:
        yield running
    finally:
        running.stop_all()


def due_in(case: Case, warn_seconds: float, due_seconds: float) -> Case:
    """Give the running stage a clock that warns and runs out a few seconds from now."""
    now = timezone.now()
    return put_in_state(
        case,
        case.status,
        stage_started_at=now,
        stage_warn_at=now + dt.timedelta(seconds=warn_seconds),
        stage_due_at=now + dt.timedelta(seconds=due_seconds),
    )


def settled(case: Case) -> bool:
    """Both cards issued, the supervision recorded and every notification delivered."""
    return (
        DeadlineAlert.objects.filter(case=case).count() == 2
        and Supervision.objects.filter(case=case).exists()
        and Outbox.objects.filter(case=case, topic__startswith="case.").exists()
        and not Outbox.objects.filter(case=case).exclude(state=Outbox.State.SENT).exists()
    )


def assert_once_each(case: Case) -> None:
    assert DeadlineAlert.objects.filter(case=case, kind=DeadlineAlert.Kind.YELLOW).count() == 1
    assert DeadlineAlert.objects.filter(case=case, kind=DeadlineAlert.Kind.RED).count() == 1
    assert Supervision.objects.filter(case=case).count() == 1
    cards = list(
        Outbox.objects.filter(case=case, event__isnull=True).values_list("topic", flat=True)
    )
    assert sorted(cards) == ["case.overdue", "case.warning"]
    # The supervision's notice belongs to its event, written once.
    assert Outbox.objects.filter(case=case, topic="case.supervise").count() == 1
    # One inbox message per recorded delivery: a redelivered task must not repeat one.
    inbox = NotificationDelivery.objects.filter(outbox__case=case, channel="inbox")
    assert InboxMessage.objects.filter(case_id=case.pk).count() == inbox.count() > 0


def test_no_warning_is_lost_when_the_broker_and_the_worker_go_down(world, services):
    # Escalate as soon as a case is overdue, so that every step fits in a few seconds.
    SweepSettings.objects.update_or_create(
        pk=SweepSettings.SINGLETON_ID,
        defaults={"grace_value": Decimal("0"), "grace_unit": LimitUnit.NATURAL_HOURS},
    )
    before, during = world.report(), [world.report(), world.report()]
    try:
        # 1. Everything up: the beat's sweep warns, escalates and the worker delivers.
        services.start_redis()
        services.start_celery()
        before = due_in(before, 1, 2)
        wait_for(lambda: settled(before), 60, "the first case to be warned and escalated")

        # 2. The worker dies and the broker goes with everything queued on it.
        services.kill_celery()
        services.kill_redis()
        during = [due_in(case, 0.5, 1) for case in during]
        time.sleep(3)  # every deadline of the second batch passes while nothing runs
        assert not DeadlineAlert.objects.filter(case__in=during).exists()

        # 3. An empty Redis and a fresh worker and beat: the next sweep catches up.
        services.start_redis()
        services.start_celery()
        for case in during:
            wait_for(lambda c=case: settled(c), 60, f"case {case.pk} after recovery")
        time.sleep(3)  # a few more sweeps must not issue anything twice
    except AssertionError:
        print(services.logs())  # shown by pytest on failure
        raise

    for case in [before, *during]:
        assert_once_each(case)

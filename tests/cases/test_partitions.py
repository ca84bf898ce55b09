"""Monthly partitions of the case events and evaluation facts (issue 17 §4, cases.partitions).

PostgreSQL: the tables are partitioned by the migrations; a request id stays unique across
months; a month-bounded query reads one partition; rows that waited in DEFAULT move into their
month; the append-only guard holds on every partition; the migration keeps every row, both
ways. SQLite/SpatiaLite: nothing is partitioned and every operation says so.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from cases.models import Case, CaseEvent, Status
from cases.partitions import (
    EVENT_KEY_TABLE,
    add_months,
    default_name,
    ensure_partitions,
    is_partitioned,
    list_partitions,
    month_of,
    partition_name,
)
from cases.services import ReportInput, case_report_result
from cases.tasks import ensure_partitions_task
from dispatch.models import EvaluationFact, Group
from grids.models import Role
from tests.cases.conftest import POINT_IN_GRID, World

pytestmark = pytest.mark.django_db

EVENTS = "cases_caseevent"
FACTS = "dispatch_evaluationfact"
TZ = ZoneInfo("Asia/Shanghai")
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="partitions are PostgreSQL's"
)


def event_like(case: Case, *, request_id: str, at: datetime) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        request_id=request_id,
        action="register",
        created_at=at,
        from_status=Status.REPORTED,
        to_status=Status.REGISTERED,
        version=99,
    )


def partition_of(request_id: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT tableoid::regclass::text FROM {EVENTS} WHERE request_id = %s",  # noqa: S608
            [request_id],
        )
        return cursor.fetchone()[0]


def long_ago() -> datetime:
    """Mid-month, 30 months back or earlier: a month (and the month after it) that has no
    partition yet in either table (a transactional test before may have made some)."""
    existing = {p.name for table in (EVENTS, FACTS) for p in list_partitions(table)}
    month = add_months(month_of(timezone.now()), -30)
    while any(
        partition_name(table, m) in existing
        for table in (EVENTS, FACTS)
        for m in (month, add_months(month, 1))
    ):
        month = add_months(month, -2)
    return datetime(month.year, month.month, 15, 10, 0, tzinfo=TZ)


# --- both backends ----------------------------------------------------------------------------


@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite's side")
def test_on_sqlite_nothing_is_partitioned_and_ensure_does_nothing(world: World):
    assert not is_partitioned(EVENTS)
    assert list_partitions(EVENTS) == []
    assert ensure_partitions(EVENTS, date(2020, 1, 1), date(2030, 1, 1)) == []
    out = _call("--ensure", "--list")
    assert out == "Not partitioned (sqlite): nothing to do.\n"


def test_the_command_without_an_action_fails_in_one_line_with_a_non_zero_exit():
    manage = Path(__file__).resolve().parents[2] / "manage.py"
    done = subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, str(manage), "partitions"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == ["CommandError: Give --ensure, --list or both."]


def test_a_retry_a_month_later_answers_with_the_first_result(world: World):
    first_time = timezone.now() - timedelta(days=62)
    data = ReportInput(
        source="inspector",
        item_id=world.item.pk,
        description="路边暴露垃圾一堆",
        point=POINT_IN_GRID,
        address="辽宁路1号",
    )
    inspector = world.users[Role.INSPECTOR]
    first = case_report_result(actor=inspector, data=data, request_id="late-1", now=first_time)
    again = case_report_result(actor=inspector, data=data, request_id="late-1")
    assert first.created
    assert not again.created
    assert again.case.pk == first.case.pk
    assert CaseEvent.objects.filter(request_id="late-1").count() == 1


def test_the_daily_task_keeps_the_months_ahead_ready(world: World):
    created = ensure_partitions_task()
    assert set(created) == {EVENTS, FACTS}
    ahead = partition_name(EVENTS, add_months(month_of(timezone.now()), 3))
    assert all(names == [] for names in created.values())  # the migration made them
    assert (ahead in [p.name for p in list_partitions(EVENTS)]) == is_partitioned(EVENTS)


def _call(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("partitions", *args, stdout=out)
    return out.getvalue()


# --- PostgreSQL -------------------------------------------------------------------------------


@pytest.mark.postgis
@on_postgresql
def test_both_tables_are_partitioned_by_month_with_a_default(world: World):
    this_month = month_of(timezone.now())
    for table in (EVENTS, FACTS):
        names = [p.name for p in list_partitions(table)]
        assert is_partitioned(table)
        assert partition_name(table, this_month) in names
        assert partition_name(table, add_months(this_month, 3)) in names
        assert names[-1] == default_name(table)


@pytest.mark.postgis
@on_postgresql
def test_a_request_id_used_in_another_month_is_refused_by_the_database(world: World):
    case = world.report()
    used = case.events.get().request_id
    with pytest.raises(IntegrityError), transaction.atomic():
        event_like(case, request_id=used, at=timezone.now() - timedelta(days=95))
    with pytest.raises(IntegrityError), transaction.atomic():
        event_like(case, request_id=used, at=long_ago())  # into DEFAULT
    assert CaseEvent.objects.filter(request_id=used).count() == 1


@pytest.mark.postgis
@on_postgresql
def test_a_month_bounded_query_reads_only_that_months_partition(world: World):
    world.report()
    month = month_of(timezone.now())
    start = datetime(month.year, month.month, 1, tzinfo=TZ)
    end = datetime(*add_months(month, 1).timetuple()[:3], tzinfo=TZ)
    plan = CaseEvent.objects.filter(created_at__gte=start, created_at__lt=end).explain()
    read = {name for name in (p.name for p in list_partitions(EVENTS)) if name in plan}
    assert read == {partition_name(EVENTS, month)}, plan


@pytest.mark.postgis
@on_postgresql
def test_rows_waiting_in_default_move_into_their_new_month(world: World):
    case = world.report()
    at = long_ago()
    event_like(case, request_id="stray-1", at=at)
    event_like(case, request_id="stray-2", at=at + timedelta(days=40))  # the month after
    EvaluationFact.objects.create(
        case=case, day=at.date(), metric="m", group=Group.UNIT, subject="1", hit=True
    )
    assert partition_of("stray-1") == default_name(EVENTS)
    total = CaseEvent.objects.count()

    out = _call("--ensure", "--from", f"{at:%Y-%m}", "--to", f"{at:%Y-%m}")

    month = partition_name(EVENTS, month_of(at))
    assert f"{EVENTS}: created {month}" in out
    assert partition_name(FACTS, month_of(at)) in out
    assert partition_of("stray-1") == month
    assert partition_of("stray-2") == default_name(EVENTS)  # not its month: stays
    assert CaseEvent.objects.count() == total
    assert EvaluationFact.objects.get().day == at.date()
    # The moved row keeps its key, and its triggers came with the new partition.
    with pytest.raises(IntegrityError), transaction.atomic():
        event_like(case, request_id="stray-1", at=timezone.now())
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {month}")  # noqa: S608 - a partition's name
    assert "up to date" in _call("--ensure", "--from", f"{at:%Y-%m}", "--to", f"{at:%Y-%m}")


@pytest.mark.postgis
@on_postgresql
def test_every_partition_refuses_update_and_delete(world: World):
    world.report()
    partition = partition_name(EVENTS, month_of(timezone.now()))
    for sql in (
        f"UPDATE {partition} SET note = 'edited'",  # noqa: S608 - a partition's name
        f"DELETE FROM {partition}",  # noqa: S608
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    assert CaseEvent.objects.count() == 1


@pytest.mark.postgis
@on_postgresql
def test_the_list_shows_each_partition_with_its_estimate(world: World):
    out = _call("--list")
    assert f"{EVENTS}: " in out
    assert f"{FACTS}: " in out
    assert f"  {default_name(EVENTS)}  DEFAULT  " in out


@pytest.mark.postgis
@on_postgresql
def test_a_failing_ensure_is_one_line_and_a_non_zero_exit(world: World):
    with pytest.raises(CommandError, match=r"^--to is before --from\.$"):
        _call("--ensure", "--from", "2026-05", "--to", "2026-04")
    with pytest.raises(CommandError, match=r"^Partitions not ensured: "):
        _call("--ensure", "--months-ahead", "-1")


# --- the migration ----------------------------------------------------------------------------

BEFORE = [
    ("cases", "0014_case_event_without_db_constraint"),
    ("dispatch", "0008_saved_queue_views"),
]


def _rows(table: str, columns: str) -> list[tuple[object, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {table} ORDER BY id")  # noqa: S608 - constants
        return cursor.fetchall()


def _migrate(targets: list[tuple[str, str]] | None = None) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())


@pytest.mark.postgis
@pytest.mark.slow
@on_postgresql
def test_the_migration_keeps_every_row_both_ways(transactional_db, world: World):
    case = world.report()
    try:
        _migrate(BEFORE)
        assert not is_partitioned(EVENTS)
        assert not is_partitioned(FACTS)
        # History across several months, written to the plain tables.
        now = timezone.now()
        for n in range(8):
            at = now - timedelta(days=45 * n + 1)
            event_like(case, request_id=f"hist-{n}", at=at)
            EvaluationFact.objects.create(
                case=case, day=at.date(), metric="m", group=Group.UNIT, subject="1", hit=n % 2
            )
        events = _rows(EVENTS, "id, request_id, created_at, case_id, action, data, point")
        facts = _rows(FACTS, "id, day, metric, hit, case_id")

        _migrate()

        assert is_partitioned(EVENTS)
        assert is_partitioned(FACTS)
        assert _rows(EVENTS, "id, request_id, created_at, case_id, action, data, point") == events
        assert _rows(FACTS, "id, day, metric, hit, case_id") == facts
        oldest = month_of(min(row[2] for row in events))
        assert partition_of("hist-7") == partition_name(EVENTS, oldest)
        assert len(_rows(EVENT_KEY_TABLE, "event_id AS id")) == len(events)
        # The sequence continues; a used request id is still refused, in any month.
        newer = event_like(case, request_id="after-1", at=timezone.now())
        assert newer.pk > max(row[0] for row in events)
        with pytest.raises(IntegrityError), transaction.atomic():
            event_like(case, request_id="hist-7", at=timezone.now())

        _migrate(BEFORE)  # and back: a plain table with its unique request id
        assert not is_partitioned(EVENTS)
        assert len(_rows(EVENTS, "id")) == len(events) + 1
        with pytest.raises(IntegrityError), transaction.atomic():
            event_like(case, request_id="hist-3", at=timezone.now())
    finally:
        _migrate()
    assert is_partitioned(EVENTS)

"""Generators and imports leave the planner statistics of the tables they filled (issue 17 §3).

Without them PostgreSQL takes a table that grew from nothing for empty until autovacuum gets to
it, and nearest-5 ran on a bitmap scan and a sort instead of the KNN index.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection

from grids.models import EmergencyResource

pytestmark = pytest.mark.django_db


def _reltuples(table: str) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
        return cursor.fetchone()[0]


def _stats_columns(table: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname FROM pg_stats WHERE schemaname = current_schema() AND tablename = %s",
            [table],
        )
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_stats is PostgreSQL's")
def test_generate_resources_leaves_statistics_of_its_table(district):
    table = EmergencyResource._meta.db_table
    assert _reltuples(table) != 300  # never analysed (-1), or analysed empty (0)
    call_command("generate_resources", count=300, seed=7, verbosity=0)
    assert EmergencyResource.objects.count() == 300
    # ANALYZE of a small table reads every row: the planner's row count is exact, and every
    # column (the point the KNN index orders by among them) has its histogram.
    assert _reltuples(table) == 300
    assert {"point", "kind", "region_id", "code"} <= _stats_columns(table)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="sqlite_stat1 is SQLite's")
def test_on_sqlite_the_generator_analyses_the_file(district):
    call_command("generate_resources", count=50, seed=7, verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = %s", ["grids_region"])
        assert cursor.fetchone()[0] > 0

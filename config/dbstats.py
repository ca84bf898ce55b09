"""Planner statistics after bulk writes: every generator and import ends with `analyze(...)`.

A table that grew from nothing in one go keeps the statistics of an empty table until
autovacuum gets round to it, which on a busy or freshly loaded database can take many minutes
(issue 17: `generate_resources` left nearest-5 on a bitmap scan and a sort instead of the KNN
index for over half an hour). ANALYZE of the tables just filled costs a second or two at most,
even on millions of rows (it reads a sample), so every bulk writer pays it at the end.

PostgreSQL: ANALYZE of each named table. ANALYZE may run inside a transaction; it then sees
the rows the transaction wrote. SQLite/SpatiaLite: one plain ANALYZE of the whole file, because
the spatial indexes are separate R*Tree tables whose statistics the planner needs as much
(without them SQLite reads a level or kind index instead of the R*Tree).
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model


def _table(model_or_table: type[Model] | str) -> str:
    if isinstance(model_or_table, str):
        return model_or_table
    return model_or_table._meta.db_table


def analyze(*tables: type[Model] | str, using: str = DEFAULT_DB_ALIAS) -> None:
    """Fresh planner statistics for these models' (or table names') tables."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for name in dict.fromkeys(_table(table) for table in tables):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(name)}")
        else:
            cursor.execute("ANALYZE")

"""Append-only tables, enforced by the database.

On SQLite, Django applies many schema changes by rebuilding the table, which drops its
triggers; so the SQLite guards are (re)created after every migrate, idempotently. On
PostgreSQL the migrations create them once (ALTER TABLE keeps triggers).
"""

from __future__ import annotations

from typing import Any

from django.db import connections

# Tables whose rows may be added, never changed.
APPEND_ONLY_TABLES = ("cases_caseevent", "cases_contactaccesslog")


def ensure_sqlite_append_only(using: str = "default") -> None:
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    existing = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for table in APPEND_ONLY_TABLES:
            if table not in existing:
                continue
            # UPDATE only: Django's test flush empties tables with DELETE on SQLite.
            cursor.execute(
                f"CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only (UPDATE refused)'); END;"
            )


def ensure_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    ensure_sqlite_append_only(using)

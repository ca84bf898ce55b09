"""Append-only tables, enforced by the database.

A migration makes a table append-only with `append_only_operation` (PostgreSQL: UPDATE and
DELETE refused by a row trigger; SQLite: UPDATE refused, since Django's test flush empties
tables with DELETE there). On SQLite, Django applies many schema changes by rebuilding the
table, which drops its triggers; so the SQLite guards of every registered table are
(re)created after every migrate, idempotently. On PostgreSQL the migration's trigger stays
(ALTER TABLE keeps triggers). Apps above cases register their tables in AppConfig.ready.
"""

from __future__ import annotations

from typing import Any

from django.db import connections, migrations

# Table → what the refusal calls its rows ("case events are", "the … log is").
APPEND_ONLY: dict[str, str] = {
    "cases_caseevent": "case events are",
    "cases_contactaccesslog": "the contact access log is",
}


def register_append_only(table: str, subject: str) -> None:
    APPEND_ONLY[table] = subject


def _sqlite_guard(table: str, subject: str) -> str:
    return (
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{subject} append-only (UPDATE refused)'); END;"
    )


def _postgresql_guard(table: str, subject: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{subject} append-only (% refused)', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER {table}_append_only
    BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION {table}_append_only();
"""


def _execute(connection: Any, sql: str) -> None:
    # A plain cursor without parameters: the PL/pgSQL body has a '%' that interpolation
    # would eat.
    with connection.cursor() as cursor:
        cursor.execute(sql)


def append_only_operation(table: str, subject: str) -> migrations.RunPython:
    """The migration step that makes `table` append-only (and, backwards, lifts it)."""

    def forward(apps: Any, schema_editor: Any) -> None:
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            _execute(schema_editor.connection, _postgresql_guard(table, subject))
        elif vendor == "sqlite":
            _execute(schema_editor.connection, _sqlite_guard(table, subject))

    def backward(apps: Any, schema_editor: Any) -> None:
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            _execute(
                schema_editor.connection,
                f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};"
                f"DROP FUNCTION IF EXISTS {table}_append_only();",
            )
        elif vendor == "sqlite":
            _execute(schema_editor.connection, f"DROP TRIGGER IF EXISTS {table}_no_update;")

    return migrations.RunPython(forward, backward)


def ensure_sqlite_append_only(using: str = "default") -> None:
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    existing = set(connection.introspection.table_names())
    for table, subject in APPEND_ONLY.items():
        if table in existing:
            _execute(connection, _sqlite_guard(table, subject))


def ensure_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    ensure_sqlite_append_only(using)

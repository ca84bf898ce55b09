"""cases_caseevent becomes partitioned by month on PostgreSQL (issue 17 §4, cases.partitions).

One transaction: the table is locked, renamed, and a partitioned table with the same columns,
defaults and constraints takes its name; month partitions cover its rows' months and the
months ahead, plus DEFAULT; the rows are copied, the identity sequence continues, the indexes,
foreign keys and the append-only guard are recreated, the request-id key table is filled, the
old table is dropped and the new one analysed. Writers wait for it (ACCESS EXCLUSIVE); see
docs/operations.md for its duration per million events.

Reversible: backwards the table is a plain one again, with its unique request id.
SQLite/SpatiaLite: nothing (the table stays as it is).
"""

from typing import Any

from django.db import migrations


def forward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    from cases.partitions import partition_case_events

    partition_case_events(schema_editor.connection)


def backward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    from cases.partitions import unpartition_case_events

    unpartition_case_events(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("cases", "0014_case_event_without_db_constraint")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]

"""dispatch_evaluationfact becomes partitioned by month of `day` on PostgreSQL (issue 17 §4,
cases.partitions), in one transaction, every row kept; nothing references it. Reversible.
SQLite/SpatiaLite: nothing."""

from typing import Any

from django.db import migrations

TABLE = "dispatch_evaluationfact"


def forward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    from cases.partitions import Partitioned, partition_existing_table

    spec = Partitioned(TABLE, "day", timestamp=False)
    partition_existing_table(schema_editor.connection, spec, unique_to_plain={})


def backward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    from cases.partitions import Partitioned, unpartition_table

    spec = Partitioned(TABLE, "day", timestamp=False)
    unpartition_table(schema_editor.connection, spec, plain_to_unique={})


class Migration(migrations.Migration):
    dependencies = [("dispatch", "0008_saved_queue_views")]
    # The command centre's earlier migrations built foreign keys to cases_caseevent (the
    # supervisions that moved to cases in 0006): on a fresh database they must all run before
    # cases 0015 partitions the events. Declared here because dispatch sits above cases.
    run_before = [("cases", "0015_partition_case_events")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]

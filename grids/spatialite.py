"""Keep SpatiaLite's spatial indexes alive across Django migrations.

On SQLite, Django applies many schema changes (adding a constraint, altering a field) by
rebuilding the table. For a SpatiaLite geometry column that rebuild leaves the R*Tree index
disabled in `geometry_columns` and drops the index-maintenance triggers, so spatial queries
silently scan the table and new rows never reach the index. After every migrate we re-check
each indexed geometry column and rebuild what the rebuild broke.
"""

from __future__ import annotations

import logging
from typing import Any

from django.apps import apps
from django.contrib.gis.db.models import GeometryField
from django.db import connections

logger = logging.getLogger(__name__)


def repair_spatial_indexes(using: str = "default") -> list[str]:
    """Re-enable and rebuild disabled SpatiaLite spatial indexes; returns what was repaired."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return []
    repaired: list[str] = []
    existing_tables = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for model in apps.get_models():
            table = model._meta.db_table
            if table not in existing_tables:
                continue
            for field in model._meta.local_fields:
                if not isinstance(field, GeometryField) or not field.spatial_index:
                    continue
                column = field.column
                cursor.execute(
                    "SELECT spatial_index_enabled FROM geometry_columns WHERE "
                    "lower(f_table_name) = lower(%s) AND lower(f_geometry_column) = lower(%s)",
                    [table, column],
                )
                row = cursor.fetchone()
                cursor.execute(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
                    "AND tbl_name = %s AND name = %s",
                    [table, f"gii_{table}_{column}"],
                )
                has_trigger = cursor.fetchone()[0] == 1
                if row is not None and row[0] == 1 and has_trigger:
                    continue
                if row is None:
                    cursor.execute(
                        "SELECT RecoverGeometryColumn(%s, %s, %s, %s, %s)",
                        [table, column, field.srid, field.geom_type.upper(), "XY"],
                    )
                for suffix in ("", "_node", "_parent", "_rowid"):
                    cursor.execute(f'DROP TABLE IF EXISTS "idx_{table}_{column}{suffix}"')
                cursor.execute("SELECT CreateSpatialIndex(%s, %s)", [table, column])
                repaired.append(f"{table}.{column}")
    if repaired:
        logger.info("rebuilt SpatiaLite spatial indexes: %s", ", ".join(repaired))
    return repaired


def repair_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    repair_spatial_indexes(using)

"""Trigram indexes for finding places by partial text (citizens.search), on PostgreSQL.

pg_trgm is a trusted extension (PostgreSQL 13 and later): the database's owner, the role the
project migrates with, creates it here without a superuser. The indexes are on UPPER(column),
the expression Django's icontains compares, so `UPPER(address) LIKE UPPER('%延安二路83%')` is
answered from the index. SpatiaLite has no trigram index: the same LIKE scans its (small)
tables, with the same answers.
"""

from django.db import migrations

INDEXES = (
    ("building_address_trgm", "citizens_building", "address"),
    ("building_name_trgm", "citizens_building", "name"),
    ("parcel_name_trgm", "citizens_parcel", "name"),
    ("parcel_code_trgm", "citizens_parcel", "code"),
    ("organisation_name_trgm", "citizens_organisation", "name"),
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
            f"USING gin (UPPER({column}::text) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("citizens", "0003_population_figures")]

    operations = [migrations.RunPython(create, drop)]

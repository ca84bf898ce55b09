"""Case events are append-only, enforced by the database; default stage limits."""

from decimal import Decimal

from django.db import migrations

PG_FORWARD = """
CREATE OR REPLACE FUNCTION cases_caseevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'case events are append-only (% refused)', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER cases_caseevent_append_only
    BEFORE UPDATE OR DELETE ON cases_caseevent
    FOR EACH ROW EXECUTE FUNCTION cases_caseevent_append_only();
"""
PG_BACKWARD = """
DROP TRIGGER IF EXISTS cases_caseevent_append_only ON cases_caseevent;
DROP FUNCTION IF EXISTS cases_caseevent_append_only();
"""
# SQLite: UPDATE only. Django's test flush empties tables with DELETE on SQLite (TRUNCATE,
# which fires no row trigger, on PostgreSQL), and PROTECT on the case keeps rows anyway.
SQLITE_FORWARD = """
CREATE TRIGGER cases_caseevent_no_update BEFORE UPDATE ON cases_caseevent
BEGIN
    SELECT RAISE(ABORT, 'case events are append-only (UPDATE refused)');
END;
"""
SQLITE_BACKWARD = "DROP TRIGGER IF EXISTS cases_caseevent_no_update;"

# Local practice (DOMAIN.md §3): verification and check on site 30 minutes; command-centre
# stages one working hour each. Editable in the admin.
STAGE_LIMITS = [
    ("register", Decimal("1"), "working_hours"),
    ("verify", Decimal("0.5"), "natural_hours"),
    ("file", Decimal("1"), "working_hours"),
    ("dispatch", Decimal("1"), "working_hours"),
    ("send_check", Decimal("1"), "working_hours"),
    ("check", Decimal("0.5"), "natural_hours"),
    ("close", Decimal("1"), "working_hours"),
]


def _run(schema_editor, sql):
    # A plain cursor: the PL/pgSQL body has a '%' that parameter interpolation would eat.
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(sql)


def append_only(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, PG_FORWARD)
    elif vendor == "sqlite":
        _run(schema_editor, SQLITE_FORWARD)


def drop_append_only(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, PG_BACKWARD)
    elif vendor == "sqlite":
        _run(schema_editor, SQLITE_BACKWARD)


def stage_limits(apps, schema_editor):
    StageLimit = apps.get_model("cases", "StageLimit")
    for stage, value, unit in STAGE_LIMITS:
        StageLimit.objects.get_or_create(
            stage=stage, defaults={"limit_value": value, "limit_unit": unit}
        )


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [
        migrations.RunPython(append_only, drop_append_only),
        migrations.RunPython(stage_limits, migrations.RunPython.noop),
    ]

"""Case events are append-only, enforced by the database; default stage limits."""

from decimal import Decimal

from django.db import migrations

from cases.dbguards import append_only_operation

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


def stage_limits(apps, schema_editor):
    StageLimit = apps.get_model("cases", "StageLimit")
    for stage, value, unit in STAGE_LIMITS:
        StageLimit.objects.get_or_create(
            stage=stage, defaults={"limit_value": value, "limit_unit": unit}
        )


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [
        append_only_operation("cases_caseevent", "case events are"),
        migrations.RunPython(stage_limits, migrations.RunPython.noop),
    ]

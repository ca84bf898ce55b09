"""The sub-channel (the line or platform of the channel) becomes a column of the case, so the
queues can filter on it; cases reported before keep the one their report's event recorded."""

from typing import Any

from django.db import migrations, models


def backfill(apps: Any, schema_editor: Any) -> None:
    Case = apps.get_model("cases", "Case")
    CaseEvent = apps.get_model("cases", "CaseEvent")
    events = (
        CaseEvent.objects.filter(action__in=["report", "self_handle"], data__has_key="sub_channel")
        .values_list("case_id", "data")
        .order_by("pk")
    )
    by_name: dict[str, list[int]] = {}
    for case_id, data in events.iterator(chunk_size=2000):
        name = str((data or {}).get("sub_channel") or "").strip()[:50]
        if name:
            by_name.setdefault(name, []).append(case_id)
    for name, case_ids in by_name.items():
        for start in range(0, len(case_ids), 500):
            Case.objects.filter(pk__in=case_ids[start : start + 500]).update(sub_channel=name)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0012_agency_key_rate"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="sub_channel",
            field=models.CharField(
                blank=True, default="", max_length=50, verbose_name="sub-channel"
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]

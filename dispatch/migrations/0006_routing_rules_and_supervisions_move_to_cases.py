"""Routing rules and supervisions move down to cases (catalogue and workflow data).

cases/0008 created the new tables; here every row is copied across (routing rules keep their
ids, so events that name a rule still do), each red card is linked to the supervision it led
to, and only then are the command centre's old tables dropped. Reversible: the rows go back.
"""

import django.db.models.deletion
from django.core.management.color import no_style
from django.db import migrations, models


def _reset_sequences(schema_editor, *models_):
    connection = schema_editor.connection
    for sql in connection.ops.sequence_reset_sql(no_style(), list(models_)):
        schema_editor.execute(sql)


def forwards(apps, schema_editor):
    OldRule = apps.get_model("dispatch", "RoutingRule")
    NewRule = apps.get_model("cases", "RoutingRule")
    OldSupervision = apps.get_model("dispatch", "Supervision")
    NewSupervision = apps.get_model("cases", "Supervision")
    Alert = apps.get_model("dispatch", "DeadlineAlert")
    db = schema_editor.connection.alias

    NewRule.objects.using(db).bulk_create(
        [
            NewRule(
                id=rule.id,
                item_id=rule.item_id,
                region_id=rule.region_id,
                unit_id=rule.unit_id,
                auto_dispatch=rule.auto_dispatch,
                priority=rule.priority,
                is_active=rule.is_active,
            )
            for rule in OldRule.objects.using(db).order_by("pk")
        ],
        batch_size=1000,
    )
    _reset_sequences(schema_editor, NewRule)

    alerts = {alert.pk: alert for alert in Alert.objects.using(db).filter(kind="red")}
    old_rows = OldSupervision.objects.using(db).select_related("case").order_by("pk")
    for old in old_rows.iterator(chunk_size=1000):
        case, alert = old.case, alerts[old.alert_id]
        # The sweep supervised a stage clock: once the case left it (or closed), it is settled.
        open_statuses = {
            "reported", "verifying", "registered", "filed", "dispatched", "handling",
            "suspended", "handled", "checking", "check_passed",
        }  # fmt: skip
        still_running = (
            case.status in open_statuses and case.stage_started_at == alert.stage_started_at
        )
        new = NewSupervision.objects.using(db).create(
            case_id=old.case_id,
            kind="automatic",
            event=None,
            created_by=None,
            stage=old.stage,
            handling_unit_id=case.handling_unit_id,
            from_level=old.from_level,
            to_level=old.to_level,
            escalated=old.escalated,
            escalation_event_id=old.event_id,
            note=old.note,
            due_at=None,
            created_at=old.created_at,
            settled_at=None if still_running else max(old.created_at, case.updated_at),
        )
        Alert.objects.using(db).filter(pk=old.alert_id).update(supervision_id=new.pk)


def backwards(apps, schema_editor):
    OldRule = apps.get_model("dispatch", "RoutingRule")
    NewRule = apps.get_model("cases", "RoutingRule")
    OldSupervision = apps.get_model("dispatch", "Supervision")
    Alert = apps.get_model("dispatch", "DeadlineAlert")
    db = schema_editor.connection.alias

    OldRule.objects.using(db).bulk_create(
        [
            OldRule(
                id=rule.id,
                item_id=rule.item_id,
                region_id=rule.region_id,
                unit_id=rule.unit_id,
                auto_dispatch=rule.auto_dispatch,
                priority=rule.priority,
                is_active=rule.is_active,
            )
            for rule in NewRule.objects.using(db).order_by("pk")
        ],
        batch_size=1000,
    )
    _reset_sequences(schema_editor, OldRule)
    # The old table knew only the sweep's supervisions, one per red card.
    alerts = Alert.objects.using(db).filter(supervision__isnull=False).select_related("supervision")
    for alert in alerts.iterator(chunk_size=1000):
        new = alert.supervision
        OldSupervision.objects.using(db).create(
            case_id=new.case_id,
            alert_id=alert.pk,
            stage=new.stage,
            from_level=new.from_level,
            to_level=new.to_level,
            escalated=new.escalated,
            event_id=new.escalation_event_id,
            note=new.note,
            created_at=new.created_at,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0010_entry_levels_routing_joint_handling_supervision"),
        ("dispatch", "0005_push_subscriptions"),
    ]

    operations = [
        # The old link's reverse name makes way for DeadlineAlert.supervision (state only).
        migrations.AlterField(
            model_name="supervision",
            name="alert",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="dispatch.deadlinealert",
                verbose_name="red card",
            ),
        ),
        migrations.AddField(
            model_name="deadlinealert",
            name="supervision",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="alert",
                to="cases.supervision",
                verbose_name="supervision",
            ),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.RemoveField(model_name="supervision", name="alert"),
        migrations.RemoveField(model_name="supervision", name="case"),
        migrations.RemoveField(model_name="supervision", name="event"),
        migrations.DeleteModel(name="RoutingRule"),
        migrations.DeleteModel(name="Supervision"),
    ]

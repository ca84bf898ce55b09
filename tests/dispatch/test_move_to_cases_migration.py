"""Routing rules and supervisions moved from dispatch to cases by migration: every row is
copied (rules keep their ids), red cards point at their supervision, and back again."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("cases", "0009_case_asset"), ("dispatch", "0005_push_subscriptions")]
AFTER = [
    ("cases", "0010_entry_levels_routing_joint_handling_supervision"),
    ("dispatch", "0006_routing_rules_and_supervisions_move_to_cases"),
]
AT = dt.datetime(2026, 1, 5, 3, tzinfo=dt.UTC)


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _old_rows(apps):
    region = apps.get_model("grids", "Region")
    geom = MultiPolygon(Polygon.from_bbox((120.30, 36.08, 120.31, 36.09)), srid=4326)
    d = region.objects.create(code="370203", name="d", level="district", geom=geom, area_m2=1)
    s = region.objects.create(
        code="370203001", name="s", level="street", parent=d, geom=geom, area_m2=1
    )
    c = region.objects.create(
        code="370203001001", name="c", level="community", parent=s, geom=geom, area_m2=1
    )
    g = region.objects.create(
        code="370203001001001", name="g", level="grid", kind="unit", parent=c, geom=geom, area_m2=1
    )
    unit = apps.get_model("grids", "Unit").objects.create(
        code="U1", name="unit", kind="department", region=d
    )
    domain = apps.get_model("cases", "Domain").objects.create(code="01", name="x")
    item = apps.get_model("cases", "Item").objects.create(
        domain=domain,
        code="S010201",
        name="i",
        family="event",
        major_class="01",
        minor_class="02",
        legal_basis="-",
        handling_standard="-",
    )
    condition = apps.get_model("cases", "FilingCondition").objects.create(
        item=item,
        code="01",
        description="-",
        closing_condition="-",
        limit_value=4,
        limit_unit="working_hours",
    )
    case = apps.get_model("cases", "Case").objects.create(
        number="370203-20260105-000001",
        source="inspector",
        item=item,
        condition=condition,
        description="x",
        point=Point(120.305, 36.085, srid=4326),
        district=d,
        street=s,
        community=c,
        grid=g,
        handling_level="district",
        status="handling",
        reported_at=AT,
        stage="handle",
        stage_started_at=AT,
        version=3,
    )
    event = apps.get_model("cases", "CaseEvent").objects.create(
        case=case,
        request_id="r1",
        action="escalate",
        to_status="handling",
        created_at=AT,
        version=3,
    )
    apps.get_model("dispatch", "RoutingRule").objects.create(
        id=7, item=item, region=s, unit=unit, auto_dispatch=True, priority=2
    )
    alert = apps.get_model("dispatch", "DeadlineAlert").objects.create(
        case=case,
        kind="red",
        stage="handle",
        stage_started_at=AT,
        deadline_at=AT,
        handling_level="street",
        created_at=AT,
    )
    apps.get_model("dispatch", "Supervision").objects.create(
        case=case,
        alert=alert,
        stage="handle",
        from_level="street",
        to_level="district",
        escalated=True,
        event=event,
        note="escalated by the sweep",
        created_at=AT,
    )
    return s, event, alert


def test_the_rows_move_down_to_cases_and_back():
    try:
        apps = _migrate(BEFORE)
        street, event, alert = _old_rows(apps)
        apps = _migrate(AFTER)
        rule = apps.get_model("cases", "RoutingRule").objects.get()
        assert (rule.pk, rule.auto_dispatch, rule.priority) == (7, True, 2)
        assert rule.region_id == street.pk
        supervision = apps.get_model("cases", "Supervision").objects.get()
        assert supervision.kind == "automatic"
        assert supervision.escalation_event_id == event.pk
        assert (supervision.from_level, supervision.to_level, supervision.escalated) == (
            "street",
            "district",
            True,
        )
        # The case still runs the clock it was supervised on: not settled.
        assert supervision.settled_at is None
        assert apps.get_model("dispatch", "DeadlineAlert").objects.get().supervision_id == (
            supervision.pk
        )
        # A new rule takes the next id, not one in use.
        new = apps.get_model("cases", "RoutingRule").objects.create(
            item_id=rule.item_id, unit_id=rule.unit_id
        )
        assert new.pk > 7

        apps = _migrate(BEFORE)
        assert sorted(
            apps.get_model("dispatch", "RoutingRule").objects.values_list("pk", flat=True)
        ) == [7, new.pk]
        old = apps.get_model("dispatch", "Supervision").objects.get()
        assert (old.alert_id, old.event_id) == (alert.pk, event.pk)
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

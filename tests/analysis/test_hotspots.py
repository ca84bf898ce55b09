"""Hot spots: a cluster of reports of one item at one place raises one alarm, once; scattered
reports raise none; PostGIS and the Python DBSCAN find the same clusters."""

from __future__ import annotations

import random
from datetime import timedelta

import numpy as np
import pytest
from django.db import connection

from analysis.clusters import dbscan
from analysis.hotspots import find_clusters, hotspot_rules
from analysis.models import Alarm, AnalysisSettings, Hotspot, HotspotRule
from analysis.services import run_analysis
from cases.models import Domain, Family, FilingCondition, Item, LimitUnit, Outbox, Status
from grids.models import Role
from tests.helpers import race

from .conftest import CENTRE, NOW, offset, report_around, report_scattered

pytestmark = pytest.mark.django_db


def hotspot_outbox():
    return Outbox.objects.filter(topic="analysis.hotspot")


def test_thirty_reports_around_one_point_in_two_days_raise_one_hotspot_and_one_alarm(world):
    cases = report_around(world, n=30)
    result = run_analysis(now=NOW, passes=("hotspots",))
    assert result.hotspots is not None
    assert result.hotspots.new == 1
    (hotspot,) = Hotspot.objects.all()
    assert hotspot.scope == Hotspot.Scope.ITEM
    assert hotspot.item_id == world.item.pk
    assert hotspot.case_count == 30
    assert set(hotspot.memberships.values_list("case_id", flat=True)) == {c.pk for c in cases}
    assert hotspot.region_id == "370203001001"
    assert hotspot.level == "community"
    assert hotspot.hull.contains(hotspot.centre)
    assert all(hotspot.hull.contains(case.point) for case in cases)
    (alarm,) = Alarm.objects.all()
    assert (alarm.kind, alarm.state, alarm.region_id) == ("hotspot", "new", "370203001001")
    assert hotspot.alarm_id == alarm.pk
    (row,) = hotspot_outbox()
    assert row.case_id is None
    assert row.recipients == {"groups": [{"roles": ["community_staff"], "region": "370203001001"}]}
    assert row.payload["alarm_id"] == alarm.pk


def test_rerunning_raises_nothing_new_and_a_new_case_joins_the_same_hotspot(world):
    report_around(world, n=30)
    run_analysis(now=NOW)
    again = run_analysis(now=NOW)
    assert again.hotspots is not None
    assert (again.hotspots.new, again.hotspots.updated, again.hotspots.alarms) == (0, 1, 0)
    later = run_analysis(now=NOW + timedelta(minutes=5))
    assert later.hotspots is not None
    assert later.hotspots.new == 0
    # One more report at the market: the same hot spot grows, no second alarm.
    report_around(world, n=1, start=NOW + timedelta(minutes=6), seed=9)
    run_analysis(now=NOW + timedelta(minutes=10))
    (hotspot,) = Hotspot.objects.all()
    assert hotspot.case_count == 31
    assert Alarm.objects.count() == 1
    assert hotspot_outbox().count() == 1


def test_scattered_reports_raise_no_hotspot(world):
    report_scattered(world, n=60)
    result = run_analysis(now=NOW, passes=("hotspots",))
    assert result.hotspots is not None
    assert result.hotspots.clusters == 0
    assert not Hotspot.objects.exists()
    assert not Alarm.objects.exists()
    assert not hotspot_outbox().exists()


def test_nine_reports_are_not_a_hotspot_and_an_item_rule_changes_that(world):
    report_around(world, n=9)
    run_analysis(now=NOW, passes=("hotspots",))
    assert not Hotspot.objects.exists()
    HotspotRule.objects.create(item=world.item, min_cases=8, radius_m=100, window_hours=48)
    run_analysis(now=NOW, passes=("hotspots",))
    assert Hotspot.objects.get().case_count == 9


def test_rejected_voided_and_duplicate_reports_do_not_count(world):
    cases = report_around(world, n=12)
    for case in cases[:3]:
        Outbox.objects.filter(case=case).delete()
    from tests.cases.conftest import put_in_state

    put_in_state(cases[0], Status.REJECTED)
    put_in_state(cases[1], Status.VOIDED)
    put_in_state(cases[2], Status.DUPLICATE, duplicate_of=cases[3])
    run_analysis(now=NOW, passes=("hotspots",))
    assert not Hotspot.objects.exists()  # 9 real problems: below N = 10


def test_a_hotspot_is_gone_once_its_cases_age_out_and_is_not_raised_again(world):
    report_around(world, n=30)
    run_analysis(now=NOW)
    run_analysis(now=NOW + timedelta(hours=60))
    hotspot = Hotspot.objects.get()
    assert hotspot.gone_at == NOW + timedelta(hours=60)
    assert Alarm.objects.count() == 1


def test_a_cluster_of_one_class_that_no_item_explains_raises_a_class_hotspot(world):
    debris = _item(world, "S010301", "占道堆物", "03")
    report_around(world, n=8, seed=3)
    report_around(world, n=8, item=debris, seed=4)
    result = run_analysis(now=NOW, passes=("hotspots",))
    assert result.hotspots is not None
    assert result.hotspots.new == 1
    hotspot = Hotspot.objects.get()
    assert hotspot.scope == Hotspot.Scope.CLASS
    assert (hotspot.family, hotspot.major_class, hotspot.case_count) == ("event", "01", 16)
    assert hotspot.item_id is None


def test_an_item_hotspot_swallows_its_class_cluster(world):
    debris = _item(world, "S010301", "占道堆物", "03")
    report_around(world, n=30)
    report_around(world, n=3, item=debris, seed=5)
    run_analysis(now=NOW, passes=("hotspots",))
    assert list(Hotspot.objects.values_list("scope", flat=True)) == ["item"]
    assert Alarm.objects.count() == 1


def test_the_alarm_lands_in_community_staffs_inbox_with_a_label_not_a_topic(world):
    from dispatch.models import InboxMessage
    from dispatch.notifications import deliver_outbox

    report_around(world, n=30)
    run_analysis(now=NOW, passes=("hotspots",))
    deliver_outbox(now=NOW)
    (message,) = InboxMessage.objects.filter(topic="analysis.hotspot")
    assert message.user == world.users[Role.COMMUNITY_STAFF]
    # In the site's language (Chinese), whichever process found the hot spot.
    assert message.title.startswith("热点预警："), message.title
    assert "analysis." not in message.title
    assert "100 米范围 30 件" in message.title
    assert message.case_id is None
    assert message.link == f"/analysis/?alarm={Alarm.objects.get().pk}"
    from django.test import Client

    browser = Client()
    browser.force_login(world.users[Role.COMMUNITY_STAFF])
    page = browser.get("/inbox/").content.decode()
    assert f'href="/analysis/?alarm={Alarm.objects.get().pk}"' in page
    assert "analysis.hotspot" not in page


# --- the two implementations agree ------------------------------------------------------------


def test_dbscan_hands_a_contested_border_point_to_the_first_core_by_id():
    # Two tight groups whose nearest points are 30 m apart, and a point halfway: within
    # 15 m of one point of each group only, so not a core point itself (3 < 4 neighbours),
    # but a border point of both. The first core point (by id) that reaches it wins, as in
    # PostGIS.
    left = [(0.0, 0.0), (-1.0, 0.0), (0.0, 1.0), (-1.0, 1.0)]
    right = [(30.0, 0.0), (31.0, 0.0), (30.0, 1.0), (31.0, 1.0)]
    middle = [(15.0, 0.0)]
    xy = np.array(left + right + middle)
    ids = [10, 11, 12, 13, 5, 6, 7, 8, 20]
    assert dbscan(ids, xy, eps=15.0, min_points=4) == [[5, 6, 7, 8, 20], [10, 11, 12, 13]]
    # Noise stays out, and fewer points than min_points make nothing.
    assert dbscan([1, 2], np.array([[0.0, 0.0], [1.0, 1.0]]), eps=5, min_points=3) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="ST_ClusterDBSCAN needs PostGIS")
def test_postgis_and_python_give_the_same_clusters(world):
    debris = _item(world, "S010301", "占道堆物", "03")
    rnd = random.Random(7)
    # Clusters of different sizes and tightness, some touching, over noise, two items.
    for k, (lon, lat) in enumerate([CENTRE, (120.3152, 36.0853), (120.3301, 36.0921)]):
        for item in (world.item, debris):
            report_around(
                world,
                n=rnd.randint(8, 20),
                centre=offset(lon, lat, rnd.uniform(-60, 60), 0),
                spread_m=rnd.choice([30.0, 60.0, 110.0]),
                item=item,
                seed=100 + k,
            )
    report_scattered(world, n=150, item=debris, seed=11)
    report_scattered(world, n=150, seed=12)
    settings = AnalysisSettings.current()
    settings.hotspot_min_cases = 6
    settings.class_min_cases = 8
    rules = hotspot_rules(settings)
    in_db = find_clusters(rules, now=NOW, method="postgis")
    in_python = find_clusters(rules, now=NOW, method="python")
    assert len(in_db) >= 6  # not vacuous: several clusters per item and per class
    assert [(c.rule.part, c.case_ids) for c in in_db] == [
        (c.rule.part, c.case_ids) for c in in_python
    ]


# --- two runs at once --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="two writers at once need PostgreSQL")
def test_two_runs_at_once_raise_one_alarm(world):
    report_around(world, n=30)
    _results, errors = race(lambda: run_analysis(now=NOW), lambda: run_analysis(now=NOW))
    assert errors == [None, None]
    assert Hotspot.objects.count() == 1
    assert Alarm.objects.count() == 1
    assert hotspot_outbox().count() == 1


def _item(world, code: str, name: str, minor: str) -> Item:
    item = Item.objects.create(
        domain=Domain.objects.get(code="01"),
        code=code,
        name=name,
        family=Family.EVENT,
        major_class="01",
        minor_class=minor,
        legal_basis="-",
        handling_standard="-",
    )
    FilingCondition.objects.create(
        item=item,
        code="01",
        description=name,
        closing_condition="-",
        limit_value=2,
        limit_unit=LimitUnit.WORKING_DAYS,
    )
    return item

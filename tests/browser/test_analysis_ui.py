"""The analysis page in a real browser: the shift supervisor sees a new hot spot on the map and
in the alarm list, acknowledges it, reads the small multiples and a repeat place's history,
and replays an inspector's patrol of yesterday."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.utils import timezone

from analysis.models import Alarm
from analysis.services import run_analysis
from cases.models import Status
from grids.models import Role
from grids.patrol import FixInput, patrol_record
from grids.tracks import patrol_days_build
from tests.analysis.conftest import CENTRE, offset, report_around, report_scattered
from tests.analysis.test_patrols import lawnmower, noisy, walk
from tests.analysis.test_repeats import cell_centre
from tests.cases.conftest import put_in_state
from tests.cases.conftest import world as world  # the fixture, shared

pytestmark = pytest.mark.browser


def _patrol_yesterday(world: Any) -> None:
    day = timezone.localdate() - timedelta(days=1)
    rng = np.random.default_rng(3)
    xy, t, _length = walk(lawnmower(), interval=10.0, rng=rng)
    measured = noisy(xy, rng, sigma=5.0, jumps=4)
    start = timezone.make_aware(datetime.combine(day, time(9, 0)))
    fixes = []
    for (x, y), seconds in zip(measured, t, strict=True):
        lon, lat = offset(120.30, 36.09, float(x), float(y))
        fixes.append(
            FixInput(lon=lon, lat=lat, recorded_at=start + timedelta(seconds=float(seconds)))
        )
    for i in range(0, len(fixes), 500):
        patrol_record(user=world.users[Role.INSPECTOR], fixes=fixes[i : i + 500])
    patrol_days_build(day=day)


def test_supervisor_acts_on_a_hot_spot_and_replays_a_patrol(
    world: Any, login_as: Any, artifacts_dir: Path
) -> None:
    now = timezone.now()
    report_around(world, n=30, start=now - timedelta(hours=40), hours=39)
    report_scattered(world, n=40, start=now - timedelta(days=20), hours=20 * 24, seed=5)
    repeat = report_around(
        world,
        n=5,
        centre=cell_centre(*offset(*CENTRE, 400, -300)),
        spread_m=10,
        start=now - timedelta(days=12),
        hours=24 * 10,
        seed=8,
    )
    for i, case in enumerate(repeat):
        put_in_state(case, Status.CLOSED, closed_at=now - timedelta(days=10 - 2 * i))
    run_analysis(now=now)
    _patrol_yesterday(world)

    page = login_as("supervisor")
    page.get_by_test_id("nav-analysis").click()
    page.wait_for_selector("#analysis-map[data-ready='1']")
    page.wait_for_selector("#multiples[data-loaded]")
    map_box = page.get_by_test_id("analysis-map")
    assert map_box.get_attribute("data-hotspots") == "1"
    assert int(map_box.get_attribute("data-heat") or 0) > 0
    assert page.get_by_test_id("kpi-alarms").locator("b").inner_text() == "1"
    alarm = page.get_by_test_id("alarm").first
    assert "暴露垃圾" in alarm.inner_text()
    assert alarm.get_by_test_id("alarm-state").inner_text() == "新"
    page.screenshot(path=str(artifacts_dir / "analysis-page.png"), full_page=True)

    # Acknowledge it with a note, in place.
    alarm.locator("input[name=note]").fill("已通知社区组织清运")
    alarm.get_by_test_id("alarm-acknowledge").click()
    page.wait_for_selector("[data-testid=alarm][data-state='acknowledged']")
    assert Alarm.objects.get().state == "acknowledged"
    assert alarm.get_by_test_id("alarm-acknowledge").count() == 0
    assert page.get_by_test_id("kpi-alarms").locator("b").inner_text() == "0"
    alarm.locator("[data-action=focus]").click()
    page.screenshot(path=str(artifacts_dir / "analysis-alarm-acknowledged.png"))

    # The repeat place's history.
    repeats = page.get_by_test_id("repeats")
    repeats.get_by_test_id("repeat-history").first.click()
    history = repeats.locator(".history li")
    history.first.wait_for()
    assert history.count() == 5
    repeats.screenshot(path=str(artifacts_dir / "analysis-repeat-history.png"))

    # Yesterday's patrol: replay it.
    patrols = page.get_by_test_id("patrols")
    assert "inspector" in patrols.inner_text()
    patrols.get_by_test_id("patrol-replay").first.click()
    page.wait_for_selector("#analysis-map[data-track]")
    assert int(map_box.get_attribute("data-track") or 0) > 10
    figures = page.get_by_test_id("replay-figures").inner_text()
    assert "千米" in figures
    page.get_by_test_id("replay-play").click()
    page.wait_for_timeout(1500)
    clock = page.get_by_test_id("replay-clock").inner_text()
    assert clock >= "09:00"
    page.get_by_test_id("replay-play").click()  # pause
    page.get_by_test_id("analysis-map-card").screenshot(
        path=str(artifacts_dir / "analysis-replay.png")
    )

    # The same page in English.
    english = login_as("leader", lang="en")
    english.goto("/analysis/")
    english.wait_for_selector("#analysis-map[data-ready='1']")
    english.wait_for_selector("#multiples[data-loaded]")
    assert "Analysis and early warning" in english.inner_text("h1")
    english.screenshot(path=str(artifacts_dir / "analysis-page-en.png"), full_page=True)

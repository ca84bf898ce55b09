"""The evaluation in a real browser: the leader opens it from the nav, reads the unit
ranking and its trend chart, drills down to a late case, and prints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from grids.models import Role
from tests.cases.conftest import world as world  # the fixture, shared
from tests.dispatch.evaluation_story import Story
from tests.dispatch.evaluation_story import story as story  # the fixture, shared

pytestmark = pytest.mark.browser


def test_leader_reads_the_unit_ranking_drills_down_and_prints(
    story: Story, login_as: Any, artifacts_dir: Path
) -> None:
    late = story.report("2026-11-10 09:00")
    story.to_filed(late, "2026-11-10")
    story.to_handled(late, "2026-11-10", feedback_at="16:00")  # due 15:30
    on_time = story.report("2026-11-10 09:00")
    story.full_loop(on_time, "2026-11-10")
    story.rebuild("2026-11-01", "2026-11-30")
    unit = story.world.department

    page = login_as("leader")
    page.get_by_test_id("nav-evaluation").click()
    page.wait_for_selector("[data-testid=evaluation-form]")
    page.goto("/evaluation/?group=unit&period=month&date=2026-11-01")
    row = page.locator(f"tr[data-subject='{unit.pk}']")
    assert unit.name in row.inner_text()
    page.wait_for_selector("#evaluation-trend[data-loaded='1']")
    page.screenshot(path=str(artifacts_dir / "evaluation-units.png"), full_page=True)

    row.get_by_role("link", name=unit.name).click()
    page.wait_for_selector("[data-testid=evaluation-subject]")
    handling = page.locator("tr[data-component=handling_on_time]")
    assert "1" in handling.locator("td").nth(1).inner_text()
    handling.get_by_role("link", name="其余").click()
    page.wait_for_selector("[data-testid=evaluation-cases]")
    assert page.locator("tr[data-case]").count() == 1
    assert page.locator(f"tr[data-case='{late.pk}']").count() == 1

    page.go_back()
    page.emulate_media(media="print")
    assert not page.locator(".topbar").is_visible()
    assert page.get_by_test_id("components").is_visible()
    page.screenshot(path=str(artifacts_dir / "evaluation-unit-print.png"), full_page=True)
    assert story.user(Role.DISTRICT_LEADER).username == "leader"

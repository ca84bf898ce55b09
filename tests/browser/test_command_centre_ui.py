"""The command centre's work surface in a real browser: live queues, the map of the work and
the big screen. Screenshots at 1440×900, 1920×1080 (and 3840×2160 for the wall) and 390×844."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.gis.geos import Point
from django.core.cache import cache
from django.utils import timezone

from cases.models import Case, Status
from dispatch.sweeper import sweep_deadlines
from grids.models import Role
from tests.browser.conftest import wait_until
from tests.cases.conftest import World, put_in_state
from tests.cases.conftest import world as world  # the fixture, shared

pytestmark = pytest.mark.browser

ADDRESSES = ["辽宁路", "延安三路", "台东一路", "威海路", "登州路", "华阳路", "长春路", "鞍山路"]


@pytest.fixture
def offline_base(settings: Any) -> None:
    """No tile server (a closed network): the map draws the district's own regions."""
    settings.LEAFLET_CONFIG = {**settings.LEAFLET_CONFIG, "TILES": ""}
    cache.clear()


def _point(i: int) -> Point:
    # Spread over the box district (120.30–120.34 E, 36.08–36.10 N), away from the edges.
    return Point(120.302 + (i * 0.0047) % 0.036, 36.082 + (i * 0.0031) % 0.016, srid=4326)


def _call(world: World, i: int, **overrides: object) -> Case:
    """A hotline call taken by the intake desk, somewhere in the district."""
    overrides.setdefault("address", f"{ADDRESSES[i % len(ADDRESSES)]}{i + 1}号")
    return world.report(
        world.users[Role.INTAKE_OPERATOR], source="hotline_12345", point=_point(i), **overrides
    )


def _filed(world: World, i: int, **fields: object) -> Case:
    case = _call(world, i)
    return put_in_state(case, Status.FILED, **fields)


def _console_errors(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def test_a_new_case_appears_in_the_dispatchers_open_queue_within_15_seconds(
    world: World, login_as: Any, artifacts_dir: Path, offline_base: None
) -> None:
    now = timezone.now()
    for i in range(6):
        _filed(
            world,
            i,
            stage_due_at=now + timedelta(minutes=10 + 25 * i),
            stage_warn_at=now + timedelta(minutes=5 + 25 * i),
        )
    _filed(
        world, 7, stage_due_at=now - timedelta(hours=26), stage_warn_at=now - timedelta(hours=27)
    )
    page = login_as("dispatcher")
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto("/queues/dispatch/")
    errors = _console_errors(page)
    assert page.locator("tbody[data-rows] tr[data-case]").count() == 7
    new = _filed(world, 9, urgency="very_urgent", stage_due_at=now + timedelta(minutes=40))
    row = page.locator(f"tr[data-case='{new.pk}']")
    row.wait_for(timeout=15_000)  # the queue asks every 10 s: no reload
    assert "new" in (row.get_attribute("class") or "")
    assert page.locator("[data-live-status]").first.inner_text() != ""
    # The number is a link to the case page (the contract), and urgent cases come first.
    assert row.locator("td.num a").get_attribute("href").startswith(f"/cases/{new.pk}/")
    assert page.locator("tbody[data-rows] tr[data-case]").first.get_attribute("data-case") == str(
        new.pk
    )
    # One line per case at 1440 px: no cell wraps.
    heights = page.evaluate(
        "() => Array.from(document.querySelectorAll('tbody[data-rows] tr[data-case]'))"
        ".map(r => r.getBoundingClientRect().height)"
    )
    assert max(heights) < 40, heights
    page.screenshot(path=str(artifacts_dir / "queue-dispatch-1440.png"), full_page=True)

    # The home page's queue refreshes too; and on a phone it is cards.
    page.goto("/home/")
    page.screenshot(path=str(artifacts_dir / "home-dispatcher-1440.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    card = page.evaluate(
        "() => { const r = document.querySelector('tr[data-case]');"
        " const n = r.querySelector('td.num');"
        " return [r.getBoundingClientRect().width, n.getBoundingClientRect().height]; }"
    )
    assert card[0] > 330  # a card across the phone, not one character per line
    assert card[1] < 60  # the number on one line
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(artifacts_dir / "home-dispatcher-390.png"), full_page=True)
    page.goto("/queues/dispatch/")
    page.screenshot(path=str(artifacts_dir / "queue-dispatch-390.png"), full_page=True)
    assert errors == []


def test_bulk_dispatch_from_the_queue(world: World, login_as: Any, artifacts_dir: Path) -> None:
    cases = [_filed(world, i) for i in range(3)]
    page = login_as("dispatcher")
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto("/queues/dispatch/")
    for case in cases[:2]:
        page.check(f"input[name=case][value='{case.pk}']")
    page.select_option("select[name=unit_id]", str(world.department.pk))
    page.click("button[name=action][value=dispatch]")
    page.get_by_test_id("flash").wait_for()
    page.screenshot(path=str(artifacts_dir / "queue-bulk-dispatched-1440.png"), full_page=True)
    statuses = [Case.objects.get(pk=c.pk).status for c in cases]
    assert statuses == [Status.DISPATCHED, Status.DISPATCHED, Status.FILED]
    assert page.locator("tbody[data-rows] tr[data-case]").count() == 1


def test_from_a_queue_to_its_case_and_on_to_the_next(
    world: World, login_as: Any, artifacts_dir: Path
) -> None:
    cases = [_filed(world, i) for i in range(2)]
    page = login_as("dispatcher")
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto("/queues/dispatch/")
    first = page.locator("tbody[data-rows] tr[data-case] td.num a").first
    first_number = first.inner_text()
    first.click()
    page.get_by_test_id("next-case").wait_for()
    assert page.locator("#case-number").inner_text() == first_number
    assert page.get_by_test_id("next-case").inner_text() == "下一件 →"
    page.locator("#actions button").first.wait_for()  # the actions have loaded
    page.screenshot(path=str(artifacts_dir / "case-from-queue-1440.png"))
    page.get_by_test_id("next-case").click()
    page.get_by_test_id("back-to-queue").wait_for()
    second_number = page.locator("#case-number").inner_text()
    assert second_number != first_number
    assert {first_number, second_number} == {c.number for c in cases}
    page.get_by_test_id("back-to-queue").click()
    page.wait_for_url("**/queues/dispatch/")


def test_the_maps_default_view_holds_every_overdue_case_and_no_closed_case(
    world: World, login_as: Any, artifacts_dir: Path, offline_base: None
) -> None:
    now = timezone.now()
    late = [
        _filed(
            world,
            i,
            stage_due_at=now - timedelta(minutes=5 + i),
            stage_warn_at=now - timedelta(minutes=30),
        )
        for i in range(7)
    ]
    for i in range(7, 12):
        _filed(world, i, stage_due_at=now + timedelta(hours=2))
    _filed(
        world,
        12,
        stage_due_at=now + timedelta(minutes=10),
        stage_warn_at=now - timedelta(minutes=1),
    )
    closed = [put_in_state(_call(world, 20 + i), Status.CLOSED) for i in range(3)]
    sweep_deadlines()
    page = login_as("supervisor")
    page.set_viewport_size({"width": 1440, "height": 900})
    errors = _console_errors(page)
    page.goto("/map/")
    count = page.get_by_test_id("map-count")
    page.wait_for_selector("[data-testid=map-count][data-overdue='7']")
    assert count.get_attribute("data-overdue-total") == "7"
    assert count.get_attribute("data-closed") == "0"
    # Zoomed right in on one corner, every overdue case is still loaded (not "the newest 200
    # in view").
    page.evaluate("() => window.Wangge.liveMap.setView([36.099, 120.339], 18)")
    page.wait_for_timeout(1500)
    assert count.get_attribute("data-overdue") == "7"
    page.evaluate("() => window.Wangge.liveMap.setView([36.09, 120.32], 14)")
    page.wait_for_timeout(1000)
    page.screenshot(path=str(artifacts_dir / "map-default-1440.png"))
    page.check("[data-testid=show-closed]")
    page.wait_for_selector(f"[data-testid=map-count][data-closed='{len(closed)}']")
    # A click on a grid shows its inspectors and open cases.
    page.uncheck("[data-testid=show-closed]")
    box = page.locator("#map").bounding_box()
    spot = page.evaluate("() => window.Wangge.liveMap.latLngToContainerPoint([36.0985, 120.3015])")
    page.mouse.click(box["x"] + spot["x"], box["y"] + spot["y"])
    page.get_by_test_id("grid-card").wait_for()
    page.screenshot(path=str(artifacts_dir / "map-grid-card-1440.png"))
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.screenshot(path=str(artifacts_dir / "map-default-1920.png"))
    assert len(late) == 7
    assert errors == []


def test_the_big_screen_renders_without_console_errors_and_refreshes_itself(
    world: World, login_as: Any, artifacts_dir: Path, offline_base: None
) -> None:
    now = timezone.now()
    for i in range(14):
        due = now + timedelta(minutes=-30 + 9 * i)
        _filed(world, i, stage_due_at=due, stage_warn_at=due - timedelta(minutes=15))
    _call(world, 30, urgency="urgent", address="登州路99号")
    sweep_deadlines()
    page = login_as("leader")
    errors = _console_errors(page)
    page.goto("/screen/?refresh=5")
    page.wait_for_selector("#screen[data-loaded='1']")
    wait_until(page, "() => document.getElementById('sc-map').dataset.pins === '15'")
    page.wait_for_timeout(500)
    no_scroll = page.evaluate(
        "() => document.documentElement.scrollHeight <= innerHeight"
        " && document.documentElement.scrollWidth <= innerWidth"
    )
    assert no_scroll
    page.screenshot(path=str(artifacts_dir / "screen-1920.png"))
    first = int(page.locator("#screen").get_attribute("data-refreshes"))
    extra = _call(world, 31)
    wait_until(
        page,
        "(n) => Number(document.getElementById('screen').dataset.refreshes) > n",
        first,
        timeout_ms=15_000,
    )
    cache.clear()
    wait_until(
        page, "() => document.getElementById('sc-map').dataset.pins === '16'", timeout_ms=20_000
    )
    assert extra.pk
    smallest = page.evaluate(
        "() => Math.min(...Array.from(document.querySelectorAll('#screen *'))"
        ".filter(e => e.childElementCount === 0 && e.textContent.trim() && e.offsetParent)"
        ".map(e => parseFloat(getComputedStyle(e).fontSize)))"
    )
    assert smallest >= 14, smallest  # Leaflet's attribution aside, text is 18 px and up
    page.set_viewport_size({"width": 3840, "height": 2160})
    page.wait_for_timeout(800)
    page.screenshot(path=str(artifacts_dir / "screen-3840.png"))
    assert errors == []

    # The leader's home carries the same panels at laptop size.
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto("/home/")
    page.wait_for_selector("#screen[data-loaded='1']")
    page.screenshot(path=str(artifacts_dir / "home-leader-1440.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.wait_for_selector("#screen[data-loaded='1']")
    page.wait_for_timeout(300)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(artifacts_dir / "home-leader-390.png"), full_page=True)
    assert errors == []
    assert Role.DISTRICT_LEADER


def test_a_call_taken_at_intake_appears_in_the_intake_queue_without_a_reload(
    world: World, login_as: Any, artifacts_dir: Path
) -> None:
    page = login_as("intake")
    page.set_viewport_size({"width": 1440, "height": 900})
    home_queue = page.get_by_test_id("home-queue-intake")
    assert home_queue.locator("tr[data-case]").count() == 0
    call = _call(world, 3)
    home_queue.locator(f"tr[data-case='{call.pk}']").wait_for(timeout=15_000)
    assert home_queue.locator("[data-total]").inner_text() == "1"
    assert "1" in home_queue.locator("[data-live-status]").inner_text()
    page.screenshot(path=str(artifacts_dir / "home-intake-new-call-1440.png"), full_page=True)

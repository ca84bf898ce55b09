"""People and places in a real browser: community staff find a building by a partial address,
open it, see its residents masked (each one logged), go up to the parcel and open the grid's
population picture; then a resident's card and back up the chain. At 1440×900 and 390×844."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from citizens.models import PersonAccessLog
from citizens.population import generate_population
from tests.citizens.conftest import COMMUNITY_A, GRID_A, Registry
from tests.citizens.conftest import registry as registry  # the fixture, shared

pytestmark = pytest.mark.browser

SIZES = {"desktop": (1440, 900), "phone": (390, 844)}
MASKED = re.compile(r"^\d{6}\*{8}\d{3}[\dX]$")


@pytest.fixture
def neighbourhood(district) -> None:
    """A few hundred generated residents around the fixture's own, so the pages look lived in."""
    generate_population(persons=400, seed=3, region_prefix=COMMUNITY_A)


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_community_staff_walk_from_an_address_to_the_grids_population(
    neighbourhood: None,
    registry: Registry,
    login_as: Any,
    artifacts_dir: Path,
    size: str,
) -> None:
    staff = registry.users["staff_a"]
    page = login_as("staff-a")
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    def shot(name: str, full: bool = False) -> None:
        page.screenshot(path=str(artifacts_dir / f"registry-{size}-{name}.png"), full_page=full)

    # The top bar leads to the registry; the map shows the community's parcels and buildings.
    page.get_by_test_id("nav-registry").click()
    page.wait_for_url("**/registry/")
    page.wait_for_selector("#registry-map[data-buildings]")
    assert int(page.get_by_test_id("registry-map").get_attribute("data-buildings")) > 1

    # A partial address: the building, best first.
    page.get_by_test_id("registry-search").fill("辽宁路1")
    first = page.get_by_test_id("search-hit").first
    first.wait_for()
    assert first.inner_text().split("\n")[1] == "辽宁路1号"
    shot("1-search")
    first.click()

    # The building's card: places first, persons only after a reason.
    page.get_by_test_id("building-title").wait_for()
    assert page.get_by_test_id("building-title").inner_text() == "辽宁路1号"
    assert page.get_by_test_id("reason-form").is_visible()
    assert not PersonAccessLog.objects.exists()
    shot("2-building-reason", full=size == "phone")
    page.get_by_test_id("reason-input").fill("入户走访")
    page.get_by_test_id("reason-submit").click()
    page.get_by_test_id("residents-shown").wait_for()
    residents = page.get_by_test_id("resident")
    assert residents.count() == 4
    text = page.get_by_test_id("dwellings").inner_text()
    for key in ("alice", "bob", "carol", "dave"):
        number = registry.numbers[key]
        assert number not in text
        assert f"{number[:6]}********{number[-4:]}" in text
    assert "13812345678" not in text
    logged = PersonAccessLog.objects.filter(user=staff, purpose="building")
    assert sorted(logged.values_list("person__name", flat=True)) == [
        "Alice",
        "Bob",
        "Carol",
        "Dave",
    ]
    assert set(logged.values_list("reason", flat=True)) == {"入户走访"}
    assert page.get_by_test_id("reason-text").inner_text() == "入户走访"
    assert page.get_by_test_id("export-csv").count() == 0  # masked only: no export for her
    shot("3-building-residents", full=size == "phone")

    # A resident's card, logged as a record read, with the chain back up.
    page.get_by_test_id("person-link").filter(has_text="Carol").click()
    page.get_by_test_id("person-title").wait_for()
    assert MASKED.match(page.get_by_test_id("person-id-number").inner_text().split(" ")[0])
    assert PersonAccessLog.objects.filter(user=staff, purpose="record").count() == 1
    assert page.get_by_test_id("chain-grid").inner_text() == f"grid-{GRID_A}"
    shot("4-person", full=size == "phone")
    page.get_by_test_id("person-building-link").click()
    page.get_by_test_id("building-title").wait_for()
    page.get_by_test_id("residents-shown").wait_for()  # the reason is kept for the visit

    # Up to the parcel: its buildings and totals.
    page.get_by_test_id("building-parcel").click()
    page.get_by_test_id("parcel-title").wait_for()
    assert page.get_by_test_id("parcel-title").inner_text() == "地块甲"
    assert "辽宁路1号" in page.get_by_test_id("parcel-building").first.inner_text()
    shot("5-parcel", full=size == "phone")

    # The grid's population picture, beside the grids of its community on the map.
    page.get_by_test_id("parcel-grid").click()
    page.wait_for_selector("#population[data-loaded='1']")
    persons = page.locator("[data-testid=figures] [data-figure=persons] b").inner_text()
    assert int(persons.replace(",", "")) > 3
    assert page.get_by_test_id("suppressed-note").is_hidden()
    assert int(page.get_by_test_id("population-map").get_attribute("data-drawn")) == 2
    page.get_by_test_id("figure-select").select_option("kg:elderly_alone")
    assert "独居老人" in page.get_by_test_id("legend").inner_text()
    shot("6-population", full=True)

    # Back in history: the parcel's card again.
    page.go_back()
    page.get_by_test_id("parcel-title").wait_for()

    # A person reached by ID number (in a POST, not the URL), logged as a lookup, with the
    # chain up from there.
    page.get_by_test_id("lookup").locator("summary").click()
    expect(page.get_by_test_id("lookup-reason")).to_have_value("入户走访")
    page.get_by_test_id("lookup-number").fill(registry.numbers["erin"])  # another community's
    page.get_by_test_id("lookup-submit").click()
    page.get_by_test_id("lookup-error").wait_for()
    page.get_by_test_id("lookup-number").fill(registry.numbers["bob"])
    page.get_by_test_id("lookup-submit").click()
    page.get_by_test_id("person-title").filter(has_text="Bob").wait_for()
    assert registry.numbers["bob"] not in page.url
    assert PersonAccessLog.objects.filter(user=staff, purpose="lookup").count() == 1
    page.get_by_test_id("person-parcel-link").click()
    page.get_by_test_id("parcel-title").wait_for()
    shot("7-lookup-parcel")
    assert errors == []

"""The intake desk and the case page in a real browser, on a laptop (1440×900) and a phone
(390×844): a call becomes a case, registering corrects it, an action that ends a case or hands
it down asks first, and a case someone else changed reloads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from cases.models import Case, CaseEvent, Status
from cases.services import case_transition
from grids.models import Role
from tests.browser.conftest import wait_until
from tests.cases.conftest import OTHER_GRID_POINT, POINT_IN_GRID, World, put_in_state, rid
from tests.cases.conftest import world as world  # the fixture, shared

pytestmark = pytest.mark.browser

VIEWPORTS = {"laptop": (1440, 900), "phone": (390, 844)}


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request: pytest.FixtureRequest) -> str:
    return request.param


def _sized(page: Any, viewport: str) -> Any:
    width, height = VIEWPORTS[viewport]
    page.set_viewport_size({"width": width, "height": height})
    return page


def _click_map(page: Any, selector: str, map_expr: str, lon: float, lat: float) -> None:
    """Click the map where a WGS84 point is (the map is Leaflet's; it says where), scrolling
    that spot into the window first (a tall map may hold it below the fold)."""
    script = (
        "([sel, lat, lon]) => { const el = document.querySelector(sel); "
        f"const p = {map_expr}.latLngToContainerPoint([lat, lon]); "
        "const r = el.getBoundingClientRect(); window.scrollBy(0, r.top + p.y - innerHeight / 2); "
        "const s = el.getBoundingClientRect(); return [s.left + p.x, s.top + p.y]; }"
    )
    x, y = page.evaluate(script, [selector, lat, lon])
    page.mouse.click(x, y)


def _set_place(page: Any, lon: float, lat: float) -> None:
    """Set the desk's place with a map click and wait until it is located there. On a slow phone
    emulation a tap can be lost while the page still lays out, or land off the mark while the
    map still animates its first fit to the district (the pixel was computed for the view
    before the zoom ended: once ~250 m away, beyond the duplicates' 50 m); a person taps again,
    and so does this, until the form holds the place within ~20 m."""
    readout = "[data-testid=place-readout][data-grid]"
    for _ in range(4):
        _click_map(page, "#desk-map", "Wangge.deskMap", lon, lat)
        try:
            page.wait_for_selector(readout, timeout=5_000)
        except PlaywrightTimeout:
            continue
        set_lon, set_lat = float(page.input_value("#f-lon")), float(page.input_value("#f-lat"))
        if abs(set_lon - lon) < 2e-4 and abs(set_lat - lat) < 2e-4:
            return
        page.wait_for_timeout(300)  # let the map settle before the next tap
    pytest.fail(f"the desk's map never took the place {lon}, {lat}")


def _shot(page: Any, artifacts_dir: Path, name: str) -> None:
    page.screenshot(path=str(artifacts_dir / f"{name}.png"), full_page=True)


def test_intake_takes_a_call_from_the_desk_and_opens_the_new_case(
    world: World, login_as: Any, artifacts_dir: Path, viewport: str
) -> None:
    earlier = world.report(description="人行道上有一堆垃圾")
    page = _sized(login_as("intake"), viewport)
    nav = page.get_by_test_id("nav-intake")
    nav.click()
    page.wait_for_url("**/intake/new/")
    page.wait_for_selector("#desk-map[data-loaded='1']")
    # Every field is labelled.
    for name in ("source", "sub_channel", "contact_name", "contact_phone", "item", "description"):
        field = page.locator(f"[data-field={name}]")
        assert field.locator("label, legend").first.inner_text().strip(), name
    page.select_option("select[name=source]", "hotline_12345")
    page.fill("input[name=sub_channel]", "12345 市民热线")
    page.fill("input[name=contact_name]", "王建国")
    page.fill("input[name=contact_phone]", "13812345678")
    page.get_by_test_id("item-search").fill("垃圾")
    page.get_by_test_id("item-select").select_option(str(world.item.pk))
    # The place: a click on the map; the open case of the same item nearby shows at once.
    _set_place(page, POINT_IN_GRID.x + 0.0001, POINT_IN_GRID.y)
    wait_until(
        page,
        "() => document.querySelector('[data-testid=place-readout]').textContent"
        ".includes('grid-370203001001001')",
    )
    page.wait_for_selector(f"[data-testid=duplicates] li.dup[data-case='{earlier.pk}']")
    assert earlier.number in page.get_by_test_id("duplicates").inner_text()
    # Saved without a description: the server's error shows by the field, nothing is lost.
    page.get_by_test_id("desk-save").click()
    error = page.locator("[data-error-for=description]")
    error.wait_for(state="visible")
    assert error.inner_text()
    assert page.input_value("input[name=contact_phone]") == "13812345678"
    assert page.get_by_test_id("item-select").input_value() == str(world.item.pk)
    assert Case.objects.count() == 1
    page.fill("textarea[name=description]", "小区门口垃圾堆放两天无人清理")
    page.fill("input[name=address]", "辽宁路 1 号门口")
    _shot(page, artifacts_dir, f"intake-desk-{viewport}")
    page.get_by_test_id("desk-save").click()
    page.wait_for_url("**/cases/*/")
    new = Case.objects.exclude(pk=earlier.pk).get()
    assert page.url.endswith(f"/cases/{new.pk}/")
    page.wait_for_selector("[data-testid=status][data-status=reported]")
    assert new.number in page.get_by_test_id("action-done").inner_text()
    assert (new.source, new.request_type, new.address) == (
        "hotline_12345",
        "problem",
        "辽宁路 1 号门口",
    )
    event = CaseEvent.objects.get(case=new, action="report")
    assert event.data["sub_channel"] == "12345 市民热线"
    # The caller shows masked.
    caller = page.get_by_test_id("caller")
    caller.wait_for(state="visible")
    assert "王*" in caller.inner_text()
    assert "138****5678" in caller.inner_text()
    assert "13812345678" not in page.content()
    _shot(page, artifacts_dir, f"intake-new-case-{viewport}")
    page.get_by_test_id("next-intake").click()  # the next caller
    page.wait_for_url("**/intake/new/")


def test_the_address_search_asks_the_geocoder_and_a_hit_sets_the_place(
    world: World, login_as: Any, artifacts_dir: Path
) -> None:
    page = _sized(login_as("intake"), "laptop")
    page.goto("/intake/new/")
    page.wait_for_selector("#desk-map[data-loaded='1']")
    with page.expect_response(lambda r: "/api/v1/geocode/" in r.url) as answer:
        page.get_by_test_id("address").fill("street-370203002")
    assert answer.value.status == 200
    hit = page.locator("[data-testid=place-hits] button.hit").first
    hit.wait_for()
    assert "street-370203002" in hit.inner_text()
    _shot(page, artifacts_dir, "intake-address-search")
    hit.click()
    page.wait_for_selector("[data-testid=place-readout][data-grid]")
    assert "370203002" in (page.get_by_test_id("place-readout").get_attribute("data-grid") or "")


def test_one_click_links_the_call_to_the_open_case(
    world: World, login_as: Any, artifacts_dir: Path
) -> None:
    earlier = world.report()
    page = _sized(login_as("intake"), "laptop")
    page.goto("/intake/new/")
    page.wait_for_selector("#desk-map[data-loaded='1']")
    page.get_by_test_id("item-search").fill(world.item.code)
    page.get_by_test_id("item-search").press("Enter")  # the first match
    assert page.get_by_test_id("item-select").input_value() == str(world.item.pk)
    page.fill("textarea[name=description]", "又有人打电话说这堆垃圾")
    _set_place(page, POINT_IN_GRID.x, POINT_IN_GRID.y + 0.0001)
    page.get_by_test_id(f"link-duplicate-{earlier.pk}").click()
    page.wait_for_url("**/cases/*/")
    page.wait_for_selector("[data-testid=status][data-status=duplicate]")
    new = Case.objects.exclude(pk=earlier.pk).get()
    assert new.duplicate_of == earlier
    assert earlier.number in page.locator("#timeline").inner_text()
    assert earlier.number in page.get_by_test_id("action-done").inner_text()
    _shot(page, artifacts_dir, "intake-linked-duplicate")


def test_register_corrects_item_place_and_address(
    world: World, login_as: Any, artifacts_dir: Path, viewport: str
) -> None:
    case = world.report()
    page = _sized(login_as("intake"), viewport)
    page.goto(f"/cases/{case.pk}/")
    primary = page.locator("form.action.primary[data-action=register]")
    primary.wait_for()
    page.get_by_test_id("more-register").click()
    primary.locator("input.choice-search").fill("井盖")
    primary.locator("select[name=item_id]").select_option(str(world.natural_item.pk))
    primary.locator("input[name=address]").fill("辽宁路 99 号")
    # The operator moves the map to the place the caller meant, in another street, and clicks
    # it (once the grid's outline has been drawn and fitted).
    page.wait_for_selector("#case[data-map-version]", state="attached")
    page.evaluate(
        "([lat, lon]) => Wangge.casePage.map().setView([lat, lon], 16, { animate: false })",
        [OTHER_GRID_POINT.y, OTHER_GRID_POINT.x + 0.001],
    )
    _click_map(page, "#map", "Wangge.casePage.map()", OTHER_GRID_POINT.x, OTHER_GRID_POINT.y)
    page.wait_for_selector("[data-point-readout][data-set='1']")
    _shot(page, artifacts_dir, f"case-register-correcting-{viewport}")
    page.get_by_test_id("action-register").click()
    page.wait_for_selector("[data-testid=status][data-status=registered]")
    done = page.get_by_test_id("action-done")
    assert done.is_visible()
    assert page.evaluate("document.activeElement.id") == "action-done"  # focus kept, not lost
    case.refresh_from_db()
    assert (case.item, case.address, case.grid_id) == (
        world.natural_item,
        "辽宁路 99 号",
        "370203002002002",
    )
    timeline = page.locator("#timeline").inner_text()
    assert world.natural_item.name in timeline
    assert "辽宁路 99 号" in timeline
    assert page.locator("#case-address").inner_text() == "辽宁路 99 号"
    _shot(page, artifacts_dir, f"case-registered-corrected-{viewport}")


def test_an_action_that_ends_the_case_asks_first(
    world: World, login_as: Any, artifacts_dir: Path, viewport: str
) -> None:
    case = world.report()
    page = _sized(login_as("intake"), viewport)
    page.goto(f"/cases/{case.pk}/")
    page.get_by_test_id("open-reject").click()
    page.fill("form[data-action=reject] textarea[name=note]", "重复来电，非城管职责")
    page.get_by_test_id("action-reject").click()
    dialog = page.get_by_test_id("confirm")
    dialog.wait_for(state="visible")
    assert "重复来电" in dialog.inner_text()
    _shot(page, artifacts_dir, f"case-confirm-reject-{viewport}")
    page.get_by_test_id("confirm-no").click()
    assert not dialog.is_visible()
    case.refresh_from_db()
    assert case.status == Status.REPORTED
    page.get_by_test_id("action-reject").click()
    page.get_by_test_id("confirm-yes").click()
    page.wait_for_selector("[data-testid=status][data-status=rejected]")
    case.refresh_from_db()
    assert case.status == Status.REJECTED


def test_pushing_a_case_down_asks_first_in_plain_words(
    world: World, login_as: Any, artifacts_dir: Path, viewport: str
) -> None:
    """push_down hands the case to the street for good: the workflow table marks it `confirm`,
    so the page asks (not in red: it does not end the case), and a "no" leaves it here."""
    case = put_in_state(world.report(), Status.FILED)
    page = _sized(login_as("dispatcher"), viewport)
    page.goto(f"/cases/{case.pk}/")
    push = page.get_by_test_id("action-push_down")
    push.wait_for()
    push.click()
    dialog = page.get_by_test_id("confirm")
    dialog.wait_for(state="visible")
    assert case.number in dialog.inner_text()
    assert "light" in (dialog.get_attribute("class") or "")
    assert "danger" not in (page.get_by_test_id("confirm-yes").get_attribute("class") or "")
    _shot(page, artifacts_dir, f"case-confirm-push-down-{viewport}")
    page.get_by_test_id("confirm-no").click()
    assert not dialog.is_visible()
    case.refresh_from_db()
    assert (case.handling_level, case.version) == ("district", 1)
    push.click()
    page.get_by_test_id("confirm-yes").click()
    page.wait_for_selector("[data-testid=handling-level][data-level=street]")
    case.refresh_from_db()
    assert case.handling_level == "street"
    assert CaseEvent.objects.filter(case=case, action="push_down").count() == 1
    _shot(page, artifacts_dir, f"case-pushed-down-{viewport}")


def test_a_conflict_reloads_the_case_and_says_who_changed_it(
    world: World, login_as: Any, artifacts_dir: Path, viewport: str
) -> None:
    case = world.report()
    page = _sized(login_as("intake"), viewport)
    page.goto(f"/cases/{case.pk}/")
    page.wait_for_selector("form[data-action=register]")
    version = page.locator("#case").get_attribute("data-version")
    # The leader registers it meanwhile, through the same service.
    case_transition(
        case_id=case.pk,
        action="register",
        actor=world.users[Role.DISTRICT_LEADER],
        request_id=rid(),
    )
    page.get_by_test_id("action-register").click()
    notice = page.get_by_test_id("action-conflict")
    notice.wait_for(state="visible")
    wait_until(page, "v => document.getElementById('case').dataset.version !== v", version)
    page.wait_for_selector("[data-testid=status][data-status=registered]")
    assert "leader" in notice.inner_text()
    assert page.locator("form[data-action=register]").count() == 0
    assert page.get_by_test_id("action-error").is_hidden()
    _shot(page, artifacts_dir, f"case-conflict-{viewport}")


def test_photos_open_in_a_lightbox(world: World, login_as: Any, artifacts_dir: Path) -> None:
    from io import BytesIO

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from cases.intake import case_act_submit

    case = world.report()
    buffer = BytesIO()
    Image.new("RGB", (800, 600), (200, 80, 40)).save(buffer, "JPEG")
    photo = SimpleUploadedFile("site.jpg", buffer.getvalue(), content_type="image/jpeg")
    case_act_submit(
        actor=world.users[Role.INTAKE_OPERATOR],
        case_id=case.pk,
        action="register",
        request_id=rid(),
        expected_version=case.version,
        photos=[photo],
    )
    page = _sized(login_as("intake"), "laptop")
    page.goto(f"/cases/{case.pk}/")
    page.locator("#photos a[data-photo]").first.click()
    box = page.get_by_test_id("lightbox")
    box.wait_for(state="visible")
    wait_until(page, "() => document.querySelector('dialog.lightbox img').naturalWidth > 0")
    _shot(page, artifacts_dir, "case-lightbox")
    page.keyboard.press("Escape")
    assert not box.is_visible()

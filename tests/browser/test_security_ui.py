"""Stored XSS and the Content-Security-Policy, in a real browser.

A region name holding `<img src=x onerror=…>` (set in the admin or by import_regions) ran in
every viewer's browser on the live map. Here every name that reaches HTML through JS holds a
script — region, item, unit, resource and inspector names, the address, a timeline note —
and nothing may run, nothing may be parsed as markup, and nothing may even need the CSP to
stop it (a violation would mean the escaping failed). Then the main pages are walked and no
CSP violation may be reported.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone

from cases.models import Item
from cases.services import case_transition
from grids.models import (
    EmergencyResource,
    InspectorPosition,
    Region,
    ResourceKind,
    Role,
    Unit,
    User,
)
from tests.browser.conftest import PASSWORD
from tests.cases.conftest import POINT_IN_GRID, World, put_in_state, rid
from tests.cases.conftest import world as world  # the fixture, shared

pytestmark = pytest.mark.browser

MARK = "xss-probe"
# An element with a handler, and a quote to break out of an attribute.
PAYLOAD = f'<img src=x class={MARK} onerror="window.__xss=(window.__xss||0)+1">"\'><b>{MARK}</b>'

# Before any page script: count CSP violations, and record what Leaflet is asked to show as
# tooltip and popup content; tooltips are made permanent so that they are drawn at once.
PROBE = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile);
});
window.__shown = [];
// Popups close when the map reloads its cases: keep the text of every one that opened.
window.__popups = [];
new MutationObserver(() => {
  for (const el of document.querySelectorAll(".leaflet-popup-content")) {
    if (!el.dataset.seen) { el.dataset.seen = "1"; window.__popups.push(el.textContent); }
  }
}).observe(document, { childList: true, subtree: true });
let leaflet;
Object.defineProperty(window, "L", {
  configurable: true,
  get() { return leaflet; },
  set(value) {
    leaflet = value;
    if (!value || !value.Layer || value.Layer.prototype.__probed) return;
    const proto = value.Layer.prototype;
    proto.__probed = true;
    const tooltip = proto.bindTooltip, popup = proto.bindPopup;
    proto.bindTooltip = function (content, options) {
      window.__shown.push(String(content));
      return tooltip.call(this, content, Object.assign({}, options, { permanent: true }));
    };
    proto.bindPopup = function (content, options) {
      window.__shown.push(String(content));
      return popup.call(this, content, options);
    };
  },
});
"""


def probe(page: Any) -> list[str]:
    """Console lines that report a CSP violation, collected from now on."""
    page.context.add_init_script(PROBE)
    lines: list[str] = []
    page.on(
        "console",
        lambda msg: (
            msg.type == "error"
            and ("Content Security Policy" in msg.text or "Refused to" in msg.text)
            and lines.append(msg.text)
        ),
    )
    return lines


def assert_nothing_ran(page: Any, console: list[str]) -> None:
    assert page.evaluate("window.__xss") is None
    # Not even parsed as markup: no element the payload would have made.
    assert page.locator(f"img.{MARK}").count() == 0
    assert page.locator(f"b:text('{MARK}')").count() == 0
    # Every piece of content handed to Leaflet was escaped (none holds a tag).
    for content in page.evaluate("window.__shown"):
        assert "<img" not in content, content
        assert "<b>" not in content, content
    assert page.evaluate("window.__csp") == []
    assert console == []


@pytest.fixture
def poisoned(world: World, db: Any) -> dict[str, Any]:
    """Every name that reaches HTML through JS holds the payload."""
    for code in ("370203", "370203001"):
        Region.objects.filter(code=code).update(name=PAYLOAD)
    Item.objects.filter(pk=world.item.pk).update(name=PAYLOAD)
    Unit.objects.filter(pk=world.department.pk).update(name=PAYLOAD)
    inspector = world.users[Role.INSPECTOR]
    User.objects.filter(pk=inspector.pk).update(first_name=PAYLOAD)
    case = world.report(world.users[Role.INTAKE_OPERATOR], source="hotline_12345", address=PAYLOAD)
    case = case_transition(
        case_id=case.pk,
        action="register",
        actor=world.users[Role.INTAKE_OPERATOR],
        request_id=rid(),
        note=PAYLOAD,
    )
    put_in_state(case, case.status, handling_unit=world.department)
    now = timezone.now()
    InspectorPosition.objects.create(
        user=inspector,
        point=Point(POINT_IN_GRID.x + 0.001, POINT_IN_GRID.y, srid=4326),
        recorded_at=now - timedelta(minutes=3),
        updated_at=now,
    )
    EmergencyResource.objects.create(
        code="SH1",
        name=PAYLOAD,
        kind=ResourceKind.SHELTER,
        point=Point(POINT_IN_GRID.x, POINT_IN_GRID.y + 0.001, srid=4326),
        contact=PAYLOAD,
    )
    return {"case": case}


def test_names_holding_a_script_are_shown_as_text_on_the_live_map(
    poisoned: dict[str, Any], login_as: Any, artifacts_dir: Path
) -> None:
    page = login_as("supervisor")
    console = probe(page)
    page.goto("/map/")
    page.wait_for_selector("#map[data-loaded='1']")
    page.wait_for_selector("#map[data-inspectors='1']")
    page.wait_for_selector(".leaflet-tooltip")
    # The region's name is drawn, as text.
    assert MARK in page.locator(".leaflet-tooltip").first.inner_text()
    # A case's popup: the item's name and the address, as text (one case: a pin, no cluster).
    page.locator(".case-pin").first.click()
    page.locator(".leaflet-popup-content").first.wait_for(state="attached")
    page.screenshot(path=str(artifacts_dir / "xss-map.png"))
    popups = page.evaluate("window.__popups")
    assert popups
    assert popups[0].count(MARK) >= 2
    assert_nothing_ran(page, console)


def test_names_holding_a_script_are_shown_as_text_on_the_case_page(
    poisoned: dict[str, Any], login_as: Any, artifacts_dir: Path
) -> None:
    case = poisoned["case"]
    page = login_as("intake")
    console = probe(page)
    page.goto(f"/cases/{case.pk}/")
    page.get_by_test_id("emergency").and_(page.locator("[data-loaded=true]")).wait_for()
    page.wait_for_selector("#timeline li")
    assert MARK in page.locator("#timeline").inner_text()  # the note
    assert MARK in page.get_by_test_id("emergency-resources").inner_text()
    assert MARK in page.get_by_test_id("emergency-inspectors").inner_text()
    assert MARK in page.locator("#case-address").inner_text()
    page.wait_for_selector(".leaflet-tooltip")
    page.screenshot(path=str(artifacts_dir / "xss-case.png"), full_page=True)
    assert_nothing_ran(page, console)


# --- the Content-Security-Policy on the main pages ---------------------------------------------


def test_the_main_pages_run_under_the_policy_without_a_violation(
    world: World, login_as: Any, live_server: Any, artifacts_dir: Path
) -> None:
    from cases.models import Status

    case = world.report(world.users[Role.INTAKE_OPERATOR], source="hotline_12345")
    put_in_state(world.report(), Status.CLOSED, closed_at=timezone.now())
    page = login_as("leader")
    console = probe(page)
    response = page.goto("/home/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy
    page.wait_for_selector("#overview[data-loaded='1']")
    page.screenshot(path=str(artifacts_dir / "csp-home.png"), full_page=True)
    page.goto("/map/")
    page.wait_for_selector("#map[data-loaded='1']")
    page.goto(f"/cases/{case.pk}/")
    page.wait_for_selector("#timeline li")
    page.goto("/evaluation/")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(artifacts_dir / "csp-evaluation.png"), full_page=True)
    # The language menu switches without an inline handler.
    page.select_option("select[name=language]", "en")
    page.wait_for_selector("html[lang=en]")
    page.goto("/inbox/")
    # The API's session log-in (for Swagger UI's "Try it out") is the dashboard's own page.
    page.goto("/api-auth/login/?next=/api/docs/")
    page.fill("input[name=username]", "leader")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url("**/api/docs/")
    page.wait_for_selector(".swagger-ui .opblock", timeout=30_000)
    page.screenshot(path=str(artifacts_dir / "csp-api-docs.png"))
    assert page.evaluate("window.__csp") == []
    assert console == []


@pytest.mark.usefixtures("_browser_settings")
def test_the_admin_pages_run_under_the_policy_without_a_violation(
    world: World, chromium: Any, live_server: Any, artifacts_dir: Path
) -> None:
    User.objects.create_superuser("root", "root@example.cn", PASSWORD)
    context = chromium.new_context(
        viewport={"width": 1600, "height": 1000}, base_url=live_server.url, locale="zh-hans"
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    console = probe(page)
    page.goto("/admin/login/")
    page.fill("input[name=username]", "root")
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")
    district = Region.objects.get(code="370203")
    user = world.users[Role.INSPECTOR]
    for name, path in [
        ("index", "/admin/"),
        ("regions", "/admin/grids/region/"),
        ("region", f"/admin/grids/region/{district.pk}/change/"),
        ("user", f"/admin/grids/user/{user.pk}/change/"),
        ("password", f"/admin/grids/user/{user.pk}/password/"),
        ("buildings", "/admin/citizens/building/"),
        ("import", "/admin/citizens/building/import/"),
        ("items", "/admin/cases/item/"),
    ]:
        response = page.goto(path)
        assert response.status == 200, path
        page.wait_for_load_state("networkidle")
        if name == "region":
            page.wait_for_selector(".leaflet-container")  # django-leaflet's map widget ran
        page.screenshot(path=str(artifacts_dir / f"csp-admin-{name}.png"))
        assert page.evaluate("window.__csp") == [], path
    assert console == []
    context.close()


@pytest.mark.usefixtures("_browser_settings")
def test_a_locked_out_log_in_says_so_in_a_page(
    world: World, chromium: Any, live_server: Any, artifacts_dir: Path
) -> None:
    for lang, words in (("zh-hans", "登录失败次数过多"), ("en", "Too many failed log-ins")):
        context = chromium.new_context(base_url=live_server.url, locale=lang)
        page = context.new_page()
        console = probe(page)
        for _ in range(5):
            page.goto("/login/")
            page.fill("input[name=username]", "supervisor")
            page.fill("input[name=password]", "not-the-password")
            page.click("button[type=submit].primary")
        page.get_by_test_id("locked-out").wait_for()
        assert words in page.get_by_test_id("locked-out").inner_text()
        page.screenshot(path=str(artifacts_dir / f"locked-out-{lang}.png"))
        assert page.evaluate("window.__csp") == []
        assert console == []
        context.close()
        from axes.handlers.proxy import AxesProxyHandler

        AxesProxyHandler.reset_attempts(username="supervisor")

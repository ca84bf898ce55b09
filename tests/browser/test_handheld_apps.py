"""The handheld apps in Debian's Chromium on a 390×844 touch phone with an emulated position:
the inspector's 城管通 at /m/ and the citizens' app at /c/, used for their jobs, with the
network cut where the field cuts it. Every screen is saved to $ARTIFACTS_DIR."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from PIL import Image

from cases.models import Case, CaseEvent, Status
from cases.services import case_transition
from citizens import sms
from grids.models import PatrolFix, Role
from tests.browser.conftest import PASSWORD
from tests.browser.conftest import wait_until as wait_for_js
from tests.browser.phone import audit, large_text_audit, new_phone, shot, watch
from tests.cases.conftest import GRID, POINT_IN_GRID, World, put_in_state, rid
from tests.cases.conftest import world as world  # the fixture, shared

pytestmark = pytest.mark.browser

LON, LAT = POINT_IN_GRID.x, POINT_IN_GRID.y


@pytest.fixture(autouse=True)
def _isolated(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    sms.outbox.clear()


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    """A camera-sized photo (the app makes it small before sending)."""
    path = tmp_path / "IMG_0001.jpg"
    image = Image.new("RGB", (3000, 2000), (120, 110, 90))
    image.paste((40, 90, 40), (600, 500, 2400, 1500))
    image.save(path, quality=95)
    return path


@pytest.fixture
def after_photo(tmp_path: Path) -> Path:
    """The same spot, cleaned up (a different photo: the server keeps one copy of a photo)."""
    path = tmp_path / "IMG_0002.jpg"
    Image.new("RGB", (2000, 1500), (150, 150, 140)).save(path, quality=95)
    return path


@pytest.fixture
def phones(chromium: Any, live_server: Any, transactional_db: None, _browser_settings: None) -> Any:
    contexts: list[Any] = []

    def _open(lon: float = LON, lat: float = LAT) -> Any:
        context = new_phone(chromium, live_server.url, lon, lat)
        contexts.append(context)
        return context

    yield _open
    for context in contexts:
        context.close()


def login_inspector(page: Any, username: str = "inspector") -> None:
    page.goto("/m/")
    page.wait_for_selector("[data-testid=login-form]")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("[data-testid=login-form] button[type=submit]")
    page.wait_for_selector("main[data-screen=today] [data-testid=today-map]")


def fill_report(page: Any, description: str, photo: Path | None = None) -> None:
    page.click("[data-testid=tab-report]")
    page.wait_for_selector("[data-testid=report-form]")
    page.wait_for_selector("[data-testid=grid-check][data-inside='1']")
    if photo is not None:
        page.set_input_files("[data-testid=report-photos-input]", str(photo))
        page.wait_for_selector("[data-testid=report-photos][data-count='1']")
        # The preview shows the photo (an object URL the page's CSP must allow), not its alt text.
        wait_for_js(
            page,
            "[...document.querySelectorAll('[data-testid=report-photos] img')]"
            ".some((img) => img.complete && img.naturalWidth > 0)",
        )
    page.fill("input[name=item_search]", "S010201")
    page.click("label.item-option:has(input[value=S010201])")
    page.fill("textarea[name=description]", description)


def wait_until(page: Any, done: Any, seconds: float = 20) -> None:
    """Wait for what the phone sends to be in the database."""
    for _ in range(int(seconds * 4)):
        if done():
            return
        page.wait_for_timeout(250)
    raise AssertionError("the phone's write did not reach the server")


def assert_usable(page: Any, errors: list[str]) -> None:
    problems = audit(page)
    assert problems == [], problems
    assert errors == [], errors


# --- the inspector ----------------------------------------------------------------------------


def test_an_inspector_reports_with_a_photo_and_the_case_reaches_the_districts_queue(
    world: World, phones: Any, photo: Path, artifacts_dir: Path, login_as: Any
) -> None:
    page = phones().new_page()
    errors = watch(page, "inspector")
    page.goto("/m/")
    page.wait_for_selector("[data-testid=login-form]")
    # The contract: a manifest linked from the page, a worker registered, named inputs.
    manifest = page.get_attribute("link[rel=manifest]", "href")
    assert manifest == "/m/manifest.webmanifest"
    assert page.locator("input[name=username]").count() == 1
    assert page.locator("input[name=password][type=password]").count() == 1
    shot(page, artifacts_dir, "m-01-login")
    assert_usable(page, errors)
    login_inspector(page)
    wait_for_js(page, "document.documentElement.dataset.sw === 'registered'")
    shot(page, artifacts_dir, "m-02-today-empty")
    assert_usable(page, errors)

    fill_report(page, "路边暴露垃圾一堆，约 2 立方米", photo)
    assert GRID in page.inner_text("[data-testid=grid-check]")  # the test grid's name
    shot(page, artifacts_dir, "m-03-report-filled")
    assert_usable(page, errors)
    page.click("[data-testid=report-submit]")
    page.wait_for_selector("main[data-screen=today]")
    page.wait_for_selector("[data-testid=sync-status][data-waiting='0'][data-failed='0']")

    case = Case.objects.get()
    assert case.grid_id == GRID
    assert case.source == "inspector"
    assert case.reporter == world.users[Role.INSPECTOR]
    assert case.description == "路边暴露垃圾一堆，约 2 立方米"
    assert abs(case.point.x - LON) < 1e-6
    assert abs(case.point.y - LAT) < 1e-6
    [attachment] = case.attachments.all()
    # Compressed on the phone: the 3000 × 2000 camera photo arrives at 1600 px.
    assert (attachment.width, attachment.height) == (1600, 1067)
    event = CaseEvent.objects.get(case=case)
    assert event.request_id.startswith("sync:")

    page.reload()
    page.wait_for_selector(f"[data-testid=report-list] >> text={case.number}")
    shot(page, artifacts_dir, "m-04-today-with-report")

    # The district's queue: the intake operator sees it, in the inspector's grid.
    intake = login_as("intake")
    assert intake.locator(f"[data-queue=intake] tr[data-case='{case.pk}']").count() == 1


def test_offline_reports_and_a_check_reach_the_server_once_each_in_order(
    world: World, phones: Any, photo: Path, artifacts_dir: Path
) -> None:
    task = put_in_state(world.report(description="待核查的案件"), Status.CHECKING)
    context = phones()
    page = context.new_page()
    errors = watch(page, "inspector")
    login_inspector(page)
    page.wait_for_selector(f"[data-testid=task-list] [data-case='{task.pk}']")
    page.wait_for_load_state("networkidle")  # the task's case kept on the phone
    before = CaseEvent.objects.count()

    context.set_offline(True)
    page.wait_for_selector("#offline:not([hidden])")
    fill_report(page, "离线上报一：井盖旁暴露垃圾", photo)
    page.click("[data-testid=report-submit]")
    page.wait_for_selector("[data-testid=sync-status][data-waiting='1']")
    fill_report(page, "离线上报二：绿化带垃圾")
    page.click("[data-testid=report-submit]")
    page.wait_for_selector("[data-testid=sync-status][data-waiting='2']")
    page.click(f"[data-testid=task-list] [data-case='{task.pk}'] a")
    page.wait_for_selector("[data-testid=task-form]")
    page.wait_for_selector("[data-testid=stale]")
    shot(page, artifacts_dir, "m-05-task-offline")
    assert_usable(page, errors)
    page.check("input[name=outcome][value=pass]")
    page.fill("textarea[name=note]", "已清理干净")
    page.click("[data-testid=task-submit]")
    page.wait_for_selector("[data-testid=sync-status][data-waiting='3']")
    page.click("[data-testid=sync-status]")
    page.wait_for_selector("[data-testid=outbox-list]")
    assert page.locator("[data-testid=outbox-list] > li").count() == 3
    shot(page, artifacts_dir, "m-06-outbox-offline")
    assert CaseEvent.objects.count() == before  # nothing left the phone

    # Back online, the first send is applied but its answer is lost on the way back: the
    # phone sends the same batch again, and the server counts each item once.
    lost: list[str] = []

    def drop_answer(route: Any) -> None:
        route.fetch()  # the server applies the batch…
        lost.append(route.request.post_data or "")
        route.abort()  # …and the phone never hears

    page.route("**/api/v1/sync/", drop_answer)
    context.set_offline(False)
    wait_for_js(page, "document.documentElement.dataset.online === '1'")
    page.wait_for_timeout(500)
    for _ in range(20):
        if lost:
            break
        page.wait_for_timeout(250)
    assert len(lost) == 1
    page.unroute("**/api/v1/sync/")
    page.click("[data-testid=send-now]")
    page.wait_for_selector("[data-testid=outbox-empty]")
    shot(page, artifacts_dir, "m-07-outbox-sent")

    batch = json.loads(lost[0])["items"]
    assert [item["kind"] for item in batch] == ["report", "report", "action"]
    new = list(
        CaseEvent.objects.order_by("pk").values_list("action", "request_id", "case_id")[before:]
    )
    assert [action for action, _rid, _case in new] == ["report", "report", "check_pass"]
    assert [rid_ for _a, rid_, _c in new] == [
        f"sync:{world.users[Role.INSPECTOR].pk}:{item['client_id']}" for item in batch
    ]
    assert new[2][2] == task.pk
    reports = Case.objects.exclude(pk=task.pk).order_by("pk")
    assert [c.description for c in reports] == [
        "离线上报一：井盖旁暴露垃圾",
        "离线上报二：绿化带垃圾",
    ]
    assert reports[0].attachments.count() == 1
    task.refresh_from_db()
    assert task.status == Status.CHECK_PASSED
    assert errors == []


def test_the_app_shell_and_the_task_list_open_with_no_network_after_a_first_visit(
    world: World, phones: Any, artifacts_dir: Path
) -> None:
    task = put_in_state(world.report(description="核实任务"), Status.VERIFYING)
    context = phones()
    page = context.new_page()
    errors = watch(page, "inspector")
    login_inspector(page)
    page.wait_for_selector(f"[data-testid=task-list] [data-case='{task.pk}']")
    # The worker has cached the shell and controls the page.
    wait_for_js(page, "navigator.serviceWorker && navigator.serviceWorker.controller !== null")
    page.wait_for_load_state("networkidle")

    context.set_offline(True)
    response = page.reload()
    assert response is not None
    assert response.from_service_worker
    page.wait_for_selector("[data-testid=stale]")
    page.wait_for_selector(f"[data-testid=task-list] [data-case='{task.pk}']")
    assert page.is_visible("#offline")
    shot(page, artifacts_dir, "m-08-today-offline")
    # A new tab, opened with no network at all, starts from the cached shell too.
    second = context.new_page()
    second.goto("/m/#/today")
    second.wait_for_selector(f"[data-testid=task-list] [data-case='{task.pk}']")
    second.click(f"[data-testid=task-list] [data-case='{task.pk}'] a")
    second.wait_for_selector("[data-testid=task-form]")
    shot(second, artifacts_dir, "m-09-verify-task-offline")
    context.set_offline(False)
    assert errors == []


def test_an_inspector_verifies_a_task_and_self_handles_a_problem_with_an_after_photo(
    world: World, phones: Any, photo: Path, after_photo: Path, artifacts_dir: Path
) -> None:
    task = put_in_state(world.report(description="市民反映有垃圾"), Status.VERIFYING)
    page = phones().new_page()
    errors = watch(page, "inspector")
    login_inspector(page)
    page.click(f"[data-testid=task-list] [data-case='{task.pk}'] a")
    page.wait_for_selector("[data-testid=task-form]")
    page.check("input[name=outcome][value=no]")
    page.fill("textarea[name=note]", "现场未发现垃圾")
    page.click("[data-testid=task-submit]")
    wait_until(page, lambda: CaseEvent.objects.filter(case=task, action="verify").exists())
    verify = CaseEvent.objects.get(case=task, action="verify")
    assert verify.data.get("confirmed") is False
    assert verify.note == "现场未发现垃圾"

    fill_report(page, "路边烟头纸屑，已随手清理", photo)
    page.check("[data-testid=self-handled]")
    page.set_input_files("[data-testid=after-photos-input]", str(after_photo))
    page.wait_for_selector("[data-testid=after-photos][data-count='1']")
    page.fill("textarea[name=note]", "已清理")
    shot(page, artifacts_dir, "m-15-self-handled")
    assert_usable(page, errors)
    page.click("[data-testid=report-submit]")
    wait_until(page, lambda: Case.objects.exclude(pk=task.pk).exists())
    fixed = Case.objects.exclude(pk=task.pk).get()
    assert fixed.status == Status.CLOSED
    assert fixed.source == "self_handled"
    assert fixed.attachments.count() == 2
    assert CaseEvent.objects.get(case=fixed).note == "已清理"


def test_patrol_duty_sends_fixes_and_shows_todays_track(
    world: World, phones: Any, artifacts_dir: Path
) -> None:
    context = phones()
    page = context.new_page()
    errors = watch(page, "inspector")
    login_inspector(page)
    page.click("[data-testid=tab-patrol]")
    page.wait_for_selector("[data-testid=duty-toggle]")
    shot(page, artifacts_dir, "m-10-patrol-off")
    page.click("[data-testid=duty-toggle]")
    page.wait_for_selector("[data-testid=duty-state].on")
    # Walking east, 45 m a step: each position is a new fix.
    for step in range(1, 4):
        context.set_geolocation({"longitude": LON + 0.0005 * step, "latitude": LAT, "accuracy": 5})
        page.wait_for_timeout(1000)
    page.goto("/m/#/outbox")
    page.click("[data-testid=send-now]")
    page.goto("/m/#/patrol")
    page.wait_for_selector("[data-testid=fixes-waiting]:text('0')")
    fixes = PatrolFix.objects.filter(user=world.users[Role.INSPECTOR]).order_by("recorded_at")
    assert fixes.count() >= 3
    assert [round(f.point.x, 4) for f in fixes][-3:] == [
        round(LON + 0.0005 * step, 4) for step in range(1, 4)
    ]
    distance = page.inner_text("[data-testid=distance]")
    assert "米" in distance or "m" in distance
    assert page.get_attribute("[data-testid=gps-state]", "data-state") == "ok"
    shot(page, artifacts_dir, "m-11-patrol-on-duty")
    assert_usable(page, errors)

    # Under trees the GPS gives nothing for a while: the screen says so, the duty goes on, and
    # no error toast covers the stop button.
    since = page.inner_text("[data-testid=duty-state]")
    context.new_cdp_session(page).send("Emulation.setGeolocationOverride", {})
    page.wait_for_selector("[data-testid=gps-state][data-state=lost]")
    assert "GPS" in page.inner_text("[data-testid=gps-state]")
    assert page.locator(".toast.bad").count() == 0
    assert page.get_attribute("[data-testid=duty-toggle]", "aria-pressed") == "true"
    shot(page, artifacts_dir, "m-11b-patrol-no-signal")
    context.set_geolocation({"longitude": LON + 0.002, "latitude": LAT, "accuracy": 5})
    page.wait_for_selector("[data-testid=gps-state][data-state=ok]")

    # Reopening the app resumes the duty from when it began, not from the reopening: the duty
    # is made to have begun on 3 January at 07:05 (Beijing), on the phone, and the app reopened.
    assert "2026-01-03 07:05" not in since
    page.evaluate(
        """() => new Promise((resolve, reject) => {
          const open = indexedDB.open("wangge-m");
          open.onsuccess = () => {
            const tx = open.result.transaction("kv", "readwrite");
            tx.objectStore("kv").put("2026-01-02T23:05:00.000Z", "duty_since");
            tx.oncomplete = () => { open.result.close(); resolve(); };
            tx.onerror = () => reject(tx.error);
          };
          open.onerror = () => reject(open.error);
        })"""
    )
    page.reload()
    page.wait_for_selector("[data-testid=duty-state].on")
    assert "2026-01-03 07:05" in page.inner_text("[data-testid=duty-state]")
    page.click("[data-testid=duty-toggle]")
    page.wait_for_selector("[data-testid=duty-state].off")


def test_the_inbox_shows_a_badge_and_marks_messages_read(
    world: World, phones: Any, artifacts_dir: Path
) -> None:
    from dispatch.notifications import deliver_outbox

    case = world.report()
    case_transition(
        case_id=case.pk,
        action="send_verify",
        actor=world.users[Role.INTAKE_OPERATOR],
        request_id=rid(),
        expected_version=case.version,
    )
    deliver_outbox()
    page = phones().new_page()
    errors = watch(page, "inspector")
    login_inspector(page)
    page.wait_for_selector("[data-testid=inbox-badge]:text('1')")
    page.click("[data-testid=tab-inbox]")
    page.wait_for_selector("[data-testid=inbox-list] li.unread")
    shot(page, artifacts_dir, "m-12-inbox")
    assert_usable(page, errors)
    page.click("[data-testid=mark-all-read]")
    page.wait_for_selector("[data-testid=inbox-list] li.read")
    assert page.is_hidden("[data-testid=inbox-badge]")


def test_the_inspector_app_works_with_large_text(
    world: World, phones: Any, artifacts_dir: Path
) -> None:
    put_in_state(world.report(), Status.CHECKING)
    page = phones().new_page()
    login_inspector(page)
    assert large_text_audit(page) == []
    shot(page, artifacts_dir, "m-13-today-large-text")
    page.click("[data-testid=tab-report]")
    page.wait_for_selector("[data-testid=report-form]")
    assert large_text_audit(page) == []
    shot(page, artifacts_dir, "m-14-report-large-text")


def test_logging_out_revokes_the_token(world: World, phones: Any) -> None:
    from cases.models import ApiToken

    page = phones().new_page()
    login_inspector(page)
    assert ApiToken.objects.filter(user=world.users[Role.INSPECTOR], revoked_at=None).count() == 1
    page.click("[data-testid=logout]")
    page.wait_for_selector("[data-testid=login-form]")
    assert ApiToken.objects.filter(user=world.users[Role.INSPECTOR], revoked_at=None).count() == 0
    page.reload()
    page.wait_for_selector("[data-testid=login-form]")


# --- the citizen ------------------------------------------------------------------------------


def test_a_citizen_registers_reports_on_the_map_follows_it_and_rates_it(
    world: World, phones: Any, photo: Path, artifacts_dir: Path, settings: Any
) -> None:
    settings.DEBUG = True  # the development install shows the one-time code on the page
    page = phones().new_page()
    errors = watch(page, "citizen")
    page.goto("/c/")
    page.wait_for_selector("[data-testid=public-map]")
    assert page.get_attribute("link[rel=manifest]", "href") == "/c/manifest.webmanifest"
    wait_for_js(page, "document.documentElement.dataset.sw === 'registered'")
    shot(page, artifacts_dir, "c-01-map")
    assert_usable(page, errors)

    page.click("[data-testid=report-here]")
    page.wait_for_selector("[data-testid=login-form]")
    assert page.locator("input[name=phone]").count() == 1
    assert page.locator("input[name=password][type=password]").count() == 1
    shot(page, artifacts_dir, "c-02-login")
    page.click("[data-testid=register-tab]")
    page.wait_for_selector("[data-testid=register-form]")
    page.fill("input[name=phone]", "13812345678")
    page.click("[data-testid=send-code]")
    page.wait_for_selector("[data-testid=dev-code]:not([hidden])")
    code = page.inner_text("[data-testid=dev-code]").split()[-1]
    assert code in sms.outbox[-1].text
    page.fill("input[name=code]", code)
    page.fill("input[name=password]", "qingdao-shibei-2026")
    page.fill("input[name=name]", "李四")
    shot(page, artifacts_dir, "c-03-register")
    assert_usable(page, errors)
    page.click("[data-testid=account-submit]")

    # Back to the report, at the spot the map was on.
    page.wait_for_selector("[data-testid=citizen-report-form]")
    page.fill("input[name=category_search]", "暴露垃圾")
    page.click("label.item-option:has(input[value=S010201])")
    page.check("input[name=request_type][value=help]")
    page.fill("textarea[name=description]", "小区门口垃圾没人清，有事打我 13912345678")
    page.set_input_files("[data-testid=citizen-photos-input]", str(photo))
    page.wait_for_selector("[data-testid=citizen-photos][data-count='1']")
    shot(page, artifacts_dir, "c-04-report")
    assert_usable(page, errors)
    page.click("[data-testid=citizen-report-submit]")
    page.wait_for_selector("[data-testid=my-reports] li.report")
    page.wait_for_selector("[data-testid=sync-status][hidden]", state="attached")
    case = Case.objects.get()
    assert case.source == "citizen_app"
    assert case.request_type == "help"
    assert case.grid_id == GRID
    assert case.attachments.count() == 1
    shot(page, artifacts_dir, "c-05-mine")

    page.click(f"[data-testid=my-reports] [data-case='{case.pk}'] a")
    page.wait_for_selector("[data-testid=timeline] li")
    assert page.locator("[data-testid=timeline] li").count() == 1
    # The photo is shown (fetched with the token, drawn from an object URL), not its alt text.
    wait_for_js(
        page, "[...document.querySelectorAll('.thumbs img')].some((img) => img.naturalWidth > 0)"
    )
    shot(page, artifacts_dir, "c-06-report-detail")
    assert_usable(page, errors)

    # Staff take it through the loop and close it.
    users = world.users
    for actor, action, payload in (
        (Role.INTAKE_OPERATOR, "register", {}),
        (Role.SHIFT_SUPERVISOR, "file", {}),
        (Role.DISPATCHER, "dispatch", {"unit_id": world.department.pk}),
    ):
        case = case_transition(
            case_id=case.pk,
            action=action,
            actor=users[actor],
            request_id=rid(),
            expected_version=case.version,
            payload=payload,
        )
    case = put_in_state(case, Status.CHECK_PASSED)
    case = case_transition(
        case_id=case.pk,
        action="close",
        actor=users[Role.SHIFT_SUPERVISOR],
        request_id=rid(),
        expected_version=case.version,
    )
    from dispatch.notifications import deliver_outbox

    deliver_outbox()
    page.reload()
    page.wait_for_selector("[data-testid=rating-form]")
    assert page.inner_text("[data-testid=report-status]") == "已结案"
    assert page.locator("[data-testid=timeline] li").count() == 5
    page.wait_for_selector("[data-testid=inbox-badge]:not([hidden])")
    shot(page, artifacts_dir, "c-07-closed-rate")
    assert_usable(page, errors)
    page.check("input[name=rating][value='5']")
    page.fill("textarea[name=comment]", "处理很快")
    page.click("[data-testid=rating-submit]")
    page.wait_for_selector("[data-testid=rated]")
    case.refresh_from_db()
    assert (case.rating, case.rating_comment) == (5, "处理很快")
    shot(page, artifacts_dir, "c-08-rated")

    page.click("[data-testid=tab-inbox]")
    page.wait_for_selector("[data-testid=inbox-list] li")
    shot(page, artifacts_dir, "c-09-inbox")
    assert_usable(page, errors)
    page.click("[data-testid=account-link]")
    page.wait_for_selector("[data-testid=push-box]")
    shot(page, artifacts_dir, "c-10-account")
    assert large_text_audit(page) == []
    page.goto("/c/#/report")
    page.wait_for_selector("[data-testid=citizen-report-form]")
    assert large_text_audit(page) == []
    shot(page, artifacts_dir, "c-11-report-large-text")
    assert errors == []


def test_the_public_map_shows_reports_without_the_reporters_name_or_phone(
    world: World, phones: Any, artifacts_dir: Path
) -> None:
    from tests.citizens.citizen_helpers import citizen_client, register_citizen

    _user, token = register_citizen(phone="13812345678", name="李四")
    response = citizen_client(token).post(
        "/api/v1/citizen/reports/",
        {
            "request_id": rid(),
            "item": world.item.code,
            "description": "楼下垃圾堆了三天，电话 13912345678",
            "lon": LON,
            "lat": LAT,
            "address": "辽宁路1号",
        },
        format="json",
    )
    number = response.json()["number"]
    page = phones().new_page()  # nobody logged in
    errors = watch(page, "public")
    page.goto("/c/")
    page.wait_for_selector(f"[data-testid=nearby-report][data-number='{number}']")
    text = page.inner_text("main")
    assert "***" in text  # masked by citizens.redaction, as Open311 publishes it
    for secret in ("13912345678", "13812345678", "李四", "138****5678"):
        assert secret not in text
        assert secret not in page.content()
    page.click(".map-dot")
    page.wait_for_selector(".leaflet-popup-content .popup")
    assert "李四" not in page.inner_text(".leaflet-popup-content")
    shot(page, artifacts_dir, "c-12-public-map-popup")
    assert errors == []


def test_the_manifests_and_workers_are_served_inside_each_app(world: World) -> None:
    from django.test import Client

    client = Client()
    for key, other in (("m", "c"), ("c", "m")):
        manifest = client.get(f"/{key}/manifest.webmanifest")
        assert manifest["Content-Type"] == "application/manifest+json"
        body = manifest.json()
        assert (body["scope"], body["start_url"], body["display"]) == (
            f"/{key}/",
            f"/{key}/",
            "standalone",
        )
        assert {icon["sizes"] for icon in body["icons"]} == {"192x192", "512x512"}
        worker = client.get(f"/{key}/sw.js")
        assert worker["Content-Type"].startswith("text/javascript")
        assert worker["Service-Worker-Allowed"] == f"/{key}/"
        text = worker.content.decode()
        assert f'"scope": "/{key}/"' in text
        assert f'"/{other}/"' not in text
        page = client.get(f"/{key}/")
        assert f'href="/{key}/manifest.webmanifest"' in page.content.decode()
        assert "<script>" not in page.content.decode()  # no inline code (CSP)
        assert ' style="' not in page.content.decode()

"""The dashboard in a real browser: every staff role logs in, and one case goes from intake
to close through the pages alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from cases.models import Attachment, Case, Status
from grids.models import Role
from tests.cases.conftest import World
from tests.cases.conftest import world as world  # the fixture, shared

pytestmark = pytest.mark.browser

USERNAMES = {
    Role.INSPECTOR: "inspector",
    Role.INTAKE_OPERATOR: "intake",
    Role.SHIFT_SUPERVISOR: "supervisor",
    Role.DISPATCHER: "dispatcher",
    Role.UNIT_HANDLER: "handler",
    Role.STREET_OFFICER: "street",
    Role.COMMUNITY_STAFF: "community",
    Role.DISTRICT_LEADER: "leader",
    Role.ADMINISTRATOR: "admin",
}


@pytest.mark.parametrize("role", list(USERNAMES))
def test_each_staff_role_logs_in_and_sees_their_home(
    world: World, login_as: Any, artifacts_dir: Path, role: str
) -> None:
    world.report()
    page = login_as(USERNAMES[role])
    assert page.get_by_test_id("who").inner_text().startswith(USERNAMES[role])
    if role in (Role.DISTRICT_LEADER, Role.SHIFT_SUPERVISOR):
        page.wait_for_selector("#overview[data-loaded='1']")
        assert page.locator("[data-counter=reported]").inner_text() == "1"
    page.screenshot(path=str(artifacts_dir / f"home-{role}.png"), full_page=True)


def test_leader_switches_the_dashboard_to_english(world: World, login_as: Any) -> None:
    page = login_as("leader")
    assert page.get_by_test_id("logout").inner_text() == "退出登录"
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    assert page.get_by_test_id("logout").inner_text() == "Log out"


def _act(
    page: Any, case: Case, action: str, status: str, note: str = "", photos: tuple[Path, ...] = ()
) -> None:
    page.goto(f"/cases/{case.pk}/")
    button = page.get_by_test_id(f"action-{action}")
    if note:
        page.locator(f"form[data-action={action}] textarea[name=note]").fill(note)
    if photos:
        page.locator(f"form[data-action={action}] input[name=photos]").set_input_files(
            [str(photo) for photo in photos]
        )
    button.click()
    page.wait_for_selector(f"[data-testid=status][data-status={status}]")


def test_a_case_goes_from_intake_to_close_through_the_ui(
    world: World, login_as: Any, artifacts_dir: Path
) -> None:
    case = world.report()
    shot = 0

    def snap(page: Any, name: str) -> None:
        nonlocal shot
        shot += 1
        page.screenshot(path=str(artifacts_dir / f"loop-{shot:02d}-{name}.png"), full_page=True)

    intake = login_as("intake")
    assert intake.locator(f"[data-queue=intake] tr[data-case='{case.pk}']").count() == 1
    intake.click(f"[data-queue=intake] tr[data-case='{case.pk}'] a")
    intake.wait_for_selector("#map .leaflet-interactive")  # the point and the grid outline
    snap(intake, "reported")
    _act(intake, case, "register", Status.REGISTERED)

    supervisor = login_as("supervisor")
    _act(supervisor, case, "file", Status.FILED)

    dispatcher = login_as("dispatcher")
    dispatcher.goto(f"/cases/{case.pk}/")
    unit_select = dispatcher.locator("form[data-action=dispatch] select[name=unit_id]")
    assert unit_select.input_value() == str(world.department.pk)  # the suggested unit
    snap(dispatcher, "dispatch")
    _act(dispatcher, case, "dispatch", Status.DISPATCHED)

    handler = login_as("handler")
    assert handler.locator(f"[data-queue=to_handle] tr[data-case='{case.pk}']").count() == 1
    _act(handler, case, "sign_for", Status.HANDLING)
    photo = artifacts_dir / "after-handling.jpg"
    Image.new("RGB", (640, 480), (90, 140, 60)).save(photo, "JPEG")
    _act(handler, case, "feedback", Status.HANDLED, note="已清理干净", photos=(photo,))
    # The photo went up with the action and shows on the page, from the access-checked view.
    handler.wait_for_selector("#photos img")
    assert Attachment.objects.filter(case=case, event__action="feedback").count() == 1

    _act(intake, case, "send_check", Status.CHECKING)
    inspector = login_as("inspector")
    _act(inspector, case, "check_pass", Status.CHECK_PASSED)

    _act(supervisor, case, "close", Status.CLOSED)
    snap(supervisor, "closed")
    supervisor.set_viewport_size({"width": 1366, "height": 768})  # a laptop
    snap(supervisor, "closed-laptop")
    timeline = supervisor.locator("#timeline li")
    assert timeline.count() == 9
    case.refresh_from_db()
    assert case.status == Status.CLOSED
    assert case.closure_kind == "normal"


def test_a_stale_version_reloads_the_case_and_says_so(world: World, login_as: Any) -> None:
    case = world.report()
    page = login_as("intake")
    page.goto(f"/cases/{case.pk}/")
    page.wait_for_selector("[data-testid=action-register]")
    Case.objects.filter(pk=case.pk).update(version=case.version + 1)  # someone else acted
    page.get_by_test_id("action-register").click()
    notice = page.get_by_test_id("action-conflict")
    notice.wait_for(state="visible")
    assert notice.inner_text()
    assert page.locator("#case").get_attribute("data-version") == str(case.version + 1)


def test_live_map_shows_an_overdue_case_with_a_red_card(
    world: World, login_as: Any, artifacts_dir: Path
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from dispatch.models import DeadlineAlert
    from dispatch.sweeper import sweep_deadlines
    from tests.cases.conftest import put_in_state

    world.report()
    late = world.report(address="辽宁路2号")
    # The dispatch stage's clock ran out five minutes ago; the real sweep issues the red card.
    put_in_state(
        late,
        Status.FILED,
        stage_started_at=timezone.now() - timedelta(hours=2),
        stage_warn_at=timezone.now() - timedelta(minutes=20),
        stage_due_at=timezone.now() - timedelta(minutes=5),
    )
    sweep_deadlines()
    assert DeadlineAlert.objects.filter(case=late, kind=DeadlineAlert.Kind.RED).exists()
    page = login_as("supervisor")
    page.click("a[href='/map/']")
    page.wait_for_selector("#map[data-loaded='1']")
    page.wait_for_selector("[data-testid=map-count][data-count='2']")
    assert page.get_by_test_id("map-count").get_attribute("data-overdue") == "1"
    page.wait_for_selector("#map[data-outlines='3']")  # the district and its two streets
    page.wait_for_selector(".marker-cluster.cluster-overdue")  # the cluster takes the red card
    page.screenshot(path=str(artifacts_dir / "map-overdue.png"))

    page.select_option("select[name=status]", Status.FILED)
    page.wait_for_selector("[data-testid=map-count][data-count='1']")
    page.locator(".marker-cluster, .case-pin").first.click()
    page.wait_for_selector(".case-pin.overdue")


def test_live_map_shows_the_inspectors_latest_positions(
    world: World, login_as: Any, artifacts_dir: Path
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from grids.patrol import FixInput, patrol_record
    from tests.cases.conftest import POINT_IN_GRID

    now = timezone.now()
    fix = FixInput(POINT_IN_GRID.x, POINT_IN_GRID.y, now - timedelta(minutes=3), 6.0)
    assert patrol_record(user=world.users[Role.INSPECTOR], fixes=[fix], now=now).accepted == 1
    page = login_as("supervisor")
    page.click("a[href='/map/']")
    page.wait_for_selector("#map[data-inspectors='1']")
    page.wait_for_selector("path.inspector-pin")
    page.screenshot(path=str(artifacts_dir / "map-inspectors.png"))

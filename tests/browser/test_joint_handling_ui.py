"""Joint handling, urging and supervision through the pages: the dispatcher adds the street
office as a co-handling unit, the street officer signs for and feeds back the office's part,
the shift supervisor urges the unit and supervises the case, the unit hears of it in its
inbox, and the supervision list shows it. And a community case lands in community staff's
queue."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cases.models import Case, CoHandling, Status, Supervision
from cases.services import case_transition
from grids.models import Role
from tests.browser.conftest import wait_until
from tests.cases.conftest import World, rid
from tests.cases.conftest import world as world  # the fixture, shared

pytestmark = pytest.mark.browser


def _handling(world: World) -> Case:
    case = world.report()
    for action, role, payload in (
        ("register", Role.INTAKE_OPERATOR, {}),
        ("file", Role.SHIFT_SUPERVISOR, {}),
        ("dispatch", Role.DISPATCHER, {"unit_id": world.department.pk}),
        ("sign_for", Role.UNIT_HANDLER, {}),
    ):
        case = case_transition(
            case_id=case.pk,
            action=action,
            actor=world.users[role],
            request_id=rid(),
            payload=payload,
        )
    return case


def _open(page: Any, action: str) -> None:
    """Side actions with something to fill in open their form first (the case page)."""
    page.wait_for_selector(f"form[data-action={action}]")
    opener = page.get_by_test_id(f"open-{action}")
    if opener.count() and opener.get_attribute("aria-expanded") == "false":
        opener.click()


def _submit(page: Any, action: str, note: str = "") -> None:
    _open(page, action)
    form = page.locator(f"form[data-action={action}]")
    if note:
        form.locator("textarea[name=note]").fill(note)
    version = page.locator("#case").get_attribute("data-version")
    page.get_by_test_id(f"action-{action}").click()
    wait_until(page, "v => document.getElementById('case').dataset.version !== v", version)


def test_joint_handling_and_urging_through_the_case_page(
    world: World, login_as: Any, artifacts_dir: Path
) -> None:
    case = _handling(world)

    def snap(page: Any, name: str) -> None:
        page.screenshot(path=str(artifacts_dir / f"joint-{name}.png"), full_page=True)

    # The dispatcher adds the street office as a co-handling unit.
    dispatcher = login_as("dispatcher")
    dispatcher.goto(f"/cases/{case.pk}/")
    _open(dispatcher, "add_co_handler")
    form = dispatcher.locator("form[data-action=add_co_handler]")
    form.locator("select[name=unit_id]").select_option(str(world.street_office.pk))
    # The field is labelled in words, not with its help sentence.
    assert form.locator("label").first.inner_text().startswith("联办单位")
    _submit(dispatcher, "add_co_handler")
    co = dispatcher.get_by_test_id("co-handlers")
    assert world.street_office.name in co.inner_text()
    assert "尚未签收" in co.inner_text()
    assert "增加联办单位 · 已完成" in dispatcher.get_by_test_id("action-done").inner_text()
    snap(dispatcher, "1-added")

    # The street officer finds it in their unit queue and does the office's part.
    street = login_as("street")
    queue = street.locator(f"[data-queue=to_handle] tr[data-case='{case.pk}']")
    assert queue.count() == 1
    # The one queue with work is the first one, above the fold; the empty ones are one line.
    assert (
        street.locator(".queues > section.queue").first.get_attribute("data-queue") == "to_handle"
    )
    assert queue.is_visible()
    assert street.locator(".queues > section.queue.is-idle [data-live-queue]").first.is_hidden()
    snap(street, "2-street-home")
    street.goto(f"/cases/{case.pk}/")
    street.wait_for_selector("form[data-action=co_sign_for]")
    offered = street.locator("#actions form").evaluate_all("fs => fs.map(f => f.dataset.action)")
    assert "co_sign_for" in offered
    assert "feedback" not in offered  # the lead unit's, not the co-handler's
    _submit(street, "co_sign_for")
    _submit(street, "co_feedback", note="人行道部分已清理")
    assert "承办部分已反馈" in street.get_by_test_id("co-handlers").inner_text()
    snap(street, "3-part-fed-back")
    part = CoHandling.objects.get(case=case)
    assert part.fed_back_at is not None

    # The shift supervisor urges the unit, then supervises the case with a due date.
    supervisor = login_as("supervisor")
    supervisor.goto(f"/cases/{case.pk}/")
    _submit(supervisor, "urge", note="群众多次来电，请今日办结")
    assert "催办" in supervisor.locator("#timeline").inner_text()
    due = supervisor.locator("form[data-action=supervise] input[name=due_date]")
    assert due.input_value()  # suggested: a few days ahead
    _submit(supervisor, "supervise", note="值班长督办，限期办结")
    assert "督办中" in supervisor.get_by_test_id("case-supervisions").inner_text()
    offered = supervisor.locator("#actions form").evaluate_all(
        "fs => fs.map(f => f.dataset.action)"
    )
    assert "supervise" not in offered  # under supervision already: it would fail
    snap(supervisor, "4-urged-and-supervised")
    assert Supervision.objects.filter(case=case, settled_at__isnull=True).count() == 1

    # The supervision list, linked from the nav.
    supervisor.get_by_test_id("nav-supervisions").click()
    supervisor.wait_for_url("**/supervisions/")
    assert supervisor.locator(f"tr[data-case='{case.pk}']").count() == 1
    snap(supervisor, "5-supervision-list")

    # The unit hears of the urging and the supervision in its inbox, in words.
    from django.utils import translation

    from dispatch.notifications import deliver_outbox

    with translation.override("zh-hans"):  # the worker's language: the deployment's default
        deliver_outbox(batch_size=1000)
    handler = login_as("handler")
    handler.get_by_test_id("inbox-link").click()
    inbox = handler.get_by_test_id("inbox").inner_text()
    assert "催办：请尽快处置案件" in inbox
    assert "案件已被督办" in inbox
    assert "case." not in inbox
    snap(handler, "6-unit-inbox")

    # The lead unit feeds back: the case is handled, the supervision settled.
    handler.goto(f"/cases/{case.pk}/")
    _submit(handler, "feedback", note="已全部清理")
    handler.wait_for_selector(f"[data-testid=status][data-status={Status.HANDLED}]")
    assert "已办结" in handler.get_by_test_id("case-supervisions").inner_text()
    snap(handler, "7-handled")


def test_a_community_case_lands_in_community_staffs_queue(
    world: World, login_as: Any, artifacts_dir: Path
) -> None:
    world.item.entry_level = "community"
    world.item.save(update_fields=["entry_level"])
    case = world.report()
    community = login_as("community")
    row = community.locator(f"[data-queue=intake] tr[data-case='{case.pk}']")
    assert row.count() == 1
    community.screenshot(path=str(artifacts_dir / "community-home.png"), full_page=True)
    row.locator("a").click()
    community.wait_for_selector("[data-testid=handling-level][data-level=community]")
    community.wait_for_selector("form[data-action=register]")
    community.screenshot(path=str(artifacts_dir / "community-case.png"), full_page=True)
    # The district's intake sees it on the map and lists, but it is not in its queue.
    intake = login_as("intake")
    assert intake.locator(f"[data-queue=intake] tr[data-case='{case.pk}']").count() == 0

"""The emergency panel in a real browser: the intake operator sees the nearest inspectors
and resources on the case page and sends the nearest grid inspector the verify task."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone

from cases.models import CaseEvent, Status
from grids.models import EmergencyResource, InspectorPosition, ResourceKind, Role
from tests.cases.conftest import POINT_IN_GRID, World
from tests.cases.conftest import world as world  # the fixture, shared

pytestmark = pytest.mark.browser


def test_intake_sends_the_nearest_grid_inspector_the_verify_task(
    world: World, login_as: Any, artifacts_dir: Path
) -> None:
    case = world.report(world.users[Role.INTAKE_OPERATOR], source="hotline_12345")
    inspector = world.users[Role.INSPECTOR]
    now = timezone.now()
    InspectorPosition.objects.create(
        user=inspector,
        point=Point(POINT_IN_GRID.x + 0.001, POINT_IN_GRID.y, srid=4326),
        recorded_at=now - timedelta(minutes=3),
        updated_at=now,
    )
    for code, kind, dlat in (("SH1", ResourceKind.SHELTER, 0.001), ("C1", ResourceKind.CAMERA, 0)):
        EmergencyResource.objects.create(
            code=code,
            name=f"资源 {code}",
            kind=kind,
            point=Point(POINT_IN_GRID.x, POINT_IN_GRID.y + dlat, srid=4326),
        )

    page = login_as("intake")
    page.goto(f"/cases/{case.pk}/")
    button = page.get_by_test_id(f"assign-{inspector.pk}")
    button.wait_for()
    resources = page.get_by_test_id("emergency-resources")
    assert "资源 SH1" in resources.inner_text()
    assert page.locator("#map .resource-pin").count() == 2
    assert page.locator("#map .inspector-pin").count() == 1
    page.check("#camera-toggle")  # the camera layer of the view, clustered
    # A locator, not wait_for_function: the page's CSP refuses the eval that one needs.
    from playwright.sync_api import expect

    expect(page.locator("#camera-count")).to_have_text("1")
    page.screenshot(path=str(artifacts_dir / "emergency-panel.png"), full_page=True)

    button.click()
    page.wait_for_selector(f"[data-testid=status][data-status={Status.VERIFYING}]")
    page.wait_for_selector(f"li[data-inspector='{inspector.pk}'] button:disabled")
    assert "核实任务已派给" in page.get_by_test_id("emergency-message").inner_text()
    event = CaseEvent.objects.get(case=case, action="send_verify")
    assert event.data["inspector_id"] == inspector.pk
    page.screenshot(path=str(artifacts_dir / "emergency-assigned.png"), full_page=True)

"""The data centre in a real browser: the map's layer panel (by category, with search), a
click on a feature showing its attributes, the nearest cameras on a case page with the player
playing a stream ffmpeg made for the test, and the data-centre page."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.contrib.gis.geos import Point
from django.urls import clear_url_caches

from grids.models import Camera, CameraState, EmergencyResource, ResourceKind, Unit, UnitKind
from layers.catalogue import layers_register_builtin
from layers.importer import ImportOptions, layer_import
from layers.models import Layer
from tests.browser import hls_urls
from tests.browser.conftest import wait_until
from tests.cases.conftest import POINT_IN_GRID, World
from tests.cases.conftest import world as world  # the fixture, shared
from tests.layers.conftest import point_features, write_geojson

pytestmark = pytest.mark.browser

FFMPEG = shutil.which("ffmpeg")
HYDRANTS = [(120.306, 36.094), (120.314, 36.086), (120.326, 36.092)]


@pytest.fixture
def catalogue(world: World, tmp_path: Path) -> None:
    from layers.catalogue import layer_categories_seed

    layer_categories_seed()
    Unit.objects.create(
        code="370203-D08",
        name="区应急管理局",
        kind=UnitKind.DEPARTMENT,
        region=world.regions["370203"],
    )
    path = write_geojson(tmp_path / "hydrants.geojson", point_features(HYDRANTS))
    layer_import(
        path=path,
        options=ImportOptions(
            code="hydrants",
            name="消火栓",
            name_en="Fire hydrants",
            category="municipal",
            owner="370203-D08",
            key_field="id",
            frequency="monthly",
        ),
        commit=True,
    )
    layers_register_builtin()
    # An old layer nobody updated: the data centre flags it.
    Layer.objects.filter(code="grids").update(last_updated_at="2024-01-01T00:00:00+08:00")


def _wait_for_panel(page: Any) -> None:
    page.wait_for_selector("#layer-panel[data-ready='1']")


def test_the_layer_panel_lists_layers_by_category_and_a_feature_click_shows_attributes(
    world: World, catalogue: None, login_as: Any, artifacts_dir: Path
) -> None:
    page = login_as("dispatcher")
    page.goto("/map/")
    _wait_for_panel(page)
    groups = page.locator("#layer-panel .layer-group summary").all_inner_texts()
    assert any(text.startswith("市政公用专题库") for text in groups)
    assert any(text.startswith("城市部件专题库") for text in groups)
    page.screenshot(path=str(artifacts_dir / "layers-panel.png"))

    page.get_by_test_id("layer-search").fill("消火")
    visible = page.locator("#layer-panel .layer-row:visible")
    assert visible.count() == 1
    assert "消火栓" in visible.inner_text()

    page.get_by_test_id("layer-toggle-hydrants").check()
    page.wait_for_selector(".layer-row[data-layer='hydrants'][data-loaded='1']")
    assert page.locator(".layer-row[data-layer='hydrants']").get_attribute("data-count") == "3"

    # Click the first hydrant where the map draws it (a canvas marker: by its pixel).
    lon, lat = HYDRANTS[0]
    x, y = page.evaluate(
        "([lat, lon]) => { const p = Wangge.liveMap.latLngToContainerPoint([lat, lon]);"
        " const r = document.getElementById('map').getBoundingClientRect();"
        " return [r.left + p.x, r.top + p.y]; }",
        [lat, lon],
    )
    page.mouse.click(x, y)
    popup = page.get_by_test_id("feature-popup")
    popup.wait_for()
    assert "消火栓1" in popup.inner_text()
    assert popup.locator("tr[data-attribute='pressure'] td").inner_text() == "0.31"
    page.wait_for_timeout(400)  # the popup fades in
    page.screenshot(path=str(artifacts_dir / "layers-feature-click.png"))


def test_the_panel_draws_a_table_layer_and_opens_a_cameras_card(
    world: World, catalogue: None, login_as: Any, artifacts_dir: Path
) -> None:
    resource = EmergencyResource.objects.create(
        code="CAM-NS",
        name="辽宁路口监控",
        kind=ResourceKind.CAMERA,
        point=Point(120.312, 36.092, srid=4326),
    )
    Camera.objects.create(
        resource=resource, state=CameraState.NO_STREAM, place="辽宁路口", direction_deg=135
    )
    Layer.objects.filter(code="cameras").update(feature_count=1)
    page = login_as("dispatcher")
    page.goto("/map/")
    _wait_for_panel(page)
    page.get_by_test_id("layer-toggle-cameras").check()
    page.wait_for_selector(".layer-row[data-layer='cameras'][data-count='1']")
    x, y = page.evaluate(
        "() => { const p = Wangge.liveMap.latLngToContainerPoint([36.092, 120.312]);"
        " const r = document.getElementById('map').getBoundingClientRect();"
        " return [r.left + p.x, r.top + p.y]; }"
    )
    page.mouse.click(x, y)
    popup = page.get_by_test_id("feature-popup")
    popup.wait_for()
    assert "辽宁路口监控" in popup.inner_text()
    assert "此摄像头没有实时视频流" in popup.locator(".camera-no-stream").inner_text()
    page.wait_for_timeout(400)  # the popup fades in
    page.screenshot(path=str(artifacts_dir / "layers-camera-no-stream.png"))


@pytest.fixture
def hls_stream(tmp_path: Path, settings: Any) -> Any:
    """An 8-second H.264 HLS stream made by ffmpeg, served by the live server at /test-hls/."""
    if FFMPEG is None:  # pragma: no cover - ffmpeg is in the test packages (Makefile, .ci/run)
        pytest.skip("ffmpeg is not installed (apt-get install ffmpeg)")
    folder = tmp_path / "hls"
    folder.mkdir()
    subprocess.run(  # noqa: S603 - a fixed command line
        [
            FFMPEG,
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=320x180:rate=15",
            "-t",
            "8",
            "-c:v",
            "libx264",
            "-profile:v",
            "baseline",
            "-pix_fmt",
            "yuv420p",
            "-g",
            "15",
            "-f",
            "hls",
            "-hls_time",
            "2",
            "-hls_list_size",
            "0",
            "-hls_playlist_type",
            "vod",
            str(folder / "cam.m3u8"),
        ],
        check=True,
        timeout=120,
    )
    hls_urls.HLS_DIR["path"] = str(folder)
    settings.ROOT_URLCONF = "tests.browser.hls_urls"
    clear_url_caches()
    yield folder
    hls_urls.HLS_DIR["path"] = None
    clear_url_caches()


def test_the_case_page_plays_the_nearest_cameras_stream(
    world: World, login_as: Any, live_server: Any, hls_stream: Path, artifacts_dir: Path
) -> None:
    case = world.report()
    near = EmergencyResource.objects.create(
        code="CAM-LIVE",
        name="辽宁路一号摄像机",
        kind=ResourceKind.CAMERA,
        point=Point(POINT_IN_GRID.x + 0.0003, POINT_IN_GRID.y, srid=4326),
    )
    Camera.objects.create(
        resource=near,
        state=CameraState.ONLINE,
        place="辽宁路1号",
        direction_deg=270,
        stream_url=f"{live_server.url}/test-hls/cam.m3u8",
    )
    dark = EmergencyResource.objects.create(
        code="CAM-DARK",
        name="无信号摄像机",
        kind=ResourceKind.CAMERA,
        point=Point(POINT_IN_GRID.x - 0.0006, POINT_IN_GRID.y, srid=4326),
    )
    Camera.objects.create(resource=dark, state=CameraState.OFFLINE)

    page = login_as("intake")
    page.goto(f"/cases/{case.pk}/")
    page.wait_for_selector("#case-cameras[data-loaded='1']")
    buttons = page.locator("#camera-list button")
    assert buttons.count() == 2
    assert "辽宁路一号摄像机" in buttons.nth(0).inner_text()  # nearest first

    page.get_by_test_id("camera-CAM-DARK").click()
    assert "离线" in page.locator("#camera-stage .camera-state").inner_text()
    assert page.locator("#camera-stage .camera-no-stream").is_visible()

    page.get_by_test_id("camera-CAM-LIVE").click()
    page.wait_for_selector("#camera-stage video")
    playing = "document.querySelector('#camera-stage video').currentTime > 1.5"
    wait_until(page, playing, timeout_ms=30_000)
    first = page.evaluate("document.querySelector('#camera-stage video').currentTime")
    page.wait_for_timeout(1000)
    later = page.evaluate("document.querySelector('#camera-stage video').currentTime")
    assert later > first  # it plays, not just loaded
    assert page.locator("#camera-stage .camera-player").get_attribute("data-playing") == "yes"
    page.screenshot(path=str(artifacts_dir / "case-camera-playing.png"), full_page=True)


def test_the_data_centre_lists_layers_by_owner_and_flags_the_stale(
    world: World, catalogue: None, login_as: Any, artifacts_dir: Path
) -> None:
    page = login_as("leader")
    page.get_by_test_id("nav-datacentre").click()
    page.wait_for_url("**/datacentre/")
    groups = page.get_by_test_id("owner-group")
    assert groups.count() >= 2
    hydrants = page.locator("tr[data-layer='hydrants']")
    assert hydrants.get_attribute("data-freshness") == "fresh"
    assert "100.0 %" in hydrants.inner_text()
    assert page.locator("tr[data-layer='grids']").get_attribute("data-freshness") == "stale"
    assert page.get_by_test_id("dc-stale").inner_text() != "0"
    page.screenshot(path=str(artifacts_dir / "datacentre.png"), full_page=True)

"""The analysis API: the hot-spot contract, acting on alarms, scoping by jurisdiction, the
lists behind the page, the exports."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.test import Client
from openpyxl import load_workbook

from analysis.models import Alarm, Hotspot
from analysis.selectors import alarms_for_user
from analysis.services import run_analysis
from grids.models import Role
from tests.helpers import client_for

from .conftest import NOW, report_around

pytestmark = pytest.mark.django_db

HOTSPOTS = "/api/v1/analysis/hotspots/"


@pytest.fixture
def hotspot_world(world):
    cases = report_around(world, n=30)
    run_analysis(now=NOW, passes=("hotspots",))
    return world, cases


def test_hotspots_list_gives_item_count_case_ids_hull_and_state(hotspot_world):
    world, cases = hotspot_world
    response = client_for(world.users[Role.DISTRICT_LEADER]).get(HOTSPOTS, {"state": "new"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    (spot,) = body["results"]
    assert spot["item"] == {"id": world.item.pk, "code": "S010201", "name": "暴露垃圾"}
    assert spot["case_count"] == 30
    assert sorted(spot["case_ids"]) == sorted(c.pk for c in cases)
    assert spot["hull"]["type"] == "Polygon"
    assert len(spot["hull"]["coordinates"][0]) >= 4
    assert spot["state"] == "new"
    assert spot["region"] == {"code": "370203001001", "name": "community-370203001001"}
    # Other states filter it out; several states at once are fine.
    client = client_for(world.users[Role.DISTRICT_LEADER])
    assert client.get(HOTSPOTS, {"state": "gone"}).json()["count"] == 0
    assert client.get(HOTSPOTS, {"state": "acknowledged,new"}).json()["count"] == 1
    detail = client.get(f"{HOTSPOTS}{spot['id']}/")
    assert detail.status_code == 200
    assert detail.json()["case_count"] == 30


def test_a_bad_state_is_a_400_with_the_error_body(hotspot_world):
    world, _cases = hotspot_world
    response = client_for(world.users[Role.DISTRICT_LEADER]).get(HOTSPOTS, {"state": "burning"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert "state" in body["errors"]


def test_hotspots_outside_ones_jurisdiction_are_not_listed_and_are_404(hotspot_world, make_user):
    world, _cases = hotspot_world
    hotspot = Hotspot.objects.get()
    other_community = make_user(Role.COMMUNITY_STAFF, region=world.regions["370203002001"])
    client = client_for(other_community)
    assert client.get(HOTSPOTS).json()["count"] == 0
    assert client.get(f"{HOTSPOTS}{hotspot.pk}/").status_code == 404
    assert client.get(f"/api/v1/analysis/alarms/{hotspot.alarm_id}/acknowledge/").status_code in (
        404,
        405,
    )
    denied = client.post(f"/api/v1/analysis/alarms/{hotspot.alarm_id}/acknowledge/", {})
    assert denied.status_code == 404
    # The community it is in, its street and the district see it.
    for role in (Role.COMMUNITY_STAFF, Role.STREET_OFFICER, Role.SHIFT_SUPERVISOR):
        assert client_for(world.users[role]).get(HOTSPOTS).json()["count"] == 1


def test_roles_the_analysis_is_not_for_get_403(hotspot_world):
    world, _cases = hotspot_world
    for role in (Role.INSPECTOR, Role.UNIT_HANDLER):
        response = client_for(world.users[role]).get(HOTSPOTS)
        assert response.status_code == 403
        assert response.json()["code"] == "not_permitted"
    assert alarms_for_user(world.users[Role.INSPECTOR]) == []


def test_acknowledge_then_handle_and_a_second_acknowledge_is_409(hotspot_world):
    world, _cases = hotspot_world
    alarm = Alarm.objects.get()
    community = client_for(world.users[Role.COMMUNITY_STAFF])
    supervisor = client_for(world.users[Role.SHIFT_SUPERVISOR])
    url = f"/api/v1/analysis/alarms/{alarm.pk}/"
    first = community.post(url + "acknowledge/", {"note": "已通知物业"}, format="json")
    assert first.status_code == 200
    assert first.json()["state"] == "acknowledged"
    assert first.json()["acknowledged_by"] == "community"
    assert first.json()["hotspot_id"] == Hotspot.objects.get().pk
    again = supervisor.post(url + "acknowledge/", {}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "action_not_allowed"
    assert "community" in again.json()["message"]
    assert (
        client_for(world.users[Role.DISTRICT_LEADER])
        .get(HOTSPOTS, {"state": "acknowledged"})
        .json()["count"]
        == 1
    )
    handled = supervisor.post(url + "handle/", {"note": "已安排清运"}, format="json")
    assert handled.status_code == 200
    assert (handled.json()["state"], handled.json()["note"]) == ("handled", "已安排清运")
    assert supervisor.post(url + "handle/", {}, format="json").status_code == 409
    too_long = supervisor.post(url + "acknowledge/", {"note": "x" * 3000}, format="json")
    assert too_long.status_code == 400
    # A handled hot spot keeps its state while it lasts, and says gone when it is over.
    run_analysis(now=NOW + timedelta(minutes=5), passes=("hotspots",))
    listed = client_for(world.users[Role.DISTRICT_LEADER]).get(HOTSPOTS).json()["results"]
    assert [h["state"] for h in listed] == ["handled"]
    run_analysis(now=NOW + timedelta(hours=60), passes=("hotspots",))
    listed = client_for(world.users[Role.DISTRICT_LEADER]).get(HOTSPOTS).json()["results"]
    assert [h["state"] for h in listed] == ["gone"]


def test_alarms_for_user_is_what_the_big_screen_reads(hotspot_world):
    world, _cases = hotspot_world
    (view,) = alarms_for_user(world.users[Role.DISTRICT_LEADER], NOW - timedelta(hours=1))
    assert view.kind == "hotspot"
    assert view.url.startswith("/analysis/?alarm=")
    assert view.lat is not None
    assert 36.09 < view.lat < 36.10
    assert alarms_for_user(world.users[Role.DISTRICT_LEADER], NOW + timedelta(hours=1)) == []
    listed = client_for(world.users[Role.DISTRICT_LEADER]).get(
        "/api/v1/analysis/alarms/", {"state": "new", "kind": "hotspot"}
    )
    assert listed.json()["count"] == 1


def test_heat_series_trends_and_repeat_places_answer_within_the_jurisdiction(
    hotspot_world, make_user
):
    world, _cases = hotspot_world
    leader = client_for(world.users[Role.DISTRICT_LEADER])
    heat = leader.get("/api/v1/analysis/heat/", {"days": 30})
    assert heat.status_code == 200
    assert sum(p[2] for p in heat.json()["points"]) == 30
    assert leader.get("/api/v1/analysis/heat/", {"days": 500}).status_code == 400
    other = client_for(make_user(Role.STREET_OFFICER, region=world.regions["370203002"]))
    assert other.get("/api/v1/analysis/heat/", {"days": 30}).json()["points"] == []
    series = leader.get("/api/v1/analysis/trends/series/", {"days": 28}).json()
    assert len(series["days"]) == 28
    (item,) = series["items"]
    assert item["code"] == "S010201"
    assert sum(item["counts"]) == 30
    assert leader.get("/api/v1/analysis/trends/").status_code == 200
    assert leader.get("/api/v1/analysis/repeat-places/").json()["count"] == 0


def test_the_page_and_its_exports(hotspot_world):
    world, _cases = hotspot_world
    browser = Client()
    browser.force_login(world.users[Role.SHIFT_SUPERVISOR])
    page = browser.get("/analysis/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="alarm"' in html
    assert "<style" not in html
    assert " onclick=" not in html
    csv = browser.get("/analysis/export/hotspots.csv")
    assert csv.status_code == 200
    text = csv.content.decode("utf-8-sig")
    assert "暴露垃圾" in text
    assert ",30," in text
    xlsx = browser.get("/analysis/export/alarms.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.max_row == 3  # title, headers, the alarm
    assert browser.get("/analysis/export/nothing.csv").status_code == 404
    inspector = Client()
    inspector.force_login(world.users[Role.INSPECTOR])
    assert inspector.get("/analysis/").status_code == 403


def test_alarms_trends_and_series_of_another_street_are_not_shown(hotspot_world, make_user):
    world, _cases = hotspot_world
    run_analysis(now=NOW, passes=("trends",))
    other = client_for(make_user(Role.STREET_OFFICER, region=world.regions["370203002"]))
    assert other.get("/api/v1/analysis/alarms/").json()["count"] == 0
    assert other.get("/api/v1/analysis/trends/").json()["count"] == 0
    assert other.get("/api/v1/analysis/trends/series/").json()["items"] == []
    assert other.get("/api/v1/analysis/hotspots/").json()["count"] == 0


def test_the_commands_say_what_is_wrong_in_one_line(world):
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command("run_analysis", "--at", "2026-11-27T15:00+08:00", "--only", "hotspots", stdout=out)
    assert out.getvalue().startswith("hot spots: ")
    with pytest.raises(CommandError, match="offset"):
        call_command("run_analysis", "--at", "2026-11-27T15:00")
    with pytest.raises(CommandError, match="ISO 8601"):
        call_command("run_analysis", "--at", "yesterday")
    with pytest.raises(CommandError, match="before"):
        call_command("process_patrols", "--from", "2026-11-27", "--to", "2026-11-20")
    with pytest.raises(CommandError, match="both"):
        call_command("process_patrols", "--from", "2026-11-27")
    with pytest.raises(CommandError, match="no inspector"):
        call_command("generate_patrols", "--near", "nobody")
    out = StringIO()
    call_command("process_patrols", "--date", "2026-11-25", stdout=out)
    assert "2026-11-25: 1 inspectors" in out.getvalue()


def test_the_lists_take_the_same_few_queries_however_many_hot_spots(
    world, django_assert_max_num_queries
):
    from .conftest import CENTRE, offset

    for k in range(3):
        report_around(world, n=10, centre=offset(*CENTRE, 300 * k, 0), seed=20 + k)
    run_analysis(now=NOW, passes=("hotspots",))
    assert Hotspot.objects.count() == 3
    leader = client_for(world.users[Role.DISTRICT_LEADER])
    with django_assert_max_num_queries(8):
        assert leader.get(HOTSPOTS).json()["count"] == 3
    with django_assert_max_num_queries(8):
        assert leader.get("/api/v1/analysis/alarms/").json()["count"] == 3

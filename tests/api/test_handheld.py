"""The inspector's handheld over the API: me, my grids, catalogue, photos, tasks, patrol and
history. Requests carry a real token, as a handheld's do."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.contrib.gis.geos import Point
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import include, path
from django.utils import timezone
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from PIL import Image
from rest_framework.test import APIClient

from cases.models import Attachment, FilingCondition, Item, LimitUnit, Status
from cases.services import case_transition
from grids.models import InspectorPosition, PatrolFix, Role
from grids.patrol import MAX_BATCH, FixInput, inspector_position_get, patrol_record
from tests.cases import conftest as cases_conftest
from tests.cases.conftest import (
    GRID,
    OTHER_GRID_POINT,
    POINT_IN_GRID,
    World,
    put_in_state,
    rid,
)
from tests.helpers import client_for, race

pytestmark = pytest.mark.django_db

OTHER_GRID = "370203002002002"

# The closed loop's small world: the box district, a department, two items, a user per role.
world = cases_conftest.world


@pytest.fixture
def inspector(world: World):
    return world.users[Role.INSPECTOR]


@pytest.fixture
def handheld(inspector) -> APIClient:
    return client_for(inspector)


@pytest.fixture
def other_inspector(world: World, make_user):
    return make_user(Role.INSPECTOR, region=world.regions[OTHER_GRID], username="wgy2")


def jpeg(size=(640, 480), color=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="JPEG")
    return buffer.getvalue()


def upload(client: APIClient, content: bytes, name: str = "photo.jpg", **extra):
    photo = SimpleUploadedFile(name, content, content_type="image/jpeg")
    return client.post("/api/v1/attachments/", {"photo": photo, **extra}, format="multipart")


# --- auth -----------------------------------------------------------------------------------

ENDPOINTS = [
    ("get", "/api/v1/me/"),
    ("get", "/api/v1/me/grids/"),
    ("get", "/api/v1/me/tasks/"),
    ("get", "/api/v1/me/history/"),
    ("get", "/api/v1/catalogue/"),
    ("post", "/api/v1/attachments/"),
    ("post", "/api/v1/patrol/"),
]


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_anonymous_gets_401_with_the_error_body(world, method, url):
    response = getattr(APIClient(), method)(url)
    assert response.status_code == 401
    assert response.json()["code"] in {"not_authenticated", "authentication_failed"}


# --- me -------------------------------------------------------------------------------------


def test_me_names_the_inspectors_post_and_jurisdiction(handheld, inspector):
    body = handheld.get("/api/v1/me/").json()
    assert body["id"] == inspector.pk
    assert body["username"] == "inspector"
    [post] = body["posts"]
    assert post["role"] == Role.INSPECTOR
    assert post["inspector_type"] == "full_time"
    assert post["region"] == {"code": GRID, "name": f"grid-{GRID}", "level": "grid"}
    assert post["unit"] is None
    assert body["jurisdiction"] == {
        "everything": False,
        "region_codes": [GRID],
        "unit_ids": [],
        "roles": [Role.INSPECTOR],
    }


def test_me_shows_a_unit_handlers_unit(world):
    body = client_for(world.users[Role.UNIT_HANDLER]).get("/api/v1/me/").json()
    [post] = body["posts"]
    assert post["region"] is None
    assert post["unit"]["code"] == world.department.code
    assert body["jurisdiction"]["unit_ids"] == [world.department.pk]


# --- my grids -------------------------------------------------------------------------------


def test_my_grids_are_the_inspectors_grids_as_geojson(handheld):
    response = handheld.get("/api/v1/me/grids/")
    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "FeatureCollection"
    [feature] = body["features"]
    assert feature["type"] == "Feature"
    assert feature["geometry"]["type"] == "MultiPolygon"
    assert feature["properties"]["code"] == GRID
    assert feature["properties"]["parent_code"] == GRID[:12]


def test_another_inspector_gets_only_their_own_grid(world, other_inspector):
    body = client_for(other_inspector).get("/api/v1/me/grids/").json()
    assert [f["properties"]["code"] for f in body["features"]] == [OTHER_GRID]


def test_a_dispatcher_patrols_no_grid(world):
    body = client_for(world.users[Role.DISPATCHER]).get("/api/v1/me/grids/").json()
    assert body == {"type": "FeatureCollection", "features": []}


# --- catalogue ------------------------------------------------------------------------------


def test_catalogue_nests_domains_items_and_conditions(handheld, world):
    response = handheld.get("/api/v1/catalogue/")
    assert response.status_code == 200
    [domain] = response.json()["domains"]
    assert domain["code"] == "01"
    assert [item["code"] for item in domain["items"]] == ["B010101", "S010201"]
    rubbish = domain["items"][1]
    assert rubbish["id"] == world.item.pk
    assert rubbish["family"] == "event"
    assert (rubbish["major_class"], rubbish["minor_class"]) == ("01", "02")
    assert rubbish["default_unit"]["code"] == world.department.code
    [condition] = rubbish["conditions"]
    assert condition["code"] == "01"
    assert condition["closing_condition"] == "清理完毕"
    assert Decimal(condition["limit_value"]) == 4
    assert condition["limit_unit"] == LimitUnit.WORKING_HOURS


def test_inactive_items_are_left_out_of_the_catalogue(handheld, world):
    Item.objects.filter(pk=world.natural_item.pk).update(is_active=False)
    [domain] = handheld.get("/api/v1/catalogue/").json()["domains"]
    assert [item["code"] for item in domain["items"]] == ["S010201"]


def test_catalogue_is_cacheable_and_answers_304_while_unchanged(handheld, world):
    first = handheld.get("/api/v1/catalogue/")
    assert "max-age=300" in first["Cache-Control"]
    etag = first["ETag"]
    again = handheld.get("/api/v1/catalogue/", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    FilingCondition.objects.filter(item=world.item).update(limit_value=Decimal("2"))
    changed = handheld.get("/api/v1/catalogue/", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag


# --- attachments ----------------------------------------------------------------------------


def test_a_jpeg_upload_is_stored_and_described(handheld, inspector):
    response = upload(handheld, jpeg())
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {
        "id",
        "content_type",
        "width",
        "height",
        "taken_at",
        "thumbnail_url",
        "url",
    }
    assert (body["content_type"], body["width"], body["height"]) == ("image/jpeg", 640, 480)
    assert body["url"].startswith("http://testserver/")
    attachment = Attachment.objects.get(pk=body["id"])
    assert attachment.uploaded_by == inspector
    assert attachment.case is None


def test_a_pdf_is_refused_with_415(handheld):
    response = upload(handheld, b"%PDF-1.4 not a photo", name="report.pdf")
    assert response.status_code == 415
    body = response.json()
    assert body["code"] == "unsupported_type"
    assert "photo" in body["errors"]
    assert Attachment.objects.count() == 0


def test_a_photo_over_the_limit_is_refused_with_413(handheld, settings):
    photo = jpeg()
    settings.ATTACHMENT_MAX_BYTES = len(photo) - 1
    response = upload(handheld, photo)
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert Attachment.objects.count() == 0


def test_a_body_declared_far_over_the_limit_is_refused_with_413_before_reading(handheld, settings):
    settings.ATTACHMENT_MAX_BYTES = 1000
    response = upload(handheld, b"\xff\xd8\xff" + b"0" * 200_000)
    assert response.status_code == 413
    assert set(response.json()) == {"code", "message", "errors"}


def test_form_fields_over_djangos_memory_limit_are_a_413_not_a_crash(handheld, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = upload(handheld, jpeg(), note="x" * 1000)
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


def test_an_upload_without_a_photo_is_a_400_naming_the_field(handheld):
    response = handheld.post("/api/v1/attachments/", {}, format="multipart")
    assert response.status_code == 400
    assert "photo" in response.json()["errors"]


def test_a_json_body_is_not_an_upload(handheld):
    response = handheld.post("/api/v1/attachments/", {"photo": "x"}, format="json")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


# --- tasks ----------------------------------------------------------------------------------


def _verify_task(world: World, point: Point = POINT_IN_GRID):
    intake = world.users[Role.INTAKE_OPERATOR]
    case = world.report(actor=intake, source="hotline_12345", point=point)
    return case_transition(case_id=case.pk, action="send_verify", actor=intake, request_id=rid())


def test_my_tasks_lists_verify_and_check_tasks_due_first(handheld, world):
    verify = _verify_task(world)
    check = put_in_state(
        world.report(),
        Status.CHECKING,
        stage_warn_at=verify.stage_due_at - dt.timedelta(minutes=20),
        stage_due_at=verify.stage_due_at - dt.timedelta(minutes=10),
    )
    world.report()  # reported, no task for the inspector
    response = handheld.get("/api/v1/me/tasks/")
    assert response.status_code == 200
    tasks = response.json()["results"]
    assert [(t["kind"], t["case_id"]) for t in tasks] == [
        ("check", check.pk),
        ("verify", verify.pk),
    ]
    task = tasks[1]
    assert task["number"] == verify.number
    assert task["version"] == verify.version
    assert task["item"]["code"] == "S010201"
    assert task["grid"] == GRID
    assert task["point"]["type"] == "Point"
    assert task["point"]["coordinates"] == pytest.approx([POINT_IN_GRID.x, POINT_IN_GRID.y])
    assert dt.datetime.fromisoformat(task["stage_due_at"]) == verify.stage_due_at
    assert dt.datetime.fromisoformat(task["stage_warn_at"]) == verify.stage_warn_at


def test_a_task_in_another_grid_is_not_mine(handheld, world, other_inspector):
    foreign = _verify_task(world, point=OTHER_GRID_POINT)
    assert handheld.get("/api/v1/me/tasks/").json()["results"] == []
    theirs = client_for(other_inspector).get("/api/v1/me/tasks/").json()["results"]
    assert [t["case_id"] for t in theirs] == [foreign.pk]


def test_a_foreign_inspector_gets_none_of_my_tasks(world, other_inspector):
    _verify_task(world)
    assert client_for(other_inspector).get("/api/v1/me/tasks/").json()["results"] == []


def test_a_district_dispatcher_has_no_inspector_tasks(world):
    _verify_task(world)
    response = client_for(world.users[Role.DISPATCHER]).get("/api/v1/me/tasks/")
    assert response.json()["results"] == []


# --- patrol ---------------------------------------------------------------------------------


def fix(minutes_ago: float, lon=120.305, lat=36.095, **extra) -> dict:
    at = timezone.localtime() - dt.timedelta(minutes=minutes_ago)
    return {"lon": lon, "lat": lat, "recorded_at": at.isoformat(), **extra}


def post_patrol(client: APIClient, fixes):
    return client.post("/api/v1/patrol/", {"fixes": fixes}, format="json")


def test_a_patrol_batch_is_stored_and_moves_the_latest_position(handheld, inspector):
    batch = [fix(3, client_id="a"), fix(2, lon=120.306, client_id="b"), fix(1, lon=120.307)]
    response = post_patrol(handheld, batch)
    assert response.status_code == 200
    assert response.json() == {"accepted": 3, "duplicates": 0, "rejected": []}
    assert PatrolFix.objects.filter(user=inspector).count() == 3
    position = inspector_position_get(inspector)
    assert position is not None
    assert position.point.x == pytest.approx(120.307)
    assert position.recorded_at == dt.datetime.fromisoformat(batch[2]["recorded_at"])


def test_a_replayed_batch_counts_duplicates_and_writes_nothing(handheld, inspector):
    batch = [fix(3, client_id="a"), fix(2, client_id="b"), fix(1)]
    post_patrol(handheld, batch)
    before = InspectorPosition.objects.get(user=inspector).updated_at
    response = post_patrol(handheld, batch)
    assert response.json() == {"accepted": 0, "duplicates": 3, "rejected": []}
    assert PatrolFix.objects.filter(user=inspector).count() == 3
    assert InspectorPosition.objects.get(user=inspector).updated_at == before


def test_a_fix_with_a_known_client_id_is_a_duplicate_even_if_retimed(handheld, inspector):
    post_patrol(handheld, [fix(3, client_id="a")])
    response = post_patrol(handheld, [fix(2, client_id="a"), fix(1, client_id="a")])
    assert response.json() == {"accepted": 0, "duplicates": 2, "rejected": []}
    assert PatrolFix.objects.filter(user=inspector).count() == 1


def test_a_late_batch_out_of_order_does_not_move_the_inspector_back(handheld, inspector):
    post_patrol(handheld, [fix(1, lon=120.309)])
    response = post_patrol(handheld, [fix(30, lon=120.301), fix(20, lon=120.302)])
    assert response.json()["accepted"] == 2
    position = InspectorPosition.objects.get(user=inspector)
    assert position.point.x == pytest.approx(120.309)
    assert PatrolFix.objects.filter(user=inspector).count() == 3


def test_bad_fixes_are_rejected_one_by_one_and_good_ones_kept(handheld, inspector):
    future = (timezone.now() + dt.timedelta(hours=1)).isoformat()
    week_old = (timezone.now() - dt.timedelta(days=8)).isoformat()
    batch = [
        fix(5),
        fix(4, lat=200),
        {**fix(3), "recorded_at": future},
        {**fix(2), "recorded_at": week_old},
        {**fix(2), "recorded_at": "2026-05-01T08:30:00"},  # no offset
        {**fix(2), "recorded_at": "2026-13-01T08:30:00+08:00"},
        "not a fix",
        fix(1, accuracy_m=-3),
        fix(0.5),
    ]
    response = post_patrol(handheld, batch)
    assert response.status_code == 200
    body = response.json()
    assert (body["accepted"], body["duplicates"]) == (2, 0)
    rejected = {item["index"]: item["errors"] for item in body["rejected"]}
    assert sorted(rejected) == [1, 2, 3, 4, 5, 6, 7]
    assert "lat" in rejected[1]
    assert all("recorded_at" in rejected[i] for i in (2, 3, 4, 5))
    assert "non_field_errors" in rejected[6]
    assert "accuracy_m" in rejected[7]
    assert PatrolFix.objects.filter(user=inspector).count() == 2


def test_a_bare_list_of_fixes_is_accepted_too(handheld):
    response = handheld.post("/api/v1/patrol/", [fix(1)], format="json")
    assert response.json()["accepted"] == 1


def test_a_batch_over_the_limit_is_refused_whole(handheld, inspector):
    batch = [fix(i / 100) for i in range(MAX_BATCH + 1)]
    response = post_patrol(handheld, batch)
    assert response.status_code == 400
    assert "fixes" in response.json()["errors"]
    assert not PatrolFix.objects.filter(user=inspector).exists()


def test_only_inspectors_upload_patrol_tracks(world):
    response = post_patrol(client_for(world.users[Role.DISPATCHER]), [fix(1)])
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not PatrolFix.objects.exists()


on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL"
)


def fixes_at(start: dt.datetime, count: int, lon: float = 120.305) -> list[FixInput]:
    return [
        FixInput(
            lon=lon,
            lat=36.095,
            recorded_at=start + dt.timedelta(seconds=i),
            client_id=f"{start:%H%M%S}-{i}",
        )
        for i in range(count)
    ]


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_one_batch_uploaded_twice_at_once_is_stored_once(world):
    inspector = world.users[Role.INSPECTOR]
    now = timezone.now()
    batch = fixes_at(now - dt.timedelta(minutes=5), 50)
    results, errors = race(
        lambda: patrol_record(user=inspector, fixes=batch, now=now),
        lambda: patrol_record(user=inspector, fixes=batch, now=now + dt.timedelta(microseconds=1)),
    )
    assert errors == [None, None]
    assert sum(r.accepted for r in results) == 50
    assert sum(r.duplicates for r in results) == 50
    assert PatrolFix.objects.filter(user=inspector).count() == 50


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_first_batches_racing_leave_the_newest_position(world):
    inspector = world.users[Role.INSPECTOR]
    now = timezone.now()
    older = fixes_at(now - dt.timedelta(minutes=30), 20, lon=120.301)
    newer = fixes_at(now - dt.timedelta(minutes=5), 20, lon=120.309)
    for _ in range(5):
        PatrolFix.objects.all().delete()
        InspectorPosition.objects.all().delete()
        _results, errors = race(
            lambda: patrol_record(user=inspector, fixes=older),
            lambda: patrol_record(user=inspector, fixes=newer),
        )
        assert errors == [None, None]
        position = InspectorPosition.objects.get(user=inspector)
        assert position.recorded_at == newer[-1].recorded_at
        assert position.point.x == pytest.approx(120.309)


# --- history --------------------------------------------------------------------------------


def test_my_history_lists_what_i_reported_and_did_newest_first(handheld, world, inspector):
    mine = world.report()
    task = _verify_task(world)
    case_transition(
        case_id=task.pk,
        action="verify",
        actor=inspector,
        request_id=rid(),
        payload={"confirmed": True},
    )
    world.report(actor=world.users[Role.INTAKE_OPERATOR], source="hotline_12345")  # not mine
    response = handheld.get("/api/v1/me/history/")
    assert response.status_code == 200
    events = response.json()["results"]
    assert [(e["action"], e["case"]["id"]) for e in events] == [
        ("verify", task.pk),
        ("report", mine.pk),
    ]
    assert events[1]["case"]["number"] == mine.number
    assert events[1]["to_status"] == Status.REPORTED


def test_my_history_pages_by_cursor(handheld, world):
    cases = [world.report() for _ in range(3)]
    first = handheld.get("/api/v1/me/history/", {"page_size": 2}).json()
    assert [e["case"]["id"] for e in first["results"]] == [cases[2].pk, cases[1].pk]
    second = handheld.get(first["next"]).json()
    assert [e["case"]["id"] for e in second["results"]] == [cases[0].pk]
    assert second["next"] is None


def test_a_forged_cursor_is_a_404_with_the_error_body(handheld):
    response = handheld.get("/api/v1/me/history/", {"cursor": "!!not base64"})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_another_inspectors_history_is_not_mine(world, other_inspector):
    world.report()
    assert client_for(other_inspector).get("/api/v1/me/history/").json()["results"] == []


# --- schema ---------------------------------------------------------------------------------


def test_the_handheld_endpoints_have_a_valid_schema_without_warnings():
    GENERATOR_STATS.reset()
    generator = SchemaGenerator(patterns=[path("api/v1/", include("cases.api.handheld_urls"))])
    schema = generator.get_schema(request=None, public=True)
    validate_schema(schema)
    assert not GENERATOR_STATS
    assert set(schema["paths"]) == {url for _method, url in ENDPOINTS}


def test_the_project_schema_is_served(handheld):
    response = handheld.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert "/api/v1/patrol/" in response.json()["paths"]

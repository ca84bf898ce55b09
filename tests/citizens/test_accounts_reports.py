"""A citizen reports (through the one-window intake, with photos within limits), follows
their reports on a public timeline, and rates the result once it is closed."""

from __future__ import annotations

import io
import json

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.throttling import ScopedRateThrottle

from cases.models import Attachment, Case, CaseEvent, Outbox, SourceChannel, Status
from cases.services import case_transition
from citizens import sms
from grids.models import Role
from tests.cases import conftest as cases_conftest
from tests.cases.conftest import POINT_IN_GRID, World, put_in_state, rid
from tests.citizens.citizen_helpers import citizen_client, register_citizen
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

world = cases_conftest.world


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    cache.clear()
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def citizen(world):
    return register_citizen()


def jpeg(color=(30, 120, 200), size=(320, 240)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="JPEG")
    return buffer.getvalue()


def report_body(world: World, **overrides) -> dict:
    body = {
        "request_id": rid(),
        "item": world.item.code,
        "description": "小区门口暴露垃圾，联系我 13900001111",
        "lon": POINT_IN_GRID.x,
        "lat": POINT_IN_GRID.y,
        "address": "辽宁路1号",
    }
    body.update(overrides)
    return body


def photos(n: int) -> list[SimpleUploadedFile]:
    return [
        SimpleUploadedFile(f"p{i}.jpg", jpeg((10 * i, 100, 200)), content_type="image/jpeg")
        for i in range(n)
    ]


def report(client, world, **overrides):
    return client.post("/api/v1/citizen/reports/", report_body(world, **overrides), format="json")


def close(world: World, case: Case, note: str = "") -> Case:
    """Walk the case round the loop to closed, as the staff would."""
    steps = [
        ("register", Role.INTAKE_OPERATOR, {}, ""),
        ("file", Role.SHIFT_SUPERVISOR, {}, ""),
        ("dispatch", Role.DISPATCHER, {"unit_id": world.department.pk}, ""),
        ("sign_for", Role.UNIT_HANDLER, {}, ""),
        ("feedback", Role.UNIT_HANDLER, {}, "环卫班长王师傅 13700002222 已清理"),
        ("send_check", Role.INTAKE_OPERATOR, {}, ""),
        ("check_pass", Role.INSPECTOR, {}, ""),
        ("close", Role.SHIFT_SUPERVISOR, {}, note),
    ]
    for action, role, payload, step_note in steps:
        case = case_transition(
            case_id=case.pk,
            action=action,
            actor=world.users[role],
            request_id=rid(),
            payload=payload,
            note=step_note,
        )
    return case


# --- report -----------------------------------------------------------------------------------


def test_a_citizen_reports_through_the_intake_on_the_app_channel(world, citizen):
    user, token = citizen
    response = report(citizen_client(token), world)
    assert response.status_code == 201, response.json()
    body = response.json()
    case = Case.objects.get(pk=body["id"])
    assert case.source == SourceChannel.CITIZEN_APP
    assert case.reporter_id == user.pk
    assert case.status == Status.REPORTED
    assert body["status"] == "reported"
    assert body["is_open"] is True
    assert body["can_rate"] is False
    assert [e["status"] for e in body["timeline"]] == ["reported"]
    # The intake heard about it: the operators of the district get the new report.
    assert Outbox.objects.filter(case=case, topic="case.report").exists()


def test_the_same_request_id_again_is_one_report(world, citizen):
    _user, token = citizen
    client = citizen_client(token)
    body = report_body(world)
    first = client.post("/api/v1/citizen/reports/", body, format="json")
    again = client.post("/api/v1/citizen/reports/", body, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Case.objects.count() == 1


def test_two_citizens_may_use_the_same_request_id(world, citizen):
    _user, token = citizen
    _other, other_token = register_citizen(phone="13900009999")
    body = report_body(world)
    first = citizen_client(token).post("/api/v1/citizen/reports/", body, format="json")
    second = citizen_client(other_token).post("/api/v1/citizen/reports/", body, format="json")
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]


def test_a_report_with_photos_keeps_them_and_shows_them_to_the_citizen(world, citizen):
    _user, token = citizen
    client = citizen_client(token)
    response = client.post(
        "/api/v1/citizen/reports/", {**report_body(world), "photos": photos(2)}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert len(body["photos"]) == 2
    assert Attachment.objects.filter(case_id=body["id"]).count() == 2
    photo = client.get(body["photos"][0]["url"])
    assert photo.status_code == 200
    assert photo["Content-Type"] == "image/jpeg"


def test_a_retried_report_with_photos_uploads_nothing_new(world, citizen):
    _user, token = citizen
    client = citizen_client(token)
    body = report_body(world)
    client.post("/api/v1/citizen/reports/", {**body, "photos": photos(2)}, format="multipart")
    again = client.post(
        "/api/v1/citizen/reports/", {**body, "photos": photos(2)}, format="multipart"
    )
    assert again.status_code == 200
    assert Attachment.objects.count() == 2


def test_too_many_photos_are_refused_naming_the_field(world, citizen, settings):
    settings.CITIZEN_REPORT_MAX_PHOTOS = 2
    _user, token = citizen
    response = citizen_client(token).post(
        "/api/v1/citizen/reports/", {**report_body(world), "photos": photos(3)}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json()["errors"]["photos"] == ["At most 2 photos."]
    assert not Case.objects.exists()
    assert not Attachment.objects.exists()


def test_a_photo_over_the_citizen_size_limit_is_a_413_naming_the_field(world, citizen, settings):
    big = jpeg(size=(800, 600))
    settings.CITIZEN_PHOTO_MAX_BYTES = len(big) - 1
    _user, token = citizen
    upload = SimpleUploadedFile("big.jpg", big, content_type="image/jpeg")
    response = citizen_client(token).post(
        "/api/v1/citizen/reports/", {**report_body(world), "photos": [upload]}, format="multipart"
    )
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert "photos" in response.json()["errors"]
    assert not Case.objects.exists()


def test_a_body_declared_larger_than_the_limits_is_refused_before_reading(world, citizen, settings):
    settings.CITIZEN_REPORT_MAX_PHOTOS = 1
    settings.CITIZEN_PHOTO_MAX_BYTES = 1000
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    _user, token = citizen
    response = citizen_client(token).post(
        "/api/v1/citizen/reports/",
        {**report_body(world), "photos": [SimpleUploadedFile("a.jpg", jpeg(size=(900, 900)))]},
        format="multipart",
    )
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


def test_something_that_is_not_a_photo_is_refused(world, citizen):
    _user, token = citizen
    fake = SimpleUploadedFile("x.jpg", b"%PDF-1.4 not a photo", content_type="image/jpeg")
    response = citizen_client(token).post(
        "/api/v1/citizen/reports/", {**report_body(world), "photos": [fake]}, format="multipart"
    )
    assert response.status_code == 415
    assert not Case.objects.exists()


def test_a_report_with_bad_fields_names_each(world, citizen):
    _user, token = citizen
    response = citizen_client(token).post(
        "/api/v1/citizen/reports/", {"request_id": "x", "lon": 500}, format="json"
    )
    assert response.status_code == 400
    assert {"item", "description", "lon", "lat"} <= set(response.json()["errors"])


def test_a_report_outside_the_district_is_a_422(world, citizen):
    _user, token = citizen
    response = report(citizen_client(token), world, lon=121.0, lat=36.5)
    assert response.status_code == 422
    assert "point" in response.json()["errors"]


def test_reporting_is_throttled_per_citizen(world, citizen, monkeypatch):
    monkeypatch.setattr(
        ScopedRateThrottle,
        "THROTTLE_RATES",
        {**ScopedRateThrottle.THROTTLE_RATES, "citizen_report": "2/hour"},
    )
    _user, token = citizen
    client = citizen_client(token)
    statuses = [report(client, world).status_code for _ in range(3)]
    assert statuses == [201, 201, 429]
    assert client.get("/api/v1/citizen/reports/").status_code == 200  # reading is not limited


def test_staff_accounts_cannot_use_the_citizen_endpoints(world):
    client = client_for(world.users[Role.INTAKE_OPERATOR])
    assert report(client, world).status_code == 403
    assert client.get("/api/v1/citizen/reports/").status_code == 403


def test_the_citizen_endpoints_need_a_login(world):
    from rest_framework.test import APIClient

    assert APIClient().get("/api/v1/citizen/reports/").status_code == 401


# --- follow -----------------------------------------------------------------------------------


def test_a_citizen_lists_only_their_own_reports_newest_first(world, citizen):
    _user, token = citizen
    _other, other_token = register_citizen(phone="13900009999")
    client = citizen_client(token)
    first = report(client, world).json()["id"]
    second = report(client, world).json()["id"]
    report(citizen_client(other_token), world)
    world.report()  # an inspector's report
    listed = client.get("/api/v1/citizen/reports/").json()["results"]
    assert [r["id"] for r in listed] == [second, first]


def test_another_citizens_report_is_a_404(world, citizen):
    _user, token = citizen
    _other, other_token = register_citizen(phone="13900009999")
    theirs = report(citizen_client(other_token), world).json()["id"]
    client = citizen_client(token)
    assert client.get(f"/api/v1/citizen/reports/{theirs}/").status_code == 404
    response = client.post(f"/api/v1/citizen/reports/{theirs}/rate/", {"rating": 5}, format="json")
    assert response.status_code == 404


def test_the_public_timeline_has_status_changes_and_no_staff_personal_data(world, citizen):
    _user, token = citizen
    client = citizen_client(token)
    case_id = report(client, world).json()["id"]
    close(world, Case.objects.get(pk=case_id), note="已处理完毕，回访电话 0532-88886666")
    body = client.get(f"/api/v1/citizen/reports/{case_id}/").json()
    statuses = [e["status"] for e in body["timeline"]]
    assert statuses == [
        "reported",
        "registered",
        "filed",
        "dispatched",
        "handling",
        "handled",
        "checking",
        "check_passed",
        "closed",
    ]
    text = json.dumps(body, ensure_ascii=False)
    staff = [world.users[r] for r in (Role.UNIT_HANDLER, Role.SHIFT_SUPERVISOR, Role.INSPECTOR)]
    for user in staff:
        assert user.username not in text
    # The unit's own note (names, a phone) is internal; the closing note is owed, redacted.
    assert "王师傅" not in text
    assert "13700002222" not in text
    assert "88886666" not in text
    assert body["timeline"][-1]["note"] == "已处理完毕，回访电话 ***"
    for event in body["timeline"]:
        assert set(event) == {"at", "status", "status_label", "action", "action_label", "note"}
    assert "actor" not in text


def test_a_rejected_report_shows_why(world, citizen):
    _user, token = citizen
    client = citizen_client(token)
    case_id = report(client, world).json()["id"]
    case_transition(
        case_id=case_id,
        action="reject",
        actor=world.users[Role.INTAKE_OPERATOR],
        request_id=rid(),
        note="不属于城市管理范围",
    )
    body = client.get(f"/api/v1/citizen/reports/{case_id}/").json()
    assert body["status"] == "rejected"
    assert body["is_open"] is False
    assert body["timeline"][-1]["note"] == "不属于城市管理范围"
    assert body["can_rate"] is False


# --- rate -------------------------------------------------------------------------------------


def rate(client, case_id, **body):
    return client.post(
        f"/api/v1/citizen/reports/{case_id}/rate/", {"rating": 4, **body}, format="json"
    )


def test_a_citizen_rates_a_closed_report_once(world, citizen):
    user, token = citizen
    client = citizen_client(token)
    case_id = report(client, world).json()["id"]
    close(world, Case.objects.get(pk=case_id))
    assert client.get(f"/api/v1/citizen/reports/{case_id}/").json()["can_rate"] is True
    response = rate(client, case_id, rating=5, comment="很快就清理了")
    assert response.status_code == 200, response.json()
    assert response.json()["rating"] == 5
    assert response.json()["can_rate"] is False
    case = Case.objects.get(pk=case_id)
    assert (case.rating, case.rating_comment) == (5, "很快就清理了")
    event = CaseEvent.objects.get(case=case, action="rate")
    assert (event.actor_id, event.actor_role) == (user.pk, "reporter")
    again = rate(client, case_id, rating=1)
    assert again.status_code == 409
    assert again.json()["errors"]["rating"] == ["You have rated this report already."]
    assert Case.objects.get(pk=case_id).rating == 5


def test_an_open_report_cannot_be_rated_yet(world, citizen):
    _user, token = citizen
    client = citizen_client(token)
    case_id = report(client, world).json()["id"]
    response = rate(client, case_id)
    assert response.status_code == 409
    assert response.json()["errors"]["rating"] == ["You can rate a report once it is closed."]
    assert Case.objects.get(pk=case_id).rating is None


@pytest.mark.parametrize("rating", [0, 6, "five", None])
def test_a_rating_outside_1_to_5_is_refused_naming_the_field(world, citizen, rating):
    _user, token = citizen
    client = citizen_client(token)
    case_id = report(client, world).json()["id"]
    put_in_state(Case.objects.get(pk=case_id), Status.CLOSED)
    response = rate(client, case_id, rating=rating)
    assert response.status_code == 400
    assert "rating" in response.json()["errors"]

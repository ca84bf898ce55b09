"""The staff API needs a staff post: a citizen read the whole staff timeline of their own case
(staff names, roles, internal notes, the units' photos) through GET /api/v1/cases/{id}/.

Citizens use the citizen API, which still gives them what they need: their reports, the public
timeline, their own photos, the rating. Inspectors who reported a case and then moved grid
keep seeing it; other agencies' service accounts may only report through the intake.
"""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from cases.api.auth import agency_key_issue
from cases.attachments import attachment_upload
from cases.models import Attachment, Case
from cases.services import case_transition
from citizens import sms
from grids.models import Post, Role
from tests.cases import conftest as cases_conftest
from tests.cases.conftest import OTHER_GRID_POINT, POINT_IN_GRID, rid
from tests.citizens.citizen_helpers import citizen_client, register_citizen
from tests.citizens.test_accounts_reports import close, photos, report_body
from tests.helpers import client_for

pytestmark = pytest.mark.django_db
world = cases_conftest.world

# Every staff endpoint a citizen's token could try (GET), with what it needs.
STAFF_GETS = [
    "/api/v1/cases/",
    "/api/v1/me/",
    "/api/v1/me/grids/",
    "/api/v1/me/tasks/",
    "/api/v1/me/history/",
    "/api/v1/me/queue/",
    "/api/v1/regions/?level=street",
    f"/api/v1/locate/?lon={POINT_IN_GRID.x}&lat={POINT_IN_GRID.y}",
    "/api/v1/inspectors/positions/?bbox=120.2,36.0,120.5,36.2",
    f"/api/v1/emergency/nearest/?lon={POINT_IN_GRID.x}&lat={POINT_IN_GRID.y}",
    "/api/v1/evaluation/scores/?group=inspector&period=month",
    "/api/v1/registry/access-log/",
]


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


def citizen_report_with_photo(world, token) -> Case:
    client = citizen_client(token)
    response = client.post(
        "/api/v1/citizen/reports/", {**report_body(world), "photos": photos(1)}, format="multipart"
    )
    assert response.status_code == 201, response.content
    return Case.objects.get(pk=response.json()["id"])


def test_a_citizen_cannot_read_their_case_through_the_staff_api(world, citizen):
    _user, token = citizen
    case = citizen_report_with_photo(world, token)
    close(world, case, note="已处理")
    client = citizen_client(token)
    for url in (f"/api/v1/cases/{case.pk}/", f"/api/v1/cases/{case.pk}/actions/"):
        response = client.get(url)
        assert response.status_code == 403, url
        body = response.json()
        assert body["code"] == "permission_denied"
        assert set(body) >= {"code", "message", "errors"}
        text = json.dumps(body, ensure_ascii=False)
        assert "王师傅" not in text
        assert "timeline" not in text


@pytest.mark.parametrize("url", STAFF_GETS)
def test_every_staff_endpoint_refuses_a_citizen_with_the_error_body(world, citizen, url):
    _user, token = citizen
    response = citizen_client(token).get(url)
    assert response.status_code == 403, (url, response.content)
    assert response.json()["code"] == "permission_denied"


def test_the_citizen_api_still_gives_a_citizen_what_they_need(world, citizen):
    _user, token = citizen
    case = citizen_report_with_photo(world, token)
    close(world, case, note="已处理完毕")
    client = citizen_client(token)
    listed = client.get("/api/v1/citizen/reports/").json()["results"]
    assert [row["id"] for row in listed] == [case.pk]
    detail = client.get(f"/api/v1/citizen/reports/{case.pk}/").json()
    assert detail["timeline"][-1]["status"] == "closed"
    assert detail["timeline"][-1]["note"] == "已处理完毕"
    # Their own photo, through the access-checked file view.
    (photo,) = detail["photos"]
    assert client.get(photo["url"]).status_code == 200
    assert client.get(photo["thumbnail_url"]).status_code == 200
    rated = client.post(
        f"/api/v1/citizen/reports/{case.pk}/rate/", {"rating": 5, "comment": "好"}, format="json"
    )
    assert rated.status_code == 200, rated.content
    # Their inbox (they hear there that it was closed), the catalogue (public) and logging
    # out are open to them too.
    assert client.get("/api/v1/me/inbox/").status_code == 200
    assert client.post("/api/v1/me/inbox/read/", {"all": True}, format="json").status_code == 200
    assert client.get("/api/v1/catalogue/").status_code == 200
    assert client.post("/api/v1/auth/logout/").status_code == 204
    assert client.get("/api/v1/citizen/reports/").status_code == 401


def test_a_citizen_sees_no_staff_photo_of_their_case(world, citizen):
    _user, token = citizen
    case = citizen_report_with_photo(world, token)
    unit_photo = attachment_upload(actor=world.users[Role.UNIT_HANDLER], data=photos(1)[0])
    Attachment.objects.filter(pk=unit_photo.pk).update(case=case)
    response = citizen_client(token).get(f"/api/v1/attachments/{unit_photo.pk}/file/")
    assert response.status_code == 404


def test_an_inspector_moved_to_another_grid_still_sees_the_cases_they_reported(world, make_user):
    inspector = world.users[Role.INSPECTOR]
    own = world.report(inspector)
    other = world.report(world.users[Role.INTAKE_OPERATOR], source="hotline_12345")
    Post.objects.filter(user=inspector).update(is_active=False)
    Post.objects.create(
        user=inspector,
        role=Role.INSPECTOR,
        region=world.regions["370203002002002"],
        inspector_type="full_time",
    )
    client = client_for(inspector)
    assert client.get(f"/api/v1/cases/{own.pk}/").status_code == 200
    # The old grid's other cases are out of sight now.
    assert client.get(f"/api/v1/cases/{other.pk}/").status_code == 404
    listed = {row["id"] for row in client.get("/api/v1/cases/").json()["results"]}
    assert listed == {own.pk}


def test_staff_without_a_post_any_more_are_refused(world):
    inspector = world.users[Role.INSPECTOR]
    case = world.report(inspector)
    Post.objects.filter(user=inspector).update(is_active=False)
    client = client_for(inspector)
    assert client.get(f"/api/v1/cases/{case.pk}/").status_code == 403
    assert client.get("/api/v1/me/tasks/").status_code == 403


def test_an_agency_account_may_report_through_intake_and_do_nothing_else(world):
    issued = agency_key_issue(name="12345 政务服务热线", source="hotline_12345")
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=issued.key)
    body = {
        "item": world.item.code,
        "description": "市民来电：路口有垃圾堆放",
        "lon": OTHER_GRID_POINT.x,
        "lat": OTHER_GRID_POINT.y,
        "external_id": "GD-1",
    }
    created = client.post("/api/v1/intake/", body, format="json")
    assert created.status_code == 201, created.content
    case_id = created.json()["id"]
    # Resending the ticket is still one case.
    assert client.post("/api/v1/intake/", body, format="json").json()["id"] == case_id
    assert client.get(f"/api/v1/cases/{case_id}/").status_code == 403
    assert client.get("/api/v1/cases/").status_code == 403
    assert client.get("/api/v1/me/").status_code == 403


def test_a_citizen_cannot_use_the_staff_intake(world, citizen):
    _user, token = citizen
    body = {
        "item": world.item.code,
        "description": "路口有垃圾堆放",
        "lon": POINT_IN_GRID.x,
        "lat": POINT_IN_GRID.y,
        "request_id": rid(),
    }
    response = citizen_client(token).post("/api/v1/intake/", body, format="json")
    assert response.status_code == 403
    assert Case.objects.count() == 0


def test_a_co_handling_grant_still_opens_a_case_to_its_staff_holder(world, make_user):
    case = world.report()
    outsider = make_user(Role.UNIT_HANDLER, unit=world.street_office)
    case = case_transition(
        case_id=case.pk,
        action="register",
        actor=world.users[Role.INTAKE_OPERATOR],
        request_id=rid(),
    )
    from guardian.shortcuts import assign_perm

    assign_perm("cases.co_handle_case", outsider, case)
    assert client_for(outsider).get(f"/api/v1/cases/{case.pk}/").status_code == 200

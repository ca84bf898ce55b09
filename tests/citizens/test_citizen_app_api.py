"""What the citizens' app needs from /api/v1/citizen/: the public map of reports (published as
Open311 publishes requests), the categories, the request type, logging out, the one-time code
on the page in development, the inbox, and the updates a reporter hears about."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from cases.models import Case, Outbox, RequestType, SourceChannel, Status
from cases.services import case_transition
from citizens import sms
from citizens.demo import DEMO_CITIZEN_PHONE, seed_demo_citizen
from citizens.open311.services import NEARBY_WINDOW
from dispatch.notifications import deliver_outbox
from grids.models import Role
from tests.cases import conftest as cases_conftest
from tests.cases.conftest import POINT_IN_GRID, World, put_in_state, rid
from tests.citizens.citizen_helpers import PHONE, citizen_client, register_citizen
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

world = cases_conftest.world
BOX = "120.30,36.08,120.34,36.10"  # the whole test district


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


def anonymous() -> APIClient:
    client = APIClient()
    client.credentials(HTTP_ACCEPT_LANGUAGE="en")
    return client


def report(client: APIClient, world: World, **fields) -> dict:
    body = {
        "request_id": rid(),
        "item": world.item.code,
        "description": "门口垃圾没人清，打我电话 13912345678",
        "lon": POINT_IN_GRID.x,
        "lat": POINT_IN_GRID.y,
        "address": "辽宁路1号",
        **fields,
    }
    response = client.post("/api/v1/citizen/reports/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


# --- the request type -------------------------------------------------------------------------


def test_a_citizen_says_whether_it_is_a_problem_a_request_for_help_or_a_suggestion(world, citizen):
    _user, token = citizen
    body = report(citizen_client(token), world, request_type="help")
    assert body["request_type"] == "help"
    assert body["request_type_label"] == "A request for help"
    assert Case.objects.get(pk=body["id"]).request_type == RequestType.HELP


def test_the_request_type_defaults_to_a_problem_and_an_unknown_one_is_refused(world, citizen):
    _user, token = citizen
    client = citizen_client(token)
    assert report(client, world)["request_type"] == "problem"
    response = client.post(
        "/api/v1/citizen/reports/",
        {
            "request_id": rid(),
            "item": world.item.code,
            "description": "x",
            "lon": 120.305,
            "lat": 36.095,
            "request_type": "complaint",
        },
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"request_type"}


def test_staff_see_the_request_type_in_the_case(world, citizen):
    _user, token = citizen
    body = report(citizen_client(token), world, request_type="suggestion")
    detail = client_for(world.users[Role.INTAKE_OPERATOR]).get(f"/api/v1/cases/{body['id']}/")
    assert detail.json()["request_type"] == "suggestion"


# --- the public map ---------------------------------------------------------------------------


def test_the_public_map_shows_reports_without_the_reporter(world, citizen):
    user, token = citizen
    body = report(citizen_client(token), world)
    response = anonymous().get("/api/v1/citizen/nearby/", {"bbox": BOX})
    assert response.status_code == 200
    [entry] = response.json()["results"]
    assert entry["service_request_id"] == body["number"]
    assert entry["status"] == "open"
    # Published as Open311 publishes (citizens.redaction): a rounded point, numbers masked.
    assert entry["lat"] == pytest.approx(POINT_IN_GRID.y, abs=0.001)
    text = str(response.json())
    assert "13912345678" not in text
    assert "***" in entry["description"]
    for secret in (PHONE, "李四", user.username):
        assert secret not in text


def test_the_public_map_shows_only_the_box_and_filters_by_status(world, citizen):
    _user, token = citizen
    client = citizen_client(token)
    first = report(client, world)
    second = report(client, world)
    put_in_state(Case.objects.get(pk=second["id"]), Status.CLOSED)
    elsewhere = anonymous().get("/api/v1/citizen/nearby/", {"bbox": "120.32,36.08,120.34,36.09"})
    assert elsewhere.json()["results"] == []
    open_only = anonymous().get("/api/v1/citizen/nearby/", {"bbox": BOX, "status": "open"})
    assert [e["service_request_id"] for e in open_only.json()["results"]] == [first["number"]]
    closed = anonymous().get("/api/v1/citizen/nearby/", {"bbox": BOX, "status": "closed"})
    assert [e["service_request_id"] for e in closed.json()["results"]] == [second["number"]]


def test_old_reports_leave_the_public_map(world, citizen):
    _user, token = citizen
    body = report(citizen_client(token), world)
    case = Case.objects.get(pk=body["id"])
    Case.objects.filter(pk=case.pk).update(reported_at=case.reported_at - NEARBY_WINDOW)
    assert anonymous().get("/api/v1/citizen/nearby/", {"bbox": BOX}).json()["results"] == []


@pytest.mark.parametrize("bbox", ["", "1,2,3", "a,b,c,d", "120.34,36.08,120.30,36.10"])
def test_a_bad_box_is_a_400_naming_it(world, bbox):
    response = anonymous().get("/api/v1/citizen/nearby/", {"bbox": bbox})
    assert response.status_code == 400
    assert "bbox" in response.json()["errors"]


def test_the_categories_are_the_published_catalogue_in_groups(world):
    response = anonymous().get("/api/v1/citizen/categories/")
    assert response.status_code == 200
    codes = {row["code"]: row for row in response.json()}
    assert codes[world.item.code]["name"] == "暴露垃圾"
    assert codes[world.item.code]["group"] == "市容环境"


# --- accounts ---------------------------------------------------------------------------------


def test_in_development_the_code_comes_back_to_the_page(world, settings):
    settings.DEBUG = True
    response = anonymous().post(
        "/api/v1/citizen/otp/", {"phone": "13700001111", "purpose": "register"}, format="json"
    )
    assert response.status_code == 202
    assert response.json()["dev_code"] in sms.outbox[-1].text


def test_in_production_the_code_only_goes_by_sms(world, settings):
    settings.DEBUG = False
    response = anonymous().post(
        "/api/v1/citizen/otp/", {"phone": "13700001111", "purpose": "register"}, format="json"
    )
    assert response.status_code == 202
    assert "dev_code" not in response.json()


def test_no_code_comes_back_when_none_was_sent(world, settings):
    settings.DEBUG = True
    # A login code for a phone without an account is not sent (the answer looks the same).
    response = anonymous().post(
        "/api/v1/citizen/otp/", {"phone": "13700001112", "purpose": "login"}, format="json"
    )
    assert response.status_code == 202
    assert "dev_code" not in response.json()


def test_logging_out_ends_the_token(world, citizen):
    _user, token = citizen
    client = citizen_client(token)
    assert client.post("/api/v1/citizen/logout/").status_code == 204
    assert client.get("/api/v1/citizen/reports/").status_code == 401


def test_staff_cannot_use_the_citizen_logout(world):
    response = client_for(world.users[Role.INSPECTOR]).post("/api/v1/citizen/logout/")
    assert response.status_code == 403


def test_the_demo_citizen_logs_in_with_the_demo_password(world):
    seed_demo_citizen(password="wangge-demo-2026")
    seed_demo_citizen(password="wangge-demo-2026")  # idempotent
    response = anonymous().post(
        "/api/v1/citizen/login/",
        {"phone": DEMO_CITIZEN_PHONE, "password": "wangge-demo-2026"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["token"]


# --- hearing about one's reports -------------------------------------------------------------


def _dispatch(world: World, case_id: int) -> None:
    case = Case.objects.get(pk=case_id)
    for actor, action, payload in (
        (Role.INTAKE_OPERATOR, "register", {}),
        (Role.SHIFT_SUPERVISOR, "file", {}),
        (Role.DISPATCHER, "dispatch", {"unit_id": world.department.pk}),
    ):
        case = case_transition(
            case_id=case.pk,
            action=action,
            actor=world.users[actor],
            request_id=rid(),
            expected_version=case.version,
            payload=payload,
        )


def test_the_reporter_hears_when_the_report_is_filed_and_dispatched(world, citizen):
    user, token = citizen
    client = citizen_client(token)
    body = report(client, world)
    _dispatch(world, body["id"])
    topics = list(
        Outbox.objects.filter(case_id=body["id"], topic__startswith="report.")
        .order_by("pk")
        .values_list("topic", "recipients")
    )
    assert topics == [
        ("report.file", {"users": [user.pk]}),
        ("report.dispatch", {"users": [user.pk]}),
    ]
    deliver_outbox()
    inbox = client.get("/api/v1/citizen/inbox/")
    assert inbox.status_code == 200
    assert inbox["X-Unread-Count"] == "2"
    titles = [message["title"] for message in inbox.json()["results"]]
    # In the site's language (Chinese): messages are written once, for every reader.
    assert any("已派遣给处置单位" in title for title in titles), titles
    assert client.post("/api/v1/citizen/inbox/read/", {"all": True}, format="json").json() == {
        "marked": 2,
        "unread": 0,
    }


def test_an_inspectors_report_sends_no_citizen_updates(world):
    case = world.report()
    _dispatch(world, case.pk)
    assert case.source == SourceChannel.INSPECTOR
    assert not Outbox.objects.filter(case=case, topic__startswith="report.").exists()


def test_the_public_map_reads_any_number_of_reports_in_one_query(
    world, citizen, django_assert_max_num_queries
):
    _user, token = citizen
    client = citizen_client(token)
    for _ in range(6):
        report(client, world)
    with django_assert_max_num_queries(1):
        response = anonymous().get("/api/v1/citizen/nearby/", {"bbox": BOX})
    assert len(response.json()["results"]) == 6

"""The case endpoints: list and report, detail, actions, the reporter's contact, a unit's
queue and the one-window intake. Requests carry a real token (or an agency's key)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.gis.geos import Point
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, transaction
from django.urls import include, path
from django.utils import timezone
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from PIL import Image
from rest_framework.test import APIClient

from cases.api.auth import agency_key_issue
from cases.errors import InvalidInput
from cases.intake import case_intake, mask_name, mask_phone
from cases.models import Attachment, Case, CaseEvent, Contact, ContactAccessLog, Status
from cases.services import ReportInput, case_transition
from grids.models import Role
from tests.cases import conftest as cases_conftest
from tests.cases.conftest import OTHER_GRID_POINT, POINT_IN_GRID, World, put_in_state, rid
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

world = cases_conftest.world
OUTSIDE = (121.0, 36.5)
OTHER_GRID = "370203002002002"


def as_role(world: World, role: str) -> APIClient:
    return client_for(world.users[role])


def jpeg(color=(30, 120, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), color).save(buffer, format="JPEG")
    return buffer.getvalue()


def report_body(world: World, **overrides) -> dict:
    body = {
        "request_id": rid(),
        "item": world.item.code,
        "description": "路边暴露垃圾一堆",
        "lon": POINT_IN_GRID.x,
        "lat": POINT_IN_GRID.y,
        "address": "辽宁路1号",
    }
    body.update(overrides)
    return body


def act(client: APIClient, case: Case | int, action: str, version: int, **body):
    case_id = case if isinstance(case, int) else case.pk
    return client.post(
        f"/api/v1/cases/{case_id}/actions/",
        {"action": action, "version": version, "request_id": rid(), **body},
        format="json",
    )


def other_grid_case(world: World) -> Case:
    """A case in a grid the test inspector does not patrol (reported by intake)."""
    return world.report(
        world.users[Role.INTAKE_OPERATOR], source="hotline_12345", point=OTHER_GRID_POINT
    )


def dispatched(world: World, case: Case, unit=None) -> Case:
    for action, role, payload in [
        ("register", Role.INTAKE_OPERATOR, {}),
        ("file", Role.SHIFT_SUPERVISOR, {}),
        ("dispatch", Role.DISPATCHER, {"unit_id": (unit or world.department).pk}),
    ]:
        case = case_transition(
            case_id=case.pk,
            action=action,
            actor=world.users[role],
            request_id=rid(),
            payload=payload,
        )
    return case


# --- list -------------------------------------------------------------------------------------


def test_an_inspector_lists_only_the_cases_of_their_grid_newest_first(world):
    first = world.report()
    second = world.report()
    other_grid_case(world)
    response = as_role(world, Role.INSPECTOR).get("/api/v1/cases/")
    assert response.status_code == 200
    body = response.json()
    assert [row["id"] for row in body["results"]] == [second.pk, first.pk]
    row = body["results"][0]
    assert set(row) == {
        "id",
        "number",
        "status",
        "urgency",
        "item",
        "address",
        "point",
        "grid",
        "handling_level",
        "handling_unit",
        "reported_at",
        "stage_due_at",
        "stage_warn_at",
        "version",
    }
    assert row["grid"] == "370203001001001"
    assert row["item"]["code"] == world.item.code
    assert row["point"]["coordinates"] == pytest.approx([POINT_IN_GRID.x, POINT_IN_GRID.y])


def test_the_list_pages_by_cursor(world):
    cases = [world.report() for _ in range(3)]
    client = as_role(world, Role.INSPECTOR)
    page = client.get("/api/v1/cases/", {"page_size": 2}).json()
    assert [row["id"] for row in page["results"]] == [cases[2].pk, cases[1].pk]
    page = client.get(page["next"]).json()
    assert [row["id"] for row in page["results"]] == [cases[0].pk]
    assert page["next"] is None


def test_the_list_filters_by_status_item_place_unit_urgency_time_and_overdue(world):
    reported = world.report()
    filed = put_in_state(world.report(urgency="urgent"), Status.FILED)
    late = put_in_state(
        world.report(),
        Status.DISPATCHED,
        handling_unit=world.department,
        stage_due_at=timezone.now() - dt.timedelta(hours=1),
    )
    elsewhere = other_grid_case(world)
    client = as_role(world, Role.DISPATCHER)

    def ids(**params) -> set[int]:
        response = client.get("/api/v1/cases/", params)
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    assert ids(status=["filed", "dispatched"]) == {filed.pk, late.pk}
    assert ids(item=world.item.code) == {reported.pk, filed.pk, late.pk, elsewhere.pk}
    assert ids(item=world.natural_item.code) == set()
    assert ids(source="hotline_12345") == {elsewhere.pk}
    assert ids(street="370203002") == {elsewhere.pk}
    assert ids(community="370203001001") == {reported.pk, filed.pk, late.pk}
    assert ids(grid=OTHER_GRID) == {elsewhere.pk}
    assert ids(handling_unit=world.department.pk) == {late.pk}
    assert ids(urgency="urgent") == {filed.pk}
    assert ids(overdue="true") == {late.pk}
    assert late.pk not in ids(overdue="false")
    assert ids(bbox="120.33,36.08,120.34,36.09") == {elsewhere.pk}
    future = (timezone.now() + dt.timedelta(days=1)).isoformat()
    assert ids(reported_at_after=future) == set()
    assert len(ids(reported_at_before=future)) == 4


def test_a_malformed_filter_is_a_400_naming_the_field(world):
    client = as_role(world, Role.DISPATCHER)
    response = client.get("/api/v1/cases/", {"bbox": "1,2,3"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "bbox" in response.json()["errors"]
    response = client.get("/api/v1/cases/", {"status": "nonsense"})
    assert response.status_code == 400
    assert "status" in response.json()["errors"]


# --- report -----------------------------------------------------------------------------------


def test_an_inspector_reports_with_json_and_gets_the_detail(world):
    client = as_role(world, Role.INSPECTOR)
    response = client.post("/api/v1/cases/", report_body(world), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    case = Case.objects.get(pk=body["id"])
    assert (body["status"], body["source"], body["version"]) == ("reported", "inspector", 1)
    assert body["location"]["grid"]["code"] == case.grid_id
    assert body["location"]["district"]["name"] == "市北区"
    assert [event["action"] for event in body["timeline"]] == ["report"]
    assert body["timeline"][0]["actor"]["role"] == "inspector"


def test_a_report_retried_with_the_same_request_id_returns_the_same_case(world):
    client = as_role(world, Role.INSPECTOR)
    body = report_body(world)
    first = client.post("/api/v1/cases/", body, format="json")
    again = client.post("/api/v1/cases/", body, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Case.objects.count() == 1


def test_an_inspector_reports_with_photos_in_a_multipart_form(world):
    client = as_role(world, Role.INSPECTOR)
    body = report_body(world)
    body["photos"] = [
        SimpleUploadedFile("a.jpg", jpeg(), content_type="image/jpeg"),
        SimpleUploadedFile("b.jpg", jpeg((10, 200, 10)), content_type="image/jpeg"),
    ]
    response = client.post("/api/v1/cases/", body, format="multipart")
    assert response.status_code == 201, response.json()
    detail = response.json()
    assert len(detail["attachments"]) == 2
    assert detail["timeline"][0]["attachments"][0]["url"].startswith(
        "http://testserver/api/v1/attachments/"
    )
    assert Attachment.objects.filter(case_id=detail["id"]).count() == 2


def test_a_report_with_a_photo_uploaded_first_claims_it(world):
    client = as_role(world, Role.INSPECTOR)
    from cases.attachments import attachment_upload

    photo = attachment_upload(actor=world.users[Role.INSPECTOR], data=jpeg())
    response = client.post(
        "/api/v1/cases/", report_body(world, attachment_ids=[photo.pk]), format="json"
    )
    assert response.status_code == 201
    assert [a["id"] for a in response.json()["attachments"]] == [photo.pk]


def test_a_report_that_fails_keeps_its_uploaded_photos_unclaimed(world):
    client = as_role(world, Role.INSPECTOR)
    # Not the inspector's grid: refused after the photo was stored.
    body = report_body(world, lon=OTHER_GRID_POINT.x, lat=OTHER_GRID_POINT.y)
    body["photos"] = [SimpleUploadedFile("a.jpg", jpeg(), content_type="image/jpeg")]
    response = client.post("/api/v1/cases/", body, format="multipart")
    assert response.status_code == 403
    assert Case.objects.count() == 0
    assert Attachment.objects.filter(event__isnull=True).count() == 1


def test_a_report_with_bad_fields_names_each_and_writes_nothing(world):
    client = as_role(world, Role.INSPECTOR)
    response = client.post(
        "/api/v1/cases/",
        {"request_id": rid(), "item": "Z999999", "lon": 500, "urgency": "whenever"},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert {"item", "description", "lon", "lat", "urgency"} <= set(body["errors"])
    assert Case.objects.count() == 0


def test_an_unknown_or_inactive_item_is_refused_by_id_too(world):
    world.item.is_active = False
    world.item.save()
    response = as_role(world, Role.INSPECTOR).post(
        "/api/v1/cases/", report_body(world, item=world.item.pk), format="json"
    )
    assert response.status_code == 400
    assert "item" in response.json()["errors"]


def test_a_report_outside_the_district_is_a_422_with_a_message(world):
    response = as_role(world, Role.INSPECTOR).post(
        "/api/v1/cases/", report_body(world, lon=OUTSIDE[0], lat=OUTSIDE[1]), format="json"
    )
    assert response.status_code == 422
    assert response.json()["code"] == "outside_district"
    assert "outside the district" in response.json()["message"]


def test_an_inspector_self_handles_a_small_problem(world):
    response = as_role(world, Role.INSPECTOR).post(
        "/api/v1/cases/", report_body(world, self_handled=True, note="随手清理"), format="json"
    )
    assert response.status_code == 201
    assert (response.json()["status"], response.json()["source"]) == ("closed", "self_handled")


# --- detail and actions -----------------------------------------------------------------------


def test_the_detail_has_the_timeline_with_actors_and_the_actions_available(world):
    original = world.report()
    case = world.report()  # the same problem again, at the same point
    client = as_role(world, Role.INTAKE_OPERATOR)
    body = client.get(f"/api/v1/cases/{case.pk}/").json()
    assert body["number"] == case.number
    event = body["timeline"][0]
    assert event["actor"] == {
        "id": world.users[Role.INSPECTOR].pk,
        "name": "inspector",
        "role": "inspector",
        "role_label": "Inspector",
    }
    assert (event["from_status"], event["to_status"]) == ("", "reported")
    actions = {a["action"]: a for a in body["actions"]}
    assert {"send_verify", "register", "reject", "mark_duplicate"} <= set(actions)
    assert actions["reject"]["needs_note"] is True
    # Whether a form asks first comes from the workflow table.
    assert (actions["reject"]["confirm"], actions["reject"]["confirm_text"]) == (True, "")
    assert actions["register"]["confirm"] is False
    original_field = actions["mark_duplicate"]["payload_fields"][0]
    assert original_field["name"] == "original_case_id"
    assert original_field["suggested"] == original.pk  # the likely duplicate, nearest first


def test_push_down_asks_first_in_its_own_words(world):
    from tests.cases.conftest import put_in_state

    case = put_in_state(world.report(), Status.FILED)
    hints = {
        a["action"]: a
        for a in as_role(world, Role.DISPATCHER).get(f"/api/v1/cases/{case.pk}/actions/").json()
    }
    push = hints["push_down"]
    assert (push["emphasis"], push["confirm"]) == ("secondary", True)
    assert "%(number)s" in push["confirm_text"]
    assert hints["dispatch"]["confirm"] is False


def test_mark_duplicate_without_a_likely_original_takes_a_case_number(world):
    other_grid_case(world)  # open, but far away: not a candidate
    lonely = world.report()
    hints = {
        a["action"]: a
        for a in as_role(world, Role.INTAKE_OPERATOR)
        .get(f"/api/v1/cases/{lonely.pk}/actions/")
        .json()
    }
    assert "register" in hints
    # No candidate nearby: the operator may still name the original by its number.
    fields = {f["name"]: f for f in hints["mark_duplicate"]["payload_fields"]}
    assert fields["original_case_id"]["choices"] == []
    assert fields["original_case_number"]["type"] == "string"


def test_the_actions_endpoint_lists_what_the_user_may_do_now(world):
    case = world.report()
    assert as_role(world, Role.INSPECTOR).get(f"/api/v1/cases/{case.pk}/actions/").json() == []
    names = [
        a["action"]
        for a in as_role(world, Role.INTAKE_OPERATOR)
        .get(f"/api/v1/cases/{case.pk}/actions/")
        .json()
    ]
    assert "register" in names
    assert "file" not in names


@pytest.mark.parametrize(
    ("language", "help_text", "unit_label", "length_label"),
    [
        ("zh-hans", "附近同一事项的在办案件。", "工作日", "延期时长"),
        ("en", "An open case of the same item nearby.", "working days", "Extension length"),
    ],
)
def test_action_hints_speak_the_readers_language(
    world, language, help_text, unit_label, length_label
):
    """The hints are translated per request, not frozen in the language the module loaded in."""
    world.report()
    case = world.report()
    url = f"/api/v1/cases/{case.pk}/actions/"
    response = client_for(world.users[Role.INTAKE_OPERATOR], language).get(url)
    hints = {h["action"]: h for h in response.json()}
    assert hints["mark_duplicate"]["payload_fields"][0]["help"] == help_text
    assert hints["register"]["photos"] is False
    handling = put_in_state(world.report(), Status.HANDLING, handling_unit=world.department)
    url = f"/api/v1/cases/{handling.pk}/actions/"
    response = client_for(world.users[Role.UNIT_HANDLER], language).get(url)
    hints = {h["action"]: h for h in response.json()}
    assert hints["feedback"]["photos"] is True
    unit_choices = hints["request_extension"]["payload_fields"][1]["choices"]
    assert unit_label in {choice["label"] for choice in unit_choices}
    # A form's label is a name in plain words, never the help sentence.
    assert hints["request_extension"]["payload_fields"][0]["label"] == length_label


def test_the_dispatch_hint_lists_the_units_and_suggests_the_items_unit(world):
    case = put_in_state(world.report(), Status.FILED)
    hints = as_role(world, Role.DISPATCHER).get(f"/api/v1/cases/{case.pk}/actions/").json()
    dispatch = next(h for h in hints if h["action"] == "dispatch")
    unit_field = dispatch["payload_fields"][0]
    assert unit_field["name"] == "unit_id"
    assert unit_field["suggested"] == world.department.pk
    assert {c["value"] for c in unit_field["choices"]} == {
        world.department.pk,
        world.street_office.pk,
    }


def test_an_action_moves_the_case_and_returns_the_detail(world):
    case = world.report()
    response = act(as_role(world, Role.INTAKE_OPERATOR), case, "register", 1)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["version"]) == ("registered", 2)
    assert [e["action"] for e in body["timeline"]] == ["report", "register"]


def test_an_action_retried_with_the_same_request_id_is_applied_once(world):
    case = world.report()
    client = as_role(world, Role.INTAKE_OPERATOR)
    body = {"action": "register", "version": 1, "request_id": "retry-me"}
    first = client.post(f"/api/v1/cases/{case.pk}/actions/", body, format="json")
    again = client.post(f"/api/v1/cases/{case.pk}/actions/", body, format="json")
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json()["version"] == 2
    assert CaseEvent.objects.filter(case=case).count() == 2


def test_a_stale_version_is_a_409_naming_the_current_version(world):
    case = world.report()
    act(as_role(world, Role.INTAKE_OPERATOR), case, "register", 1)
    response = act(as_role(world, Role.SHIFT_SUPERVISOR), case, "file", 1)
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "version_conflict"
    assert body["current_version"] == 2
    assert "version 2" in body["message"]


def test_an_action_not_allowed_now_is_a_409(world):
    case = world.report()
    response = act(as_role(world, Role.SHIFT_SUPERVISOR), case, "close", 1)
    assert response.status_code == 409
    assert response.json()["code"] == "action_not_allowed"


def test_an_unknown_action_is_a_400_naming_the_field(world):
    case = world.report()
    response = act(as_role(world, Role.INTAKE_OPERATOR), case, "teleport", 1)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "action" in response.json()["errors"]


def test_version_and_request_id_are_required(world):
    case = world.report()
    response = as_role(world, Role.INTAKE_OPERATOR).post(
        f"/api/v1/cases/{case.pk}/actions/", {"action": "register"}, format="json"
    )
    assert response.status_code == 400
    assert {"version", "request_id"} <= set(response.json()["errors"])
    assert Case.objects.get(pk=case.pk).version == 1


def test_a_role_without_standing_gets_a_403(world):
    case = world.report()
    response = act(as_role(world, Role.INSPECTOR), case, "register", 1)
    assert response.status_code == 403
    assert response.json()["code"] == "not_permitted"


def test_a_payload_error_names_the_payload_field(world):
    case = put_in_state(world.report(), Status.FILED)
    response = act(as_role(world, Role.DISPATCHER), case, "dispatch", 1, payload={"unit_id": "x"})
    assert response.status_code == 400
    assert "unit_id" in response.json()["errors"]
    response = act(as_role(world, Role.DISPATCHER), case, "dispatch", 1, payload=[1])
    assert response.status_code == 400
    assert "payload" in response.json()["errors"]


def test_a_unit_feeds_back_with_photos_in_a_multipart_form(world):
    case = dispatched(world, world.report())
    client = as_role(world, Role.UNIT_HANDLER)
    assert act(client, case, "sign_for", case.version).status_code == 200
    response = client.post(
        f"/api/v1/cases/{case.pk}/actions/",
        {
            "action": "feedback",
            "version": case.version + 1,
            "request_id": rid(),
            "note": "已清理",
            "payload": "{}",
            "photos": [SimpleUploadedFile("done.jpg", jpeg(), content_type="image/jpeg")],
        },
        format="multipart",
    )
    assert response.status_code == 200, response.json()
    feedback = response.json()["timeline"][-1]
    assert feedback["action"] == "feedback"
    assert len(feedback["attachments"]) == 1


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("get", ""), ("get", "actions/"), ("post", "actions/"), ("get", "contact/?reason=x")],
)
def test_a_case_in_another_jurisdiction_is_a_404(world, method, suffix):
    case = other_grid_case(world)
    client = as_role(world, Role.INSPECTOR)
    url = f"/api/v1/cases/{case.pk}/{suffix}"
    if method == "post":
        response = client.post(
            url, {"action": "verify", "version": 1, "request_id": rid()}, format="json"
        )
    else:
        response = client.get(url)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert Case.objects.get(pk=case.pk).version == 1


def test_a_unit_does_not_see_another_units_case(world):
    case = dispatched(world, world.report(), unit=world.street_office)
    response = as_role(world, Role.UNIT_HANDLER).get(f"/api/v1/cases/{case.pk}/")
    assert response.status_code == 404


# --- the reporter's contact -------------------------------------------------------------------


def hotline_case(world: World) -> Case:
    return world.report(
        world.users[Role.INTAKE_OPERATOR],
        source="hotline_12345",
        contact_name="张三丰",
        contact_phone="13812345678",
    )


def test_masking_keeps_the_first_character_and_the_phones_ends():
    assert mask_name("张三丰") == "张*"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("5551234") == "55****34"
    assert (mask_name(""), mask_phone("")) == ("", "")


def test_intake_sees_the_contact_masked_and_each_read_is_logged(world):
    case = hotline_case(world)
    client = as_role(world, Role.INTAKE_OPERATOR)
    for expected in (1, 2):
        body = client.get(f"/api/v1/cases/{case.pk}/", HTTP_X_REQUEST_ID="rq-7").json()
        assert body["contact"] == {"name": "张*", "phone": "138****5678", "masked": True}
        assert ContactAccessLog.objects.count() == expected
    log = ContactAccessLog.objects.first()
    assert (log.user, log.role, log.case, log.contact, log.full) == (
        world.users[Role.INTAKE_OPERATOR],
        "intake_operator",
        case,
        case.reporter_contact,
        False,
    )
    assert (log.request_id, log.ip) == ("rq-7", "127.0.0.1")


def test_roles_outside_intake_see_no_contact_and_nothing_is_logged(world):
    case = hotline_case(world)
    for role in (Role.DISPATCHER, Role.INSPECTOR, Role.ADMINISTRATOR):
        body = as_role(world, role).get(f"/api/v1/cases/{case.pk}/").json()
        assert body["contact"] is None
    assert ContactAccessLog.objects.count() == 0


def test_a_supervisor_reads_the_whole_contact_with_a_reason_and_it_is_logged(world):
    case = hotline_case(world)
    response = as_role(world, Role.SHIFT_SUPERVISOR).get(
        f"/api/v1/cases/{case.pk}/contact/", {"reason": "回访核实"}
    )
    assert response.status_code == 200
    assert response.json() == {"name": "张三丰", "phone": "13812345678", "masked": False}
    log = ContactAccessLog.objects.get()
    assert (log.full, log.reason, log.role) == (True, "回访核实", "shift_supervisor")


def test_a_district_leader_may_read_the_whole_contact(world):
    case = hotline_case(world)
    response = as_role(world, Role.DISTRICT_LEADER).get(
        f"/api/v1/cases/{case.pk}/contact/", {"reason": "督办回访"}
    )
    assert response.status_code == 200


def test_the_whole_contact_needs_a_reason(world):
    case = hotline_case(world)
    response = as_role(world, Role.INTAKE_OPERATOR).get(f"/api/v1/cases/{case.pk}/contact/")
    assert response.status_code == 400
    assert "reason" in response.json()["errors"]
    assert ContactAccessLog.objects.count() == 0


def test_other_roles_may_not_read_the_whole_contact(world):
    case = hotline_case(world)
    response = as_role(world, Role.DISPATCHER).get(
        f"/api/v1/cases/{case.pk}/contact/", {"reason": "想知道"}
    )
    assert response.status_code == 403
    assert ContactAccessLog.objects.count() == 0


def test_a_case_without_a_contact_has_none_to_read(world):
    case = world.report()
    client = as_role(world, Role.INTAKE_OPERATOR)
    assert client.get(f"/api/v1/cases/{case.pk}/").json()["contact"] is None
    response = client.get(f"/api/v1/cases/{case.pk}/contact/", {"reason": "回访"})
    assert response.status_code == 404
    assert ContactAccessLog.objects.count() == 0


# --- a unit's queue ---------------------------------------------------------------------------


def test_a_units_queue_holds_its_own_cases_nearest_due_first(world):
    later = dispatched(world, world.report())
    sooner = dispatched(world, world.report())
    Case.objects.filter(pk=sooner.pk).update(stage_due_at=later.stage_due_at - dt.timedelta(1))
    dispatched(world, world.report(), unit=world.street_office)  # another unit's
    world.report()  # not dispatched yet
    closed = put_in_state(dispatched(world, world.report()), Status.CLOSED)
    response = as_role(world, Role.UNIT_HANDLER).get("/api/v1/me/queue/")
    assert response.status_code == 200
    ids = [row["id"] for row in response.json()["results"]]
    assert ids == [sooner.pk, later.pk]
    assert closed.pk not in ids


def test_a_street_officer_queue_holds_the_street_offices_cases(world):
    mine = dispatched(world, world.report(), unit=world.street_office)
    dispatched(world, world.report())  # the department's
    response = as_role(world, Role.STREET_OFFICER).get("/api/v1/me/queue/")
    assert [row["id"] for row in response.json()["results"]] == [mine.pk]


def test_a_command_centre_post_has_an_empty_queue(world):
    dispatched(world, world.report())
    response = as_role(world, Role.DISPATCHER).get("/api/v1/me/queue/")
    assert response.status_code == 200
    assert response.json()["results"] == []


# --- one-window intake ------------------------------------------------------------------------


def intake_body(world: World, **overrides) -> dict:
    body = {
        "item": world.item.code,
        "description": "市民来电：路口有垃圾堆放",
        "lon": POINT_IN_GRID.x,
        "lat": POINT_IN_GRID.y,
        "address": "辽宁路与延安路路口",
        "contact": {"name": "李四", "phone": "13900001111"},
        "external_id": "GD-20261127-0001",
    }
    body.update(overrides)
    return body


def intake_input(world: World, **overrides) -> ReportInput:
    data = ReportInput(
        source="",
        item_id=world.item.pk,
        description="路口有垃圾堆放",
        point=POINT_IN_GRID,
        address="辽宁路与延安路路口",
    )
    for key, value in overrides.items():
        setattr(data, key, value)
    return data


@pytest.fixture
def agency(world):
    issued = agency_key_issue(name="12345 政务服务热线", source="hotline_12345")
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=issued.key, HTTP_ACCEPT_LANGUAGE="en")
    return client


def test_an_agency_reports_through_intake_with_its_key_and_its_channel(world, agency):
    response = agency.post("/api/v1/intake/", intake_body(world, source="web"), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    case = Case.objects.get(pk=body["id"])
    assert case.source == body["source"] == "hotline_12345"
    assert (body["number"], body["status"]) == (case.number, "reported")
    assert body["location"]["grid"] == {
        "code": "370203001001001",
        "name": "grid-370203001001001",
        "kind": "unit",
    }
    assert [body["location"][level]["code"] for level in ("community", "street", "district")] == [
        "370203001001",
        "370203001",
        "370203",
    ]
    assert (case.reporter_contact.name, case.reporter_contact.phone) == ("李四", "13900001111")


def test_an_agency_resending_its_ticket_gets_the_same_case(world, agency):
    first = agency.post("/api/v1/intake/", intake_body(world), format="json")
    again = agency.post("/api/v1/intake/", intake_body(world), format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert (Case.objects.count(), Contact.objects.count()) == (1, 1)


def test_intake_suggests_open_cases_of_the_same_item_nearby(world, agency):
    nearby = world.report(point=Point(POINT_IN_GRID.x + 0.0001, POINT_IN_GRID.y, srid=4326))
    world.report(item_id=world.natural_item.pk)  # another item
    response = agency.post("/api/v1/intake/", intake_body(world), format="json")
    duplicates = response.json()["duplicates"]
    assert [d["id"] for d in duplicates] == [nearby.pk]
    assert duplicates[0]["number"] == nearby.number
    assert duplicates[0]["status"] == "reported"
    assert 5 < duplicates[0]["distance_m"] < 12  # 0.0001° of longitude at 36° N ≈ 9 m


def test_intake_outside_the_district_is_a_422_with_a_message(world, agency):
    response = agency.post(
        "/api/v1/intake/", intake_body(world, lon=OUTSIDE[0], lat=OUTSIDE[1]), format="json"
    )
    assert response.status_code == 422
    assert response.json()["code"] == "outside_district"
    assert response.json()["message"]
    assert (Case.objects.count(), Contact.objects.count()) == (0, 0)


def test_a_hotline_operator_takes_a_call_through_intake(world):
    client = as_role(world, Role.INTAKE_OPERATOR)
    response = client.post(
        "/api/v1/intake/", intake_body(world, source="police_110"), format="json"
    )
    assert response.status_code == 201, response.json()
    case = Case.objects.get(pk=response.json()["id"])
    assert (case.source, case.reporter) == ("police_110", world.users[Role.INTAKE_OPERATOR])
    # The operator sees the caller masked in the case, as shown.
    detail = client.get(f"/api/v1/cases/{case.pk}/").json()
    assert detail["contact"]["phone"] == "139****1111"


def test_an_operator_must_name_the_channel_and_a_ticket_or_request_id(world):
    client = as_role(world, Role.INTAKE_OPERATOR)
    response = client.post(
        "/api/v1/intake/", intake_body(world, external_id="", source=""), format="json"
    )
    assert response.status_code == 400
    assert "source" in response.json()["errors"]
    response = client.post(
        "/api/v1/intake/", intake_body(world, external_id="", source="web"), format="json"
    )
    assert response.status_code == 400
    assert "external_id" in response.json()["errors"]


def test_a_citizens_account_reports_through_the_app_channel_only(world, django_user_model):
    citizen = django_user_model.objects.create_user(username="citizen", password="pw-123456!")
    # The intake service takes a citizen's report on a citizen channel (the citizen API and
    # Open311 call it); another channel is refused.
    case = case_intake(actor=citizen, data=intake_input(world), request_id="app-1").case
    assert case.source == "citizen_app"
    with pytest.raises(InvalidInput) as refused:
        case_intake(actor=citizen, data=intake_input(world, source="police_110"), request_id="a2")
    assert "source" in refused.value.field_errors
    # The staff endpoints are closed to the account: it uses /api/v1/citizen/.
    client = client_for(citizen)
    response = client.post(
        "/api/v1/intake/", intake_body(world, request_id="app-3", external_id=""), format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert client.get("/api/v1/cases/").status_code == 403


def test_intake_validates_every_field(world, agency):
    response = agency.post(
        "/api/v1/intake/",
        {"item": "nope", "lat": 100, "contact": {"phone": "call me"}},
        format="json",
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert {"item", "description", "lon", "lat", "contact"} <= set(errors)
    assert "phone" in errors["contact"]


def test_the_timeline_masks_a_citizens_name_but_names_an_agency(world, agency, django_user_model):
    citizen = django_user_model.objects.create_user(
        username="c1", first_name="王五", password="pw-123456!"
    )
    case_intake(actor=citizen, data=intake_input(world), request_id="app-9")
    agency.post("/api/v1/intake/", intake_body(world, external_id="T-2"), format="json")
    intake = as_role(world, Role.INTAKE_OPERATOR)
    names = [
        intake.get(f"/api/v1/cases/{case.pk}/").json()["timeline"][0]["actor"]["name"]
        for case in Case.objects.order_by("pk")
    ]
    assert names == ["王*", "12345 政务服务热线"]


def test_a_street_intake_post_reads_contacts_in_its_street_only(world, make_user):
    case = hotline_case(world)  # in street 370203001
    own_street = make_user(Role.INTAKE_OPERATOR, region=world.regions["370203001"])
    other_street = make_user(Role.INTAKE_OPERATOR, region=world.regions["370203002"])
    url = f"/api/v1/cases/{case.pk}/contact/"
    assert client_for(own_street).get(url, {"reason": "回访"}).status_code == 200
    assert client_for(other_street).get(url, {"reason": "回访"}).status_code == 404
    assert ContactAccessLog.objects.get().user == own_street


def test_the_contact_access_log_is_append_only(world):
    case = hotline_case(world)
    as_role(world, Role.INTAKE_OPERATOR).get(f"/api/v1/cases/{case.pk}/")
    with pytest.raises(DatabaseError), transaction.atomic():
        ContactAccessLog.objects.update(reason="nobody read it")
    assert ContactAccessLog.objects.get().reason == ""


def test_a_body_declared_too_large_is_a_413_with_the_error_body(world, settings):
    settings.ATTACHMENT_MAX_BYTES = 1000
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = report_body(world)
    body["photos"] = [SimpleUploadedFile("a.jpg", b"x" * 20_000, content_type="image/jpeg")]
    response = as_role(world, Role.INSPECTOR).post("/api/v1/cases/", body, format="multipart")
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert Attachment.objects.count() == 0


def test_form_fields_over_djangos_memory_limit_are_a_413(world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    body = report_body(world, description="垃圾" * 200)
    response = as_role(world, Role.INSPECTOR).post("/api/v1/cases/", body, format="json")
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


def test_the_case_endpoints_have_a_valid_schema_without_warnings():
    GENERATOR_STATS.reset()
    generator = SchemaGenerator(patterns=[path("api/v1/", include("cases.api.case_urls"))])
    schema = generator.get_schema(request=None, public=True)
    validate_schema(schema)
    assert not GENERATOR_STATS
    assert set(schema["paths"]) == {
        "/api/v1/cases/",
        "/api/v1/cases/duplicates/",
        "/api/v1/cases/{case_id}/",
        "/api/v1/cases/{case_id}/actions/",
        "/api/v1/cases/{case_id}/contact/",
        "/api/v1/me/queue/",
        "/api/v1/intake/",
        "/api/v1/sync/",
        "/api/v1/assets/",
        "/api/v1/assets/{code}/",
    }


def test_photos_are_served_only_to_those_who_may_see_the_case(world, make_user):
    inspector = as_role(world, Role.INSPECTOR)
    upload = inspector.post("/api/v1/attachments/", {"photo": SimpleUploadedFile("a.jpg", jpeg())})
    assert upload.status_code == 201
    url = upload.json()["url"]
    assert "/media/" not in url
    response = inspector.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content)[:3] == b"\xff\xd8\xff"
    stranger = client_for(make_user(Role.INSPECTOR, region=world.regions[OTHER_GRID]))
    assert stranger.get(url).status_code == 404
    assert APIClient().get(url).status_code == 401

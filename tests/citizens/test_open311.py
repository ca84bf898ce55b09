"""Open311 GeoReport v2: discovery, services, service definitions, posting a request with an
api_key, reading requests back with the filters, tokens; in JSON and XML, with the spec's
error bodies.

No package publishes JSON Schemas for GeoReport v2, so the required fields of each response
are encoded below from the specification (wiki.open311.org/GeoReport_v2) and checked with
jsonschema; the XML is parsed and held to the same fields.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from xml.etree import ElementTree as ET

import jsonschema
import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from cases.models import Case, CaseEvent, FilingCondition, LimitUnit, SourceChannel, Status
from cases.services import case_transition
from citizens.models import Open311Client, Open311Request, Open311Service, ServiceType
from citizens.open311.services import open311_client_issue
from grids.models import Role
from tests.cases import conftest as cases_conftest
from tests.cases.conftest import OTHER_GRID_POINT, POINT_IN_GRID, World, put_in_state

pytestmark = pytest.mark.django_db

world = cases_conftest.world
V2 = "/open311/v2"

# --- the specification's required fields, as JSON Schemas ------------------------------------

_STRING = {"type": "string"}
_NULLABLE_STRING = {"type": ["string", "null"]}
_W3_DATETIME = {
    "type": "string",
    "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$",
}
SERVICES_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "required": [
            "service_code",
            "service_name",
            "description",
            "metadata",
            "type",
            "keywords",
            "group",
        ],
        "properties": {
            "service_code": _STRING,
            "service_name": _STRING,
            "metadata": {"type": "boolean"},
            "type": {"enum": ["realtime", "batch", "blackbox"]},
        },
    },
}
SERVICE_DEFINITION_SCHEMA = {
    "type": "object",
    "required": ["service_code", "attributes"],
    "properties": {
        "service_code": _STRING,
        "attributes": {
            "type": "array",
            "items": {
                "type": "object",
                "required": [
                    "variable",
                    "code",
                    "datatype",
                    "required",
                    "datatype_description",
                    "order",
                    "description",
                ],
                "properties": {
                    "variable": {"type": "boolean"},
                    "required": {"type": "boolean"},
                    "order": {"type": "integer", "minimum": 1},
                    "datatype": {
                        "enum": [
                            "string",
                            "number",
                            "datetime",
                            "text",
                            "singlevaluelist",
                            "multivaluelist",
                        ]
                    },
                    "values": {
                        "type": "array",
                        "items": {"type": "object", "required": ["key", "name"]},
                    },
                },
            },
        },
    },
}
POST_RESPONSE_SCHEMA = {
    "type": "array",
    "minItems": 1,
    "maxItems": 1,
    "items": {
        "type": "object",
        # Exactly one of service_request_id and token.
        "oneOf": [
            {"required": ["service_request_id"], "not": {"required": ["token"]}},
            {"required": ["token"], "not": {"required": ["service_request_id"]}},
        ],
    },
}
REQUESTS_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "required": [
            "service_request_id",
            "status",
            "service_name",
            "service_code",
            "description",
            "requested_datetime",
            "updated_datetime",
            "address",
            "lat",
            "long",
        ],
        "properties": {
            "service_request_id": _STRING,
            "status": {"enum": ["open", "closed"]},
            "status_notes": _NULLABLE_STRING,
            "requested_datetime": _W3_DATETIME,
            "updated_datetime": _W3_DATETIME,
            "expected_datetime": {"anyOf": [_W3_DATETIME, {"type": "null"}]},
            "lat": {"type": "number", "minimum": -90, "maximum": 90},
            "long": {"type": "number", "minimum": -180, "maximum": 180},
        },
    },
}
TOKEN_SCHEMA = {
    "type": "array",
    "items": {"type": "object", "required": ["service_request_id", "token"]},
}
ERRORS_SCHEMA = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["code", "description"],
        "properties": {"description": {"type": "string", "minLength": 1}},
    },
}
DISCOVERY_SCHEMA = {
    "type": "object",
    "required": ["changeset", "contact", "key_service", "endpoints"],
    "properties": {
        "endpoints": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["specification", "url", "changeset", "type", "formats"],
                "properties": {
                    "type": {"enum": ["production", "test"]},
                    "formats": {"type": "array", "items": _STRING},
                },
            },
        }
    },
}


# --- helpers ----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()


@pytest.fixture
def client_key(world) -> str:
    return open311_client_issue(name="市北随手拍", contact="app@example.cn").key


@pytest.fixture
def two_conditions(world: World) -> None:
    FilingCondition.objects.create(
        item=world.item,
        code="02",
        description="暴露垃圾 5 处以上",
        closing_condition="清理完毕",
        limit_value=Decimal("1"),
        limit_unit=LimitUnit.WORKING_DAYS,
        order=1,
    )


def api() -> APIClient:
    client = APIClient()
    client.credentials(HTTP_ACCEPT_LANGUAGE="en")
    return client


def get_json(path: str, schema: dict, expected: int = 200, **params):
    response = api().get(f"{V2}/{path}.json", params)
    assert response.status_code == expected, response.content
    assert response["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    jsonschema.validate(body, schema)
    return body


def get_xml(path: str, expected: int = 200, **params) -> ET.Element:
    response = api().get(f"{V2}/{path}.xml", params)
    assert response.status_code == expected, response.content
    return parse_xml(response)


def parse_xml(response) -> ET.Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)  # noqa: S314 - our own response in a test


def xml_record(element: ET.Element) -> dict[str, str]:
    return {child.tag: (child.text or "") for child in element}


def post(key: str | None, fmt: str = "json", **fields):
    body = {
        "service_code": "S010201",
        "lat": str(POINT_IN_GRID.y),
        "long": str(POINT_IN_GRID.x),
        "description": "路口暴露垃圾",
        **fields,
    }
    if key is not None:
        body["api_key"] = key
    return api().post(f"{V2}/requests.{fmt}", body)


def assert_errors_json(response, status: int) -> list[dict]:
    assert response.status_code == status, response.content
    body = response.json()
    jsonschema.validate(body, ERRORS_SCHEMA)
    return body


def assert_errors_xml(response, status: int) -> list[dict[str, str]]:
    assert response.status_code == status, response.content
    root = parse_xml(response)
    assert root.tag == "errors"
    errors = [xml_record(e) for e in root.findall("error")]
    assert errors
    for error in errors:
        assert set(error) == {"code", "description"}
        assert error["description"]
    return errors


# --- discovery --------------------------------------------------------------------------------


def test_discovery_names_the_v2_endpoint_and_its_formats(world):
    response = api().get("/open311/discovery.json")
    assert response.status_code == 200
    body = response.json()
    jsonschema.validate(body, DISCOVERY_SCHEMA)
    endpoint = body["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    root = parse_xml(api().get("/open311/discovery.xml"))
    assert root.tag == "discovery"
    formats = [f.text for f in root.find("endpoints").find("endpoint").find("formats")]
    assert set(formats) == {"text/xml", "application/json"}


# --- services ---------------------------------------------------------------------------------


def test_services_are_the_published_catalogue_items_in_json_and_xml(world, two_conditions):
    Open311Service.objects.create(item=world.natural_item, published=False)
    services = get_json("services", SERVICES_SCHEMA)
    assert [s["service_code"] for s in services] == ["S010201"]
    service = services[0]
    assert service["service_name"] == "暴露垃圾"
    assert service["group"] == "市容环境"
    assert service["metadata"] is True  # two filing conditions: an attribute to choose
    assert service["type"] == "realtime"
    root = get_xml("services")
    assert root.tag == "services"
    records = [xml_record(s) for s in root.findall("service")]
    assert [r["service_code"] for r in records] == ["S010201"]
    assert records[0]["metadata"] == "true"
    assert set(records[0]) == set(service)


def test_an_item_with_one_condition_needs_no_definition(world):
    services = {s["service_code"]: s for s in get_json("services", SERVICES_SCHEMA)}
    assert services["B010101"]["metadata"] is False
    definition = get_json("services/B010101", SERVICE_DEFINITION_SCHEMA)
    assert definition == {"service_code": "B010101", "attributes": []}


def test_a_service_definition_offers_the_filing_conditions(world, two_conditions):
    definition = get_json("services/S010201", SERVICE_DEFINITION_SCHEMA)
    (attribute,) = definition["attributes"]
    assert attribute["code"] == "condition"
    assert attribute["datatype"] == "singlevaluelist"
    assert [v["key"] for v in attribute["values"]] == ["01", "02"]
    root = get_xml("services/S010201")
    assert root.tag == "service_definition"
    xml_attribute = root.find("attributes").find("attribute")
    assert xml_record(xml_attribute)["datatype"] == "singlevaluelist"
    keys = [v.find("key").text for v in xml_attribute.find("values").findall("value")]
    assert keys == ["01", "02"]


def test_an_unknown_or_hidden_service_is_a_404_error_body(world):
    Open311Service.objects.create(item=world.natural_item, published=False)
    for code in ("S999999", "B010101"):
        errors = assert_errors_json(api().get(f"{V2}/services/{code}.json"), 404)
        assert errors[0]["code"] == 404
        assert code in errors[0]["description"]
        assert_errors_xml(api().get(f"{V2}/services/{code}.xml"), 404)


# --- posting a request ------------------------------------------------------------------------


def test_a_client_posts_a_request_and_reads_it_back_in_json(world, client_key):
    response = post(client_key, first_name="三", last_name="张", phone="13912345678")
    assert response.status_code == 201, response.content
    body = response.json()
    jsonschema.validate(body, POST_RESPONSE_SCHEMA)
    number = body[0]["service_request_id"]
    case = Case.objects.get(number=number)
    client = Open311Client.objects.get(name="市北随手拍")
    assert case.source == SourceChannel.CITIZEN_APP
    assert case.reporter_id == client.user_id
    assert case.status == Status.REPORTED
    assert case.reporter_contact.phone == "13912345678"
    assert CaseEvent.objects.filter(case=case, action="report").count() == 1
    assert Open311Request.objects.get(case=case).client == client
    (read,) = get_json(f"requests/{number}", REQUESTS_SCHEMA)
    assert read["service_request_id"] == number
    assert read["status"] == "open"
    assert read["service_code"] == "S010201"
    assert read["description"] == "路口暴露垃圾"
    # The place is published rounded (about 100 m), in words as its street and community.
    assert read["lat"] == round(POINT_IN_GRID.y, 3)
    assert read["long"] == round(POINT_IN_GRID.x, 3)
    assert read["address"] == f"{case.street.name} {case.community.name}"
    # Nothing about the person who reported it.
    assert "13912345678" not in response.content.decode()
    assert "13912345678" not in str(read)
    assert "张" not in str(read)


def test_a_client_posts_a_request_and_reads_it_back_in_xml(world, client_key):
    response = post(client_key, fmt="xml", media_url="https://img.example.cn/1.jpg")
    assert response.status_code == 201
    root = parse_xml(response)
    assert root.tag == "service_requests"
    (created,) = [xml_record(r) for r in root.findall("request")]
    assert "token" not in created
    number = created["service_request_id"]
    read_root = get_xml(f"requests/{number}")
    assert read_root.tag == "service_requests"
    (read,) = [xml_record(r) for r in read_root.findall("request")]
    assert read["service_request_id"] == number
    assert read["status"] == "open"
    assert read["media_url"] == "https://img.example.cn/1.jpg"
    # XML has no null: an empty element is the JSON null.
    as_json = {key: (value or None) for key, value in read.items()}
    as_json.update(lat=float(read["lat"]), long=float(read["long"]))
    jsonschema.validate([as_json], REQUESTS_SCHEMA)


def test_an_xml_client_sending_accept_text_xml_is_served(world, client_key):
    response = api().get(f"{V2}/services.xml", HTTP_ACCEPT="text/xml")
    assert response.status_code == 200
    assert parse_xml(response).tag == "services"
    response = APIClient().post(
        f"{V2}/requests.xml",
        {
            "api_key": client_key,
            "service_code": "S010201",
            "lat": POINT_IN_GRID.y,
            "long": POINT_IN_GRID.x,
        },
        HTTP_ACCEPT="text/xml",
    )
    assert response.status_code == 201
    # No description: the service's name stands in (the spec makes it optional).
    assert Case.objects.get().description == "暴露垃圾"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_posting_without_an_api_key_is_a_403_error_body(world, fmt):
    response = post(None, fmt=fmt)
    errors = (
        assert_errors_json(response, 403) if fmt == "json" else assert_errors_xml(response, 403)
    )
    assert "api_key" in errors[0]["description"]
    assert not Case.objects.exists()


def test_a_wrong_or_deactivated_key_is_a_403(world, client_key):
    assert_errors_json(post("o311_not-a-key"), 403)
    Open311Client.objects.update(is_active=False)
    assert_errors_json(post(client_key), 403)
    assert not Case.objects.exists()


def test_a_reissued_key_replaces_the_old_one(world, client_key):
    new_key = open311_client_issue(name="市北随手拍").key
    assert_errors_json(post(client_key), 403)
    assert post(new_key).status_code == 201


def test_a_condition_is_chosen_through_its_attribute(world, client_key, two_conditions):
    response = post(client_key, **{"attribute[condition]": "02"})
    assert response.status_code == 201, response.content
    case = Case.objects.get(number=response.json()[0]["service_request_id"])
    assert case.condition.code == "02"
    assert Open311Request.objects.get(case=case).attributes == {"condition": ["02"]}


def test_an_unknown_attribute_or_value_is_a_400_naming_it(world, client_key, two_conditions):
    errors = assert_errors_json(post(client_key, **{"attribute[colour]": "red"}), 400)
    assert "attribute[colour]" in errors[0]["description"]
    errors = assert_errors_json(post(client_key, **{"attribute[condition]": "09"}), 400)
    assert "attribute[condition]" in errors[0]["description"]
    assert not Case.objects.exists()


def test_an_address_without_a_point_is_refused_for_want_of_a_geocoder(world, client_key):
    response = post(client_key, lat="", long="", address_string="辽宁路1号")
    errors = assert_errors_json(response, 400)
    assert "geocoder" in errors[0]["description"]
    errors = assert_errors_xml(post(client_key, fmt="xml", lat="", long=""), 400)
    assert "lat" in errors[0]["description"]


def test_a_missing_or_unknown_service_code_is_400_or_404(world, client_key):
    errors = assert_errors_json(post(client_key, service_code=""), 400)
    assert "service_code" in errors[0]["description"]
    assert_errors_json(post(client_key, service_code="S999999"), 404)


def test_a_point_outside_the_district_is_a_400(world, client_key):
    errors = assert_errors_json(post(client_key, lat="36.5", long="121.0"), 400)
    assert "point" in errors[0]["description"]


def test_bad_contact_fields_are_each_named(world, client_key):
    response = post(client_key, media_url="javascript:alert(1)", email="nope", phone="call me")
    errors = assert_errors_json(response, 400)
    described = " ".join(e["description"] for e in errors)
    assert "media_url" in described
    assert "email" in described
    assert "phone" in described


def test_a_batch_service_returns_a_token_that_gives_the_request_id(world, client_key):
    Open311Service.objects.create(item=world.item, service_type=ServiceType.BATCH)
    response = post(client_key)
    assert response.status_code == 201
    body = response.json()
    jsonschema.validate(body, POST_RESPONSE_SCHEMA)
    token = body[0]["token"]
    (resolved,) = get_json(f"tokens/{token}", TOKEN_SCHEMA)
    assert resolved["token"] == token
    assert Case.objects.get(number=resolved["service_request_id"])
    root = get_xml(f"tokens/{token}")
    assert xml_record(root.find("request"))["service_request_id"] == resolved["service_request_id"]
    assert_errors_json(api().get(f"{V2}/tokens/unknown.json"), 404)


def test_posting_is_throttled_per_client_key(world, client_key, monkeypatch):
    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {**SimpleRateThrottle.THROTTLE_RATES, "open311_post": "2/hour"},
    )
    statuses = [post(client_key).status_code for _ in range(3)]
    assert statuses == [201, 201, 429]
    assert_errors_json(post(client_key), 429)
    other = open311_client_issue(name="另一个应用").key
    assert post(other).status_code == 201


# --- reading requests -------------------------------------------------------------------------


def test_get_requests_filters_by_ids_code_status_and_dates(world):
    rubbish = world.report()
    manhole = world.report(item_id=world.natural_item.pk)
    closed = put_in_state(world.report(), Status.CLOSED, closed_at=timezone.now())
    old = world.report()
    Case.objects.filter(pk=old.pk).update(reported_at=timezone.now() - dt.timedelta(days=100))

    def numbers(**params) -> set[str]:
        return {r["service_request_id"] for r in get_json("requests", REQUESTS_SCHEMA, **params)}

    assert numbers() == {rubbish.number, manhole.number, closed.number}  # last 90 days
    assert numbers(service_code="B010101") == {manhole.number}
    assert numbers(service_code="B010101,S010201") == {
        rubbish.number,
        manhole.number,
        closed.number,
    }
    assert numbers(status="closed") == {closed.number}
    assert numbers(status="open") == {rubbish.number, manhole.number}
    # Ids override every other argument, the old case included.
    assert numbers(service_request_id=f"{old.number},{manhole.number}", status="closed") == {
        old.number,
        manhole.number,
    }
    start = (timezone.now() - dt.timedelta(days=120)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (timezone.now() - dt.timedelta(days=95)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert numbers(start_date=start, end_date=end) == {old.number}
    root = get_xml("requests", status="closed")
    assert [xml_record(r)["status"] for r in root.findall("request")] == ["closed"]


def test_a_closed_case_says_closed_with_its_closure_and_when(world):
    case = put_in_state(world.report(), Status.CLOSED, closed_at=timezone.now())
    (read,) = get_json(f"requests/{case.number}", REQUESTS_SCHEMA)
    assert read["status"] == "closed"
    assert read["status_notes"] == "Normal"
    rejected = put_in_state(world.report(), Status.REJECTED)
    (read,) = get_json(f"requests/{rejected.number}", REQUESTS_SCHEMA)
    assert read["status"] == "closed"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start_date": "yesterday"}, "start_date"),
        ({"start_date": "2026-01-01T00:00:00"}, "start_date"),  # no offset
        ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, "90 days"),
        ({"start_date": "2026-02-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}, "end_date"),
        ({"status": "pending"}, "status"),
        ({"start_date": "2026-13-45T00:00:00Z"}, "start_date"),  # well-formed, impossible
        ({"start_date": "9999-12-31T00:00:00Z"}, "start_date"),  # the window would overflow
    ],
)
def test_bad_filters_are_a_400_error_body(world, params, field):
    errors = assert_errors_json(api().get(f"{V2}/requests.json", params), 400)
    assert field in " ".join(e["description"] for e in errors)
    assert_errors_xml(api().get(f"{V2}/requests.xml", params), 400)


def test_an_unknown_request_is_a_404(world):
    assert_errors_json(api().get(f"{V2}/requests/370203-20260101-999999.json"), 404)
    assert_errors_xml(api().get(f"{V2}/requests/370203-20260101-999999.xml"), 404)


def test_requests_show_no_staff_or_reporter_data(world):
    case = world.report(world.users[Role.INTAKE_OPERATOR], source="hotline_12345")
    body = api().get(f"{V2}/requests/{case.number}.json").content.decode()
    for user in world.users.values():
        assert f'"{user.username}"' not in body
    assert "reporter" not in body


def test_numbers_in_a_description_are_masked_in_the_public_feed(world):
    case = world.report(
        world.users[Role.INTAKE_OPERATOR],
        source="hotline_12345",
        description="张先生来电 13812345678，身份证 370203199001011234，门口垃圾",
    )
    body = api().get(f"{V2}/requests/{case.number}.json").content.decode()
    assert "13812345678" not in body
    assert "370203199001011234" not in body
    assert "张" not in body
    assert "门口垃圾" in body


@pytest.mark.parametrize(
    "description",
    [
        "市民来电：门口垃圾，电话138.0013.8000",
        "市民来电：门口垃圾，电话138/0013/8000",
        "市民来电：门口垃圾，身份证370203.19900101.1234",
        "市民来电：门口垃圾，电话１３８００１３８０００",
        "市民来电：门口垃圾，电话一三八零零一三八零零零",
        "市民李四来电：门口垃圾",
    ],
)
def test_what_slipped_past_the_old_mask_is_not_published(world, description):
    case = world.report(
        world.users[Role.INTAKE_OPERATOR], source="hotline_12345", description=description
    )
    for fmt in ("json", "xml"):
        body = api().get(f"{V2}/requests/{case.number}.{fmt}").content.decode()
        for secret in ("0013", "8000", "19900101", "１３８", "一三八", "李四"):
            assert secret not in body, (fmt, body)
        assert "门口垃圾" in body


def test_a_description_the_redaction_cannot_vouch_for_is_replaced_by_the_category(world):
    case = world.report(
        world.users[Role.INTAKE_OPERATOR],
        source="hotline_12345",
        description="门口垃圾，电话 138 号 0013 号 8000",
    )
    (read,) = get_json(f"requests/{case.number}", REQUESTS_SCHEMA)
    condition = case.condition.description if case.condition_id else ""
    assert read["description"] == (condition or case.item.name)
    assert "0013" not in str(read)


def test_the_free_text_address_is_not_published(world):
    case = world.report(
        world.users[Role.INTAKE_OPERATOR],
        source="hotline_12345",
        address="辽宁路88号3单元502室 李四家",
    )
    body = api().get(f"{V2}/requests/{case.number}.json").content.decode()
    assert "502" not in body
    assert "李四" not in body


def test_a_closed_case_publishes_the_reason_owed_redacted(world):
    case = world.report(world.users[Role.INTAKE_OPERATOR], source="hotline_12345")
    case_transition(
        case_id=case.pk,
        action="reject",
        actor=world.users[Role.INTAKE_OPERATOR],
        request_id=str(uuid.uuid4()),
        note="不属于城市管理范围，请联系物业 0532-88886666",
    )
    (read,) = get_json(f"requests/{case.number}", REQUESTS_SCHEMA)
    assert read["status"] == "closed"
    assert "不属于城市管理范围" in read["status_notes"]
    assert "88886666" not in read["status_notes"]


def test_at_most_1000_requests_come_back(world, monkeypatch):
    from citizens.open311 import services

    monkeypatch.setattr(services, "MAX_REQUESTS", 2)
    for point in (POINT_IN_GRID, OTHER_GRID_POINT, POINT_IN_GRID):
        world.report(world.users[Role.INTAKE_OPERATOR], source="hotline_12345", point=point)
    assert len(get_json("requests", REQUESTS_SCHEMA)) == 2


# --- jurisdiction, unknown paths --------------------------------------------------------------


def test_a_foreign_jurisdiction_is_a_404_and_ours_or_none_is_served(world, settings):
    settings.OPEN311_JURISDICTION_ID = "shibei.qingdao.gov.cn"
    errors = assert_errors_json(
        api().get(f"{V2}/services.json", {"jurisdiction_id": "sfgov.org"}), 404
    )
    assert "jurisdiction_id" in errors[0]["description"]
    get_json("services", SERVICES_SCHEMA, jurisdiction_id="shibei.qingdao.gov.cn")
    get_json("services", SERVICES_SCHEMA)


def test_anything_else_under_open311_is_a_404_error_body(world):
    assert_errors_xml(api().get(f"{V2}/nothing.xml"), 404)
    assert_errors_json(api().get(f"{V2}/services.csv.json"), 404)
    assert_errors_xml(api().get(f"{V2}/services.csv"), 404)


# --- issuing keys -----------------------------------------------------------------------------


def test_the_command_issues_a_key_that_posts(world, capsys):
    call_command("open311_client", "随手拍", "--contact", "ops@example.cn", "--source", "wechat")
    key = capsys.readouterr().out.split(": ", 1)[1].splitlines()[0].strip()
    response = post(key)
    assert response.status_code == 201
    assert Case.objects.get().source == SourceChannel.WECHAT


def test_the_command_refuses_an_empty_name(world):
    with pytest.raises(CommandError, match="open311_client"):
        call_command("open311_client", "  ")

"""Per-client request rates (issue 17): an agency's key and an Open311 client are counted
per key, at the key's own rate or the default for such clients, not at a person's rate."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from cases.api.auth import agency_key_issue
from cases.api.throttles import ClientRateThrottle
from cases.models import AgencyKey
from citizens.models import Open311Client
from citizens.open311.services import open311_client_issue
from tests.api.test_cases_api import intake_body
from tests.cases import conftest as cases_conftest
from tests.cases.conftest import POINT_IN_GRID

pytestmark = pytest.mark.django_db

world = cases_conftest.world


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def rates(monkeypatch):
    def set_rates(**rates: str) -> None:
        monkeypatch.setattr(
            SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, **rates}
        )

    return set_rates


def agency_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=key, HTTP_ACCEPT_LANGUAGE="en")
    return client


def test_the_hotline_is_not_held_to_a_persons_rate(world, rates):
    # A person's rate refuses the third request; the hotline's key goes on at the agency rate.
    rates(user="2/hour")
    hotline = agency_client(agency_key_issue(name="12345", source="hotline_12345").key)
    statuses = [
        hotline.post(
            "/api/v1/intake/", intake_body(world, external_id=f"GD-{i}"), format="json"
        ).status_code
        for i in range(6)
    ]
    assert statuses == [201] * 6


def test_the_default_agency_rate_is_well_above_one_a_second():
    rate = SimpleRateThrottle.THROTTLE_RATES["agency"]
    count, seconds = ClientRateThrottle().parse_rate(rate)
    assert count / seconds >= 5  # the 3,000-an-hour user rate was 0.83 a second


def test_a_key_with_its_own_rate_is_held_to_it(world, rates):
    rates(agency="100/minute")
    issued = agency_key_issue(name="110", source="police_110")
    AgencyKey.objects.filter(pk=issued.row.pk).update(rate="2/minute")
    police = agency_client(issued.key)
    other = agency_client(agency_key_issue(name="12345", source="hotline_12345").key)
    statuses = [
        police.post(
            "/api/v1/intake/", intake_body(world, external_id=f"P-{i}"), format="json"
        ).status_code
        for i in range(3)
    ]
    assert statuses == [201, 201, 429]
    # Another key is counted apart, at the default.
    assert (
        other.post("/api/v1/intake/", intake_body(world, external_id="H-1"), format="json")
    ).status_code == 201


def test_a_rate_must_read_as_a_count_per_period():
    key = AgencyKey(rate="fast")
    with pytest.raises(ValidationError) as raised:
        key.clean_fields(exclude=["name", "source", "user", "key_hash", "prefix", "created_at"])
    assert "rate" in raised.value.message_dict
    AgencyKey(rate="20/second").clean_fields(
        exclude=["name", "source", "user", "key_hash", "prefix", "created_at"]
    )


def open311_post(key: str):
    client = APIClient()
    client.credentials(HTTP_ACCEPT_LANGUAGE="en")
    return client.post(
        "/open311/v2/requests.json",
        {
            "api_key": key,
            "service_code": "S010201",
            "lat": str(POINT_IN_GRID.y),
            "long": str(POINT_IN_GRID.x),
            "description": "路口暴露垃圾",
        },
    )


def test_an_open311_client_with_its_own_rate_is_held_to_it(world, rates):
    rates(open311_post="2/hour")
    city_app = open311_client_issue(name="市北随手拍").key
    Open311Client.objects.filter(name="市北随手拍").update(rate="4/minute")
    assert [open311_post(city_app).status_code for _ in range(5)] == [201] * 4 + [429]
    # A client without a rate of its own has the default.
    other = open311_client_issue(name="另一个应用").key
    assert [open311_post(other).status_code for _ in range(3)] == [201, 201, 429]

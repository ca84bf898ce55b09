"""Citizen accounts: one-time codes (expiry, attempts, resend cooldown, hourly limit, per
address throttle), registering with a verified phone, logging in by password or by code."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from cases.errors import InvalidInput
from citizens import sms
from citizens.accounts import citizen_login, normalize_phone, otp_check, otp_request
from citizens.errors import TooManyRequests
from citizens.models import CitizenProfile, PhoneCode
from tests.citizens.citizen_helpers import PASSWORD, PHONE, last_code, register_citizen

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_sms_outbox_and_throttles():
    cache.clear()
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def api() -> APIClient:
    client = APIClient()
    client.credentials(HTTP_ACCEPT_LANGUAGE="en")
    return client


def ask_code(client: APIClient, phone: str = PHONE, purpose: str = "register"):
    return client.post("/api/v1/citizen/otp/", {"phone": phone, "purpose": purpose}, format="json")


def register(client: APIClient, code: str, phone: str = PHONE, password: str = PASSWORD):
    return client.post(
        "/api/v1/citizen/register/",
        {"phone": phone, "code": code, "password": password, "name": "李四"},
        format="json",
    )


# --- phone numbers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("13812345678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("8613812345678", "13812345678"),
    ],
)
def test_mobile_numbers_are_stored_in_one_form(raw, stored):
    assert normalize_phone(raw) == stored


@pytest.mark.parametrize("raw", ["12812345678", "1381234567", "0532-12345678", "abc"])
def test_a_number_that_is_not_a_mainland_mobile_is_refused_naming_the_field(raw):
    with pytest.raises(InvalidInput) as caught:
        normalize_phone(raw)
    assert "phone" in caught.value.field_errors


# --- codes ------------------------------------------------------------------------------------


def test_a_code_is_sent_by_sms_and_only_its_hash_is_stored():
    response = ask_code(api())
    assert response.status_code == 202
    assert set(response.json()) == {"expires_at", "resend_after"}
    code = last_code()
    row = PhoneCode.objects.get(phone=PHONE)
    assert code not in row.code_hash
    assert len(row.code_hash) == 64


def test_registering_with_the_code_makes_an_account_and_logs_in():
    client = api()
    ask_code(client)
    response = register(client, last_code())
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == {"token", "expires_at", "user_id"}
    profile = CitizenProfile.objects.get(phone=PHONE)
    assert profile.user_id == body["user_id"]
    assert profile.user.phone == PHONE  # the notifications' SMS reach the citizen
    assert not profile.user.posts.exists()
    me = api()
    me.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert me.get("/api/v1/citizen/reports/").status_code == 200


def test_a_code_is_used_once():
    client = api()
    ask_code(client)
    code = last_code()
    assert register(client, code).status_code == 201
    CitizenProfile.objects.all().delete()
    response = register(client, code)
    assert response.status_code == 400
    assert "code" in response.json()["errors"]


def test_a_code_expires_after_five_minutes():
    client = api()
    ask_code(client)
    code = last_code()
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=5, seconds=1)):
        response = register(client, code)
    assert response.status_code == 400
    assert response.json()["errors"]["code"] == ["The code has expired; ask for a new one."]
    assert not CitizenProfile.objects.exists()


def test_wrong_codes_are_counted_and_the_fifth_kills_the_code():
    client = api()
    ask_code(client)
    right = last_code()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for left in (4, 3, 2, 1):
        response = register(client, wrong)
        assert response.json()["errors"]["code"] == [f"Wrong code; {left} tries left."]
    assert register(client, wrong).json()["errors"]["code"] == [
        "Too many wrong codes; ask for a new one."
    ]
    # Even the right code is refused now: guessing has to start over with a new code.
    response = register(client, right)
    assert response.status_code == 400
    assert response.json()["errors"]["code"] == ["Too many wrong codes; ask for a new one."]
    assert PhoneCode.objects.get(phone=PHONE).attempts == 5


def test_a_new_code_cannot_be_asked_for_within_the_cooldown():
    client = api()
    assert ask_code(client).status_code == 202
    response = ask_code(client)
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "throttled"
    assert "phone" in body["errors"]
    assert 0 < body["retry_after_seconds"] <= 61
    assert len(sms.outbox) == 1


def test_a_phone_gets_at_most_five_codes_an_hour():
    start = timezone.now()
    for minute in range(5):
        with time_machine.travel(start + dt.timedelta(minutes=2 * minute)):
            otp_request(phone=PHONE, purpose="register")
    with time_machine.travel(start + dt.timedelta(minutes=12)), pytest.raises(TooManyRequests):
        otp_request(phone=PHONE, purpose="register")
    with time_machine.travel(start + dt.timedelta(minutes=61)):
        otp_request(phone=PHONE, purpose="register")
    assert len(sms.outbox) == 6


def test_one_address_is_throttled_across_phones(monkeypatch):
    monkeypatch.setattr(
        ScopedRateThrottle,
        "THROTTLE_RATES",
        {**ScopedRateThrottle.THROTTLE_RATES, "citizen_otp": "3/hour"},
    )
    client = api()
    phones = ["13800000001", "13800000002", "13800000003", "13800000004"]
    statuses = [ask_code(client, phone).status_code for phone in phones]
    assert statuses == [202, 202, 202, 429]
    assert (
        api()
        .post(
            "/api/v1/citizen/otp/", {"phone": "13800000005", "purpose": "register"}, format="json"
        )
        .json()["code"]
        == "throttled"
    )


def test_a_code_for_a_registered_phone_is_not_sent_for_registering_and_the_answer_is_the_same():
    register_citizen()
    sms.outbox.clear()
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=2)):
        response = ask_code(api(), purpose="register")
    assert response.status_code == 202
    assert sms.outbox == []


def test_a_login_code_for_an_unknown_phone_is_not_sent_and_the_answer_is_the_same():
    response = ask_code(api(), phone="13900000000", purpose="login")
    assert response.status_code == 202
    assert sms.outbox == []


def test_a_register_code_does_not_log_in():
    register_citizen()
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=2)):
        otp_request(phone=PHONE, purpose="register")
        with pytest.raises(InvalidInput):
            otp_check(phone=PHONE, purpose="login", code=last_code())


# --- register ---------------------------------------------------------------------------------


def test_a_weak_password_is_refused_before_the_code_is_used():
    client = api()
    ask_code(client)
    code = last_code()
    response = register(client, code, password="123456")
    assert response.status_code == 400
    assert "password" in response.json()["errors"]
    assert PhoneCode.objects.get(phone=PHONE).used_at is None
    assert register(client, code).status_code == 201


def test_a_registered_phone_cannot_register_again():
    register_citizen()
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=2)):
        response = register(api(), "000000")
    assert response.status_code == 409
    assert response.json()["errors"]["phone"] == ["Already registered."]


def test_missing_fields_are_named():
    response = api().post("/api/v1/citizen/register/", {}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"phone", "code", "password"}


# --- log in -----------------------------------------------------------------------------------


def test_a_citizen_logs_in_with_phone_and_password():
    user, _token = register_citizen()
    response = api().post(
        "/api/v1/citizen/login/", {"phone": "+86 13812345678", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["user_id"] == user.pk


def test_a_wrong_password_and_an_unknown_phone_get_the_same_answer():
    register_citizen()
    wrong = api().post(
        "/api/v1/citizen/login/", {"phone": PHONE, "password": "nope-nope-nope"}, format="json"
    )
    unknown = api().post(
        "/api/v1/citizen/login/", {"phone": "13900000000", "password": PASSWORD}, format="json"
    )
    assert wrong.status_code == unknown.status_code == 400
    assert wrong.json() == unknown.json()
    assert wrong.json()["code"] == "invalid_credentials"


def test_a_citizen_logs_in_with_a_one_time_code():
    user, _token = register_citizen()
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=2)):
        client = api()
        assert ask_code(client, purpose="login").status_code == 202
        response = client.post(
            "/api/v1/citizen/login/", {"phone": PHONE, "code": last_code()}, format="json"
        )
    assert response.status_code == 200
    assert response.json()["user_id"] == user.pk


def test_login_needs_exactly_one_of_password_and_code():
    register_citizen()
    response = api().post("/api/v1/citizen/login/", {"phone": PHONE}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"password", "code"}
    with pytest.raises(InvalidInput):
        citizen_login(phone=PHONE, password=PASSWORD, code="123456")


def test_a_disabled_account_cannot_log_in():
    user, _token = register_citizen()
    user.is_active = False
    user.save()
    response = api().post(
        "/api/v1/citizen/login/", {"phone": PHONE, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 400


def test_logging_in_is_throttled_per_address(monkeypatch):
    monkeypatch.setattr(
        ScopedRateThrottle,
        "THROTTLE_RATES",
        {**ScopedRateThrottle.THROTTLE_RATES, "citizen_auth": "2/hour"},
    )
    register_citizen()
    client = api()
    body = {"phone": PHONE, "password": "guess-guess-1"}
    statuses = [
        client.post("/api/v1/citizen/login/", body, format="json").status_code for _ in range(3)
    ]
    assert statuses == [400, 400, 429]


def test_a_forged_forwarded_for_does_not_reset_the_address_throttle(monkeypatch):
    monkeypatch.setattr(
        ScopedRateThrottle,
        "THROTTLE_RATES",
        {**ScopedRateThrottle.THROTTLE_RATES, "citizen_otp": "3/hour"},
    )
    client = api()
    statuses = [
        client.post(
            "/api/v1/citizen/otp/",
            {"phone": f"1380000001{n}", "purpose": "register"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",  # a new "address" each time
        ).status_code
        for n in range(4)
    ]
    assert statuses == [202, 202, 202, 429]

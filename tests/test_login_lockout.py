"""Brute force: no log-in had a lockout (the dashboard, the admin and the browsable API had no
limit at all; the token log-in only 20 tries a minute per address). Every log-in now counts
failures per account and per address (django-axes, config/lockout.py), and refuses for a while
past a limit, the right password too; it comes back after the window or an administrator's
reset."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from citizens import sms
from citizens.accounts import otp_request
from grids.models import Role
from tests.citizens.citizen_helpers import PASSWORD as CITIZEN_PASSWORD
from tests.citizens.citizen_helpers import PHONE, last_code, register_citizen

pytestmark = pytest.mark.django_db

PASSWORD = "pw-123456!"
TOKEN_LOGIN = "/api/v1/auth/login/"
CITIZEN_LOGIN = "/api/v1/citizen/login/"


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = 3
    settings.AXES_FAILURE_LIMIT = 3
    settings.LOGIN_FAILURES_PER_ADDRESS = 5
    sms.outbox.clear()


@pytest.fixture
def inspector(district, make_user):
    return make_user(Role.INSPECTOR, region=district["370203001001001"], username="wgy")


def api(address: str = "198.51.100.7", **headers: str) -> APIClient:
    client = APIClient(REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE="en", **headers)
    return client


def token_login(client: APIClient, username: str = "wgy", password: str = PASSWORD):
    return client.post(TOKEN_LOGIN, {"username": username, "password": password}, format="json")


def assert_locked_json(response) -> None:
    assert response.status_code == 429, response.content
    body = response.json()
    assert body["code"] == "locked_out"
    assert set(body) >= {"code", "message", "errors", "retry_after_seconds"}
    assert body["retry_after_seconds"] == 15 * 60
    assert response["Retry-After"] == str(15 * 60)


def test_wrong_passwords_lock_the_token_log_in_the_right_one_too(inspector):
    client = api()
    assert [token_login(client, password="wrong").status_code for _ in range(2)] == [400, 400]
    assert_locked_json(token_login(client, password="wrong"))
    # The guesser must not learn when they hit it.
    assert_locked_json(token_login(client))
    # From another address too: the account is locked, not just the address.
    assert_locked_json(token_login(api("203.0.113.9")))
    # The window passes: back in.
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=16)):
        assert token_login(client).status_code == 200


def test_an_administrator_unlocks_an_account(inspector):
    client = api()
    for _ in range(3):
        token_login(client, password="wrong")
    assert_locked_json(token_login(client))
    call_command("axes_reset_username", "wgy")
    assert token_login(client).status_code == 200


def test_one_address_guessing_many_accounts_is_locked_out(inspector, make_user, district):
    guesser = api("198.51.100.66")
    for n in range(5):
        token_login(guesser, username=f"someone-{n}", password="wrong")
    # Any account from that address now, even with its right password.
    assert_locked_json(token_login(guesser))
    # The account itself is not locked: its owner elsewhere logs in.
    assert token_login(api("203.0.113.10")).status_code == 200


def test_a_forged_forwarded_for_does_not_give_a_new_address(inspector, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    # Behind one proxy: the proxy appends the real client address last.
    for n in range(5):
        forged = api("10.0.0.1", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 198.51.100.66")
        token_login(forged, username=f"someone-{n}", password="wrong")
    forged = api("10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.200, 198.51.100.66")
    assert_locked_json(token_login(forged))
    # Another real client behind the same proxy is not affected.
    other = api("10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.10")
    assert token_login(other).status_code == 200


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/login/", {}),
        ("/admin/login/", {"next": "/admin/"}),
        ("/api-auth/login/", {"next": "/api/v1/"}),
    ],
)
def test_every_log_in_form_locks_with_a_page_saying_so(inspector, path, fields):
    client = Client(REMOTE_ADDR="198.51.100.8")
    answers = [
        client.post(path, {"username": "wgy", "password": "wrong", **fields}) for _ in range(3)
    ]
    assert [r.status_code for r in answers[:2]] == [200, 200]
    locked = client.post(path, {"username": "wgy", "password": PASSWORD, **fields})
    assert locked.status_code == 429
    assert locked["Retry-After"] == str(15 * 60)
    page = locked.content.decode()
    assert "登录失败次数过多" in page  # Chinese by default
    assert "15" in page
    english = client.post(
        path,
        {"username": "wgy", "password": PASSWORD, **fields},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "Too many failed log-ins" in english.content.decode()


def test_failures_on_one_form_count_on_every_other(inspector):
    Client(REMOTE_ADDR="198.51.100.8").post("/login/", {"username": "wgy", "password": "x"})
    Client(REMOTE_ADDR="198.51.100.9").post(
        "/admin/login/", {"username": "wgy", "password": "x", "next": "/admin/"}
    )
    token_login(api("198.51.100.10"), password="x")
    assert_locked_json(token_login(api("198.51.100.11")))


def test_citizen_password_log_in_locks_but_a_code_still_lets_the_owner_in(db):
    register_citizen()
    client = api()
    body = {"phone": PHONE, "password": "guess-guess-1"}
    answers = [client.post(CITIZEN_LOGIN, body, format="json") for _ in range(3)]
    assert [r.status_code for r in answers[:2]] == [400, 400]
    assert answers[0].json()["code"] == "invalid_credentials"
    assert_locked_json(answers[2])
    right = {"phone": PHONE, "password": CITIZEN_PASSWORD}
    assert_locked_json(client.post(CITIZEN_LOGIN, right, format="json"))
    # The same phone written another way is the same account.
    assert_locked_json(
        client.post(CITIZEN_LOGIN, {**right, "phone": "+86 138-1234-5678"}, format="json")
    )
    # A one-time code still lets the owner in (after the resend cooldown of registering).
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=2)):
        otp_request(phone=PHONE, purpose="login")
        by_code = client.post(CITIZEN_LOGIN, {"phone": PHONE, "code": last_code()}, format="json")
    assert by_code.status_code == 200, by_code.content
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=16)):
        assert client.post(CITIZEN_LOGIN, right, format="json").status_code == 200


def test_guessing_phones_without_accounts_locks_the_address(db):
    guesser = api("198.51.100.77")
    for n in range(5):
        guesser.post(
            CITIZEN_LOGIN, {"phone": f"1390000000{n}", "password": "guess-guess-1"}, format="json"
        )
    register_citizen()
    right = {"phone": PHONE, "password": CITIZEN_PASSWORD}
    assert_locked_json(guesser.post(CITIZEN_LOGIN, right, format="json"))
    assert api("203.0.113.12").post(CITIZEN_LOGIN, right, format="json").status_code == 200

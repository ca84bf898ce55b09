import datetime as dt

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from cases.api.auth import agency_key_issue, agency_key_revoke
from grids.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def inspector(district, make_user):
    return make_user(Role.INSPECTOR, region=district["370203001001001"], username="wgy")


def login(client, username="wgy", password="pw-123456!"):
    return client.post(
        "/api/v1/auth/login/", {"username": username, "password": password}, format="json"
    )


def test_login_returns_a_token_that_authenticates(inspector):
    client = APIClient()
    response = login(client)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "expires_at"}
    client.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert client.get("/api/v1/regions/").status_code == 200


def test_wrong_password_is_a_400_with_the_error_body(inspector):
    response = login(APIClient(), password="nope")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credentials"


def test_missing_fields_are_named(inspector):
    response = APIClient().post("/api/v1/auth/login/", {}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"username", "password"}


def test_logout_revokes_the_token(inspector):
    client = APIClient()
    token = login(client).json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.post("/api/v1/auth/logout/").status_code == 204
    response = client.get("/api/v1/regions/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_revoke_all_ends_every_session_of_the_user(inspector):
    first, second = APIClient(), APIClient()
    first.credentials(HTTP_AUTHORIZATION=f"Token {login(first).json()['token']}")
    second.credentials(HTTP_AUTHORIZATION=f"Token {login(second).json()['token']}")
    assert first.post("/api/v1/auth/revoke-all/").json() == {"revoked": 2}
    assert second.get("/api/v1/regions/").status_code == 401


def test_an_expired_token_is_refused(inspector, settings):
    client = APIClient()
    token = login(client).json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    later = timezone.now() + dt.timedelta(seconds=settings.API_TOKEN_LIFETIME_SECONDS + 1)
    with time_machine.travel(later):
        response = client.get("/api/v1/regions/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_agency_key_authenticates_until_revoked(district):
    issued = agency_key_issue(name="12345 政务服务热线", source="hotline_12345")
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=issued.key)
    # The key reaches the intake (which finds the body empty), and nothing else.
    assert client.post("/api/v1/intake/", {}, format="json").status_code == 400
    assert client.get("/api/v1/locate/", {"lon": 120.305, "lat": 36.095}).status_code == 403
    agency_key_revoke(key=issued.row)
    assert client.post("/api/v1/intake/", {}, format="json").status_code == 401

"""Issue 14: every error under /api/ is the error body {code, message, errors}, never an HTML
page: a server error anywhere, Django's own body limit on the patrol upload, a JSON body
nested past Python's recursion limit, a URL that does not exist."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from cases.api.handheld import MeView
from grids.models import Role
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

GRID = "370203001001001"


@pytest.fixture
def inspector(district, make_user):
    return make_user(Role.INSPECTOR, region=district[GRID])


def assert_error_body(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = json.loads(response.content)
    assert set(body) >= {"code", "message", "errors"}, body
    assert isinstance(body["errors"], dict)
    assert b"<html" not in response.content.lower()
    if code is not None:
        assert body["code"] == code, body
    return body


def test_a_server_error_under_api_is_the_error_body_and_is_logged(inspector, monkeypatch, caplog):
    def broken(self, request):
        raise RuntimeError("boom")

    monkeypatch.setattr(MeView, "get", broken)
    client = client_for(inspector)
    client.raise_request_exception = False
    with caplog.at_level("ERROR", logger="django.request"):
        response = client.get("/api/v1/me/")
    body = assert_error_body(response, 500, "server_error")
    assert "boom" not in body["message"]  # nothing of the server's insides
    assert any("Internal Server Error: /api/v1/me/" in r.getMessage() for r in caplog.records)


def test_a_page_outside_api_stays_a_page():
    client = APIClient(raise_request_exception=False)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")


def test_an_unknown_api_url_is_a_json_404():
    response = APIClient().get("/api/v1/no-such-thing/")
    assert_error_body(response, 404, "not_found")


def test_an_oversized_patrol_upload_is_413_in_the_error_body(inspector, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    client = client_for(inspector)
    fixes = [
        {"client_id": f"fix-{i}", "lon": 120.3, "lat": 36.09, "recorded_at": "2026-12-01T08:00Z"}
        for i in range(400)
    ]
    response = client.post("/api/v1/patrol/", {"fixes": fixes}, format="json")
    assert_error_body(response, 413, "too_large")


def test_an_oversized_body_to_a_view_without_body_limits_is_413_in_the_error_body(settings):
    # Django's own limit (RequestDataTooBig) raised while the view reads the body.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = json.dumps({"username": "x" * 20_000, "password": "y"})
    response = APIClient().generic(
        "POST", "/api/v1/auth/login/", body, content_type="application/json"
    )
    assert_error_body(response, 413, "too_large")


def test_deeply_nested_json_to_the_login_is_a_400_not_a_recursion_error():
    client = APIClient()
    response = client.generic(
        "POST", "/api/v1/auth/login/", "[" * 50_000, content_type="application/json"
    )
    assert_error_body(response, 400, "parse_error")


@pytest.mark.parametrize("path", ["/api/v1/cases/", "/api/v1/sync/"])
def test_deeply_nested_json_anywhere_is_a_400(inspector, path):
    client = client_for(inspector)
    response = client.generic("POST", path, "[" * 50_000, content_type="application/json")
    assert response.status_code in (400, 403)
    assert_error_body(response, response.status_code)

"""The in-app inbox: its owner reads it on the dashboard and through the API; nobody else."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from dispatch.inbox import inbox_mark_read, inbox_unread_count
from dispatch.models import InboxMessage
from grids.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(district, make_user):
    return {
        "me": make_user(Role.DISPATCHER, region=district["370203"], username="me"),
        "other": make_user(Role.DISPATCHER, region=district["370203"], username="other"),
    }


def message(user, title: str, minutes_ago: int = 0, **fields) -> InboxMessage:
    return InboxMessage.objects.create(
        user=user,
        title=title,
        topic="case.overdue",
        created_at=timezone.now() - dt.timedelta(minutes=minutes_ago),
        **fields,
    )


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def test_the_page_lists_my_messages_newest_first_and_never_anothers(people):
    message(people["me"], "旧消息", minutes_ago=10)
    message(people["me"], "新消息", minutes_ago=1)
    message(people["other"], "别人的消息")
    body = browser(people["me"]).get("/inbox/").content.decode()
    assert body.index("新消息") < body.index("旧消息")
    assert "别人的消息" not in body


def test_the_top_bar_shows_the_unread_count(people):
    message(people["me"], "a")
    message(people["me"], "b", read_at=timezone.now())
    body = browser(people["me"]).get("/home/").content.decode()
    assert 'data-testid="inbox-unread">1<' in body


def test_marking_selected_read_ignores_other_peoples_ids(people):
    mine = message(people["me"], "mine")
    theirs = message(people["other"], "theirs")
    response = browser(people["me"]).post("/inbox/read/", {"id": [mine.pk, theirs.pk]})
    assert response.status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read_at is not None
    assert theirs.read_at is None


def test_mark_all_read_is_idempotent_and_keeps_the_first_read_time(people):
    first = message(people["me"], "a")
    message(people["me"], "b")
    assert inbox_mark_read(user=people["me"]) == 2
    first.refresh_from_db()
    read_at = first.read_at
    assert inbox_mark_read(user=people["me"]) == 0
    first.refresh_from_db()
    assert first.read_at == read_at
    assert inbox_unread_count(people["me"]) == 0


def test_the_read_form_only_redirects_inside_the_site(people):
    response = browser(people["me"]).post(
        "/inbox/read/", {"all": "1", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/inbox/"


def test_anonymous_is_sent_to_log_in(people):
    response = Client().get("/inbox/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_the_api_lists_unread_with_the_count_header(people):
    message(people["me"], "unread", case_number="370203-20261127-0001")
    message(people["me"], "read", read_at=timezone.now())
    message(people["other"], "theirs")
    response = api(people["me"]).get("/api/v1/me/inbox/", {"unread": "true"})
    assert response.status_code == 200
    assert [m["title"] for m in response.json()["results"]] == ["unread"]
    assert response.json()["results"][0]["read"] is False
    assert response["X-Unread-Count"] == "1"


def test_the_api_marks_read_by_id_and_reports_what_is_left(people):
    one = message(people["me"], "one")
    message(people["me"], "two")
    client = api(people["me"])
    response = client.post("/api/v1/me/inbox/read/", {"ids": [one.pk]}, format="json")
    assert response.json() == {"marked": 1, "unread": 1}
    # A handheld resending the same request changes nothing.
    response = client.post("/api/v1/me/inbox/read/", {"ids": [one.pk]}, format="json")
    assert response.json() == {"marked": 0, "unread": 1}


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "ids"), ({"ids": [1], "all": True}, "all"), ({"ids": ["x"]}, "ids")],
)
def test_the_api_rejects_a_request_that_says_nothing_clear(people, body, field):
    response = api(people["me"]).post("/api/v1/me/inbox/read/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_the_api_needs_a_login(people):
    assert APIClient().get("/api/v1/me/inbox/").status_code == 401


def test_odd_ids_from_a_tampered_form_are_ignored_not_a_500(people):
    mine = message(people["me"], "mine")
    response = browser(people["me"]).post("/inbox/read/", {"id": ["²", "x", str(mine.pk)]})
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.read_at is not None

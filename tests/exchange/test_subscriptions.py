"""Subscriptions: filters by event type, item and region; answers back to a case's source;
the exchange_subscribe command."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from cases.api.auth import agency_key_issue
from cases.services import case_transition
from exchange.delivery import deliver_webhooks_until_idle
from exchange.models import CaseOrigin, Subscription, WebhookDelivery
from exchange.services import subscription_create
from exchange.signing import HEADER, verify
from grids.models import Role
from tests.cases.conftest import OTHER_GRID_POINT, POINT_IN_GRID, rid
from tests.helpers import client_for

pytestmark = pytest.mark.django_db


def delivered_to(name: str) -> list[str]:
    return list(
        WebhookDelivery.objects.filter(subscription__name=name)
        .order_by("event_id")
        .values_list("event__type", flat=True)
    )


def test_subscriptions_receive_only_their_event_types_items_and_region(world):
    subscription_create(name="all", url="http://127.0.0.1:1/a")
    subscription_create(name="registrations", url="http://127.0.0.1:1/b", events=["register"])
    subscription_create(name="wells", url="http://127.0.0.1:1/c", items=[world.natural_item.code])
    subscription_create(name="street-2", url="http://127.0.0.1:1/d", region="370203002")
    subscription_create(name="grid-1", url="http://127.0.0.1:1/e", region="370203001001001")

    case = world.report(point=POINT_IN_GRID)  # street 370203001, grid 370203001001001
    case_transition(
        case_id=case.pk,
        action="register",
        actor=world.users[Role.INTAKE_OPERATOR],
        request_id=rid(),
    )
    world.report(  # street 370203002, through the hotline
        world.users[Role.INTAKE_OPERATOR],
        source="hotline_12345",
        point=OTHER_GRID_POINT,
        item_id=world.natural_item.pk,
    )

    assert delivered_to("all") == ["report", "register", "report"]
    assert delivered_to("registrations") == ["register"]
    assert delivered_to("wells") == ["report"]
    assert delivered_to("street-2") == ["report"]
    assert delivered_to("grid-1") == ["report", "register"]


def test_an_inactive_subscription_receives_nothing(world):
    created = subscription_create(name="off", url="http://127.0.0.1:1/a")
    Subscription.objects.filter(pk=created.subscription.pk).update(is_active=False)
    world.report()
    assert not WebhookDelivery.objects.exists()


def intake(key: str, world, external_id: str = "GD-1") -> int:
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=key)
    response = client.post(
        "/api/v1/intake/",
        {
            "item": world.item.code,
            "description": "市民来电：路口有垃圾堆放",
            "lon": POINT_IN_GRID.x,
            "lat": POINT_IN_GRID.y,
            "external_id": external_id,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    return int(response.json()["id"])


def test_a_case_from_an_agency_reports_its_changes_and_close_back_to_the_agency(world, receiver):
    hotline = agency_key_issue(name="12345 政务服务热线", source="hotline_12345")
    other = agency_key_issue(name="110", source="police_110")
    callback = subscription_create(
        name="12345 回访", url=receiver.url, answers_back_for="12345 政务服务热线"
    )
    subscription_create(name="110 回访", url="http://127.0.0.1:1/x", answers_back_for="110")
    case_id = intake(hotline.key, world, "GD-7")
    assert CaseOrigin.objects.get(case_id=case_id).external_id == "GD-7"
    operator = world.users[Role.INTAKE_OPERATOR]
    supervisor = world.users[Role.SHIFT_SUPERVISOR]
    case_transition(case_id=case_id, action="register", actor=operator, request_id=rid())
    # Supervising changes no state: the source does not hear of it.
    case_transition(
        case_id=case_id,
        action="supervise",
        actor=supervisor,
        request_id=rid(),
        note="抓紧",
        payload={"due_date": timezone.localdate().isoformat()},
    )
    case_transition(
        case_id=case_id,
        action="close_exceptionally",
        actor=supervisor,
        request_id=rid(),
        note="已由供排水公司处理完毕",
        payload={"closure_kind": "special"},
    )
    # Another agency's case does not go to the hotline's callback.
    intake(other.key, world, "JJ-1")

    deliver_webhooks_until_idle(now=timezone.now() + timedelta(seconds=1))
    events = [r.json for r in receiver.accepted]
    actions = [e["data"]["event"]["action"] for e in events]
    assert actions == ["report", "register", "close_exceptionally"]
    assert all(e["data"]["external_id"] == "GD-7" for e in events)
    assert events[-1]["data"]["case"]["status"] == "closed"
    assert events[-1]["data"]["event"]["note"] == "已由供排水公司处理完毕"
    assert all(verify(callback.secret, r.headers[HEADER], r.body) for r in receiver.accepted)


def test_a_ticket_an_operator_typed_in_answers_back_to_the_channel_s_agency(world):
    agency_key_issue(name="12345 政务服务热线", source="hotline_12345")
    subscription_create(
        name="回访", url="http://127.0.0.1:1/x", answers_back_for="12345 政务服务热线"
    )
    client = client_for(world.users[Role.INTAKE_OPERATOR])
    response = client.post(
        "/api/v1/intake/",
        {
            "item": world.item.code,
            "description": "来电反映垃圾",
            "lon": POINT_IN_GRID.x,
            "lat": POINT_IN_GRID.y,
            "source": "hotline_12345",
            "external_id": "GD-9",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    origin = CaseOrigin.objects.get(case_id=response.json()["id"])
    assert (origin.agency_id, origin.channel, origin.external_id) == (None, "hotline_12345", "GD-9")
    assert delivered_to("回访") == ["report"]


def test_exchange_subscribe_prints_the_secret_once(world):
    out, err = StringIO(), StringIO()
    call_command(
        "exchange_subscribe",
        "区应急局",
        "https://yj.example.cn/hooks/wangge",
        "--events",
        "dispatch",
        "close",
        "--items",
        world.item.code,
        "--region",
        "370203001",
        stdout=out,
        stderr=err,
    )
    secret = out.getvalue().strip()
    assert secret.startswith("whsec_")
    assert "\n" not in secret
    subscription = Subscription.objects.get(name="区应急局")
    assert subscription.secret == secret
    assert subscription.event_types == ["close", "dispatch"]
    assert [i.code for i in subscription.items.all()] == [world.item.code]
    assert subscription.region_id == "370203001"
    assert secret not in err.getvalue()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x", "ftp://a.example/"], "URL"),
        (["x", "https://a.example/", "--events", "explode"], "events"),
        (["x", "https://a.example/", "--items", "Z999999"], "items"),
        (["x", "https://a.example/", "--region", "999"], "region"),
        (["", "https://a.example/"], "name"),
    ],
)
def test_exchange_subscribe_refuses_bad_input(world, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("exchange_subscribe", *args, stdout=StringIO())
    assert not Subscription.objects.exists()


def test_exchange_subscribe_exits_non_zero_with_one_line(tmp_path):
    # A fresh process, as an operator runs it: the URL is refused before anything is read.
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test"}
    result = subprocess.run(
        [sys.executable, "manage.py", "exchange_subscribe", "x", "not-a-url"],
        capture_output=True,
        text=True,
        cwd=django_settings.BASE_DIR,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    # In the site's language (Chinese by default): the URL is what it names.
    assert result.stderr.startswith("CommandError: ")
    assert "http" in result.stderr

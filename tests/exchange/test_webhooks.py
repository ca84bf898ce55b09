"""Webhooks out: a real local HTTP server receives signed CloudEvents, through retries with
backoff, in order per case, with a dead-letter list and redelivery."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.services import case_transition
from exchange.delivery import deliver_webhooks, retry_delay, webhook_redeliver
from exchange.models import ExchangeEvent, WebhookDelivery
from exchange.services import subscription_create
from exchange.signing import HEADER, verify
from grids.models import Role
from tests.cases.conftest import rid

pytestmark = pytest.mark.django_db


def register(world, case):
    return case_transition(
        case_id=case.pk,
        action="register",
        actor=world.users[Role.INTAKE_OPERATOR],
        request_id=rid(),
    )


def test_a_webhook_arrives_once_signed_after_the_receiver_failed_twice(world, receiver, settings):
    settings.EXCHANGE_RETRY_BASE_SECONDS = 30
    receiver.fail_first = 2
    created = subscription_create(name="区应急局", url=receiver.url, events=["report"])
    case = world.report()
    delivery = WebhookDelivery.objects.get()
    start = delivery.next_attempt_at

    assert deliver_webhooks(now=start).retried == 1
    delivery.refresh_from_db()
    assert delivery.next_attempt_at == start + timedelta(seconds=30)
    # Not due yet: nothing is sent before the backoff is over.
    assert deliver_webhooks(now=start + timedelta(seconds=29)).claimed == 0
    assert deliver_webhooks(now=start + timedelta(seconds=30)).retried == 1
    delivery.refresh_from_db()
    # Exponential: the second wait is twice the first.
    assert delivery.next_attempt_at == start + timedelta(seconds=30 + 60)
    assert deliver_webhooks(now=start + timedelta(seconds=90)).sent == 1
    # Delivered: never again.
    assert deliver_webhooks(now=start + timedelta(hours=5)).claimed == 0

    assert len(receiver.requests) == 3
    assert len(receiver.accepted) == 1
    got = receiver.accepted[0]
    assert verify(created.secret, got.headers[HEADER], got.body)
    assert not verify("whsec_wrong", got.headers[HEADER], got.body)
    assert got.headers["Content-Type"].startswith("application/cloudevents+json")
    event = got.json
    assert event["specversion"] == "1.0"
    assert event["type"] == "cn.wangge.case.report"
    assert event["id"] == str(ExchangeEvent.objects.get().pk)
    assert event["data"]["case_number"] == case.number
    assert event["data"]["event"]["action"] == "report"
    assert event["data"]["case"]["item"] == world.item.code
    # Every try carries the same event: a receiver can tell a repeat by its id.
    assert {r.json["id"] for r in receiver.requests} == {event["id"]}
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("sent", 3, 200)


def test_the_signature_header_follows_the_contract(world, receiver):
    import hashlib
    import hmac

    created = subscription_create(name="s", url=receiver.url)
    world.report()
    deliver_webhooks(now=timezone.now() + timedelta(seconds=1))
    got = receiver.accepted[0]
    parts = dict(p.split("=", 1) for p in got.headers[HEADER].split(","))
    assert set(parts) == {"t", "v1"}
    assert abs(int(parts["t"]) - int(timezone.now().timestamp())) < 60
    expected = hmac.new(
        created.secret.encode(), parts["t"].encode() + b"." + got.body, hashlib.sha256
    ).hexdigest()
    assert parts["v1"] == expected


def test_a_case_s_next_event_waits_until_the_one_before_is_delivered(world, receiver, settings):
    settings.EXCHANGE_RETRY_BASE_SECONDS = 10
    subscription_create(name="s", url=receiver.url)
    case = world.report()
    receiver.fail_case[case.number] = 1
    register(world, case)
    other = world.report()
    now = timezone.now() + timedelta(seconds=1)

    first = deliver_webhooks(now=now)
    # The first case's report failed; its registration is held back. The other case goes.
    assert (first.claimed, first.retried, first.sent) == (2, 1, 1)
    assert [r.json["data"]["case_number"] for r in receiver.accepted] == [other.number]
    # Still held while the report waits for its retry.
    assert deliver_webhooks(now=now + timedelta(seconds=5)).claimed == 0
    deliver_webhooks(now=now + timedelta(seconds=10))
    deliver_webhooks(now=now + timedelta(seconds=10))
    actions = [
        r.json["data"]["event"]["action"]
        for r in receiver.accepted
        if r.json["data"]["case_number"] == case.number
    ]
    assert actions == ["report", "register"]


def test_a_dead_letter_holds_its_case_back_until_an_administrator_resends_it(
    world, receiver, settings
):
    settings.EXCHANGE_MAX_ATTEMPTS = 2
    settings.EXCHANGE_RETRY_BASE_SECONDS = 1
    receiver.fail_first = 2
    subscription_create(name="s", url=receiver.url)
    case = world.report()
    register(world, case)
    now = timezone.now() + timedelta(seconds=1)
    deliver_webhooks(now=now)
    assert deliver_webhooks(now=now + timedelta(seconds=1)).dead == 1
    dead = WebhookDelivery.objects.get(state="dead")
    assert "HTTP 500" in dead.last_error
    # The registration is not sent before the report.
    assert deliver_webhooks(now=now + timedelta(hours=1)).claimed == 0
    assert receiver.accepted == []

    assert webhook_redeliver(delivery_ids=[dead.pk], now=now + timedelta(hours=1)) == 1
    later = now + timedelta(hours=1)
    deliver_webhooks(now=later)
    deliver_webhooks(now=later)
    assert [r.json["data"]["event"]["action"] for r in receiver.accepted] == ["report", "register"]


def test_a_delivery_taken_by_one_worker_is_not_taken_by_another(world, receiver):
    from exchange.delivery import _claim

    subscription_create(name="s", url=receiver.url)
    world.report()
    now = timezone.now() + timedelta(seconds=1)
    assert len(_claim(now, 10)) == 1
    # A second worker at the same moment finds it leased.
    assert _claim(now, 10) == []
    # A worker that died leaves it to be taken again once the lease is over.
    assert len(_claim(now + timedelta(minutes=3), 10)) == 1


def test_an_unreachable_receiver_is_retried(world, settings):
    subscription_create(name="s", url="http://127.0.0.1:9/nobody")
    world.report()
    settings.EXCHANGE_CONNECT_TIMEOUT_SECONDS = 1
    result = deliver_webhooks(now=timezone.now() + timedelta(seconds=1))
    assert result.retried == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.last_status is None
    assert "ConnectionError" in delivery.last_error


def test_backoff_grows_and_is_capped(settings):
    settings.EXCHANGE_RETRY_BASE_SECONDS = 30
    settings.EXCHANGE_RETRY_MAX_SECONDS = 3600
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 10)] == [30, 60, 120, 3600]


def test_parallel_sends_keep_every_case_s_order(world, receiver, settings):
    from exchange.delivery import deliver_webhooks_until_idle

    settings.EXCHANGE_RETRY_BASE_SECONDS = 0
    settings.EXCHANGE_SEND_CONCURRENCY = 8
    subscription_create(name="s", url=receiver.url)
    cases = [world.report() for _ in range(6)]
    for case in cases:
        register(world, case)
    for case in cases[::2]:
        receiver.fail_case[case.number] = 1
    result = deliver_webhooks_until_idle(now=timezone.now() + timedelta(seconds=1))
    assert result.sent == 12
    for case in cases:
        actions = [
            r.json["data"]["event"]["action"]
            for r in receiver.accepted
            if r.json["subject"] == case.number
        ]
        assert actions == ["report", "register"], case.number


def test_the_five_lines_in_the_docs_verify_a_delivery(world, receiver):
    from django.conf import settings as django_settings

    text = (django_settings.BASE_DIR / "docs" / "exchange.md").read_text()
    snippet = text.split("```python\n", 1)[1].split("```", 1)[0]
    assert len([line for line in snippet.splitlines() if line.strip()]) == 5
    created = subscription_create(name="s", url=receiver.url)
    world.report()
    deliver_webhooks(now=timezone.now() + timedelta(seconds=1))
    got = receiver.accepted[0]
    for secret, expected in ((created.secret, True), ("whsec_other", False)):
        scope = {"secret": secret, "body": got.body, "header": got.headers[HEADER]}
        exec(snippet, scope)  # noqa: S102 - the documentation's own code, checked
        assert scope["ok"] is expected

"""The Celery side: the task is registered with the worker, kicked once per committed
transaction that queued deliveries, and delivers what is due."""

from __future__ import annotations

import pytest

from exchange import events
from exchange.delivery import deliver_webhooks_task
from exchange.models import WebhookDelivery
from exchange.services import subscription_create

pytestmark = pytest.mark.django_db


def test_the_worker_registers_the_task_and_the_beat_runs_it(settings):
    from config.celery_app import app

    app.loader.import_default_modules()
    assert "exchange.delivery.deliver_webhooks_task" in app.tasks
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "exchange.delivery.deliver_webhooks_task" in scheduled


def test_a_transaction_that_queued_deliveries_kicks_the_task_once(
    world, settings, django_capture_on_commit_callbacks
):
    settings.NOTIFICATION_KICK_ON_COMMIT = True
    subscription_create(name="s", url="http://127.0.0.1:1/x")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        world.report()
    assert [cb for cb in callbacks if cb is events._kick] == [events._kick]


def test_no_subscriber_no_kick(world, settings, django_capture_on_commit_callbacks):
    settings.NOTIFICATION_KICK_ON_COMMIT = True
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        world.report()
    assert events._kick not in callbacks


def test_the_task_delivers_what_is_due(world, receiver):
    subscription_create(name="s", url=receiver.url)
    world.report()
    WebhookDelivery.objects.update(next_attempt_at=WebhookDelivery.objects.get().created_at)
    assert deliver_webhooks_task() == 1
    assert len(receiver.accepted) == 1

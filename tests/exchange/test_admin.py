"""The admin: a subscription made there shows its secret once; dead letters are redelivered
by an action."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from exchange.delivery import deliver_webhooks
from exchange.models import Subscription, WebhookDelivery
from exchange.services import subscription_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(django_user_model) -> Client:
    admin = django_user_model.objects.create_superuser("root", "root@example.cn", "pw-12345678")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(admin)
    return client


def test_the_admin_lists_and_redelivers_dead_letters(world, receiver, settings, admin_client):
    settings.EXCHANGE_MAX_ATTEMPTS = 1
    receiver.fail_first = 1
    subscription_create(name="s", url=receiver.url)
    world.report()
    deliver_webhooks(now=timezone.now() + timedelta(seconds=1))
    dead = WebhookDelivery.objects.get(state="dead")
    listing = admin_client.get("/admin/exchange/webhookdelivery/?state__exact=dead")
    assert listing.status_code == 200
    response = admin_client.post(
        "/admin/exchange/webhookdelivery/",
        {"action": "redeliver", "_selected_action": [dead.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "1 event queued for delivery again." in response.content.decode()
    deliver_webhooks(now=timezone.now() + timedelta(seconds=1))
    dead.refresh_from_db()
    assert dead.state == "sent"
    assert len(receiver.accepted) == 1


def test_a_subscription_added_in_the_admin_shows_its_secret_once(world, admin_client):
    response = admin_client.post(
        "/admin/exchange/subscription/add/",
        {
            "name": "区应急局",
            "url": "https://yj.example.cn/hook",
            "kind": "filtered",
            "event_types": "[]",
            "is_active": "on",
        },
        follow=True,
    )
    assert response.status_code == 200, response.content
    subscription = Subscription.objects.get(name="区应急局")
    assert subscription.secret.startswith("whsec_")
    assert subscription.secret in response.content.decode()
    page = admin_client.get(f"/admin/exchange/subscription/{subscription.pk}/change/")
    assert subscription.secret not in page.content.decode()


def test_the_admin_refuses_answers_back_without_an_agency_and_unknown_events(admin_client):
    response = admin_client.post(
        "/admin/exchange/subscription/add/",
        {
            "name": "x",
            "url": "https://x.example.cn/hook",
            "kind": "answers_back",
            "event_types": '["explode"]',
            "is_active": "on",
        },
    )
    assert response.status_code == 200  # the form again, with its errors
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"agency", "event_types"}
    assert not Subscription.objects.exists()

"""/metrics: django-prometheus's figures plus queue depth and sweep lag, for the scraper only."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.utils import timezone
from kombu import Connection

from cases.models import Status
from tests.cases.conftest import World, put_in_state, world  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db

TOKEN = "scrape-me-" + "x" * 24


@pytest.fixture
def scraper(settings) -> Client:
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_NETWORKS = []
    return Client(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")


def gauge(body: str, name: str, labels: str = "") -> float:
    match = re.search(rf"^{name}{re.escape(labels)} (\S+)$", body, re.MULTILINE)
    assert match, f"{name}{labels} not in the metrics"
    return float(match.group(1))


def test_without_a_token_or_networks_the_endpoint_is_off(settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = []
    assert Client().get("/metrics").status_code == 404


def test_a_wrong_or_missing_token_is_refused(scraper):
    assert Client().get("/metrics").status_code == 403
    assert Client(HTTP_AUTHORIZATION="Bearer nope").get("/metrics").status_code == 403
    assert Client(HTTP_AUTHORIZATION=TOKEN).get("/metrics").status_code == 403  # no "Bearer"


def test_an_allowed_network_needs_no_token(settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = ["10.1.0.0/16"]
    assert Client(REMOTE_ADDR="10.1.2.3").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="10.2.0.1").get("/metrics").status_code == 403


def test_the_scraper_gets_request_figures_and_the_deployment_gauges(scraper):
    Client().get("/healthz")
    response = scraper.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    body = response.content.decode()
    # django-prometheus's middlewares count every request.
    assert "django_http_requests_total_by_method_total" in body
    assert gauge(body, "wangge_sweep_lag_seconds") == 0.0
    assert gauge(body, "wangge_sweep_due_cases") == 0.0
    assert gauge(body, "wangge_celery_queue_length", '{queue="celery"}') >= 0
    assert "wangge_replica_up" not in body  # no replica configured
    if connection.vendor == "postgresql":  # the month partitions (cases.partitions)
        events = '{table="cases_caseevent"}'
        assert gauge(body, "wangge_partition_months_ahead", events) == 3
        assert gauge(body, "wangge_partition_default_rows", events) == 0
    else:
        assert "wangge_partition_months_ahead" not in body


def test_sweep_lag_is_the_wait_of_the_oldest_due_case(world: World, scraper):  # noqa: F811
    now = timezone.now()
    put_in_state(world.report(), Status.FILED, stage_warn_at=now - timedelta(seconds=300))
    put_in_state(world.report(), Status.FILED, stage_warn_at=now - timedelta(seconds=40))
    put_in_state(world.report(), Status.FILED, stage_warn_at=now + timedelta(hours=1))
    body = scraper.get("/metrics").content.decode()
    assert 300 <= gauge(body, "wangge_sweep_lag_seconds") < 330
    assert gauge(body, "wangge_sweep_due_cases") == 2


def test_queue_length_counts_the_messages_waiting_in_the_broker(settings, scraper):
    queue = f"metrics-test-{uuid.uuid4().hex[:8]}"
    settings.METRICS_CELERY_QUEUES = ["celery", queue]
    with Connection(
        django_settings.CELERY_BROKER_URL,
        transport_options=getattr(django_settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}),
    ) as conn:
        waiting = conn.SimpleQueue(queue)
        try:
            assert (
                gauge(
                    scraper.get("/metrics").content.decode(),
                    "wangge_celery_queue_length",
                    f'{{queue="{queue}"}}',
                )
                == 0
            )
            for n in range(3):
                waiting.put({"n": n})
            body = scraper.get("/metrics").content.decode()
            assert gauge(body, "wangge_celery_queue_length", f'{{queue="{queue}"}}') == 3
        finally:
            waiting.clear()
            waiting.close()

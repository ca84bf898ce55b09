"""Redis was an undocumented single point of failure: with CACHE_URL on Redis, killing Redis
made every API request a 500, because DRF's throttles read the cache. The production settings
now put a cache in front of Redis that fails open (no limits, a logged warning) and comes back
by itself. Tested against a real redis-server, killed and started again."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings as django_settings
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from grids.models import Role
from tests.helpers import RedisServer, client_for

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
]


def production_caches(cache_url: str) -> dict:
    """CACHES as config/settings.py makes them from CACHE_URL (read in a fresh process)."""
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json; from config import settings; print(json.dumps(settings.CACHES))",
        ],
        env={**os.environ, "CACHE_URL": cache_url},
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.kill()


@pytest.fixture
def redis_cache(redis_server, settings, monkeypatch):
    settings.CACHES = production_caches(redis_server.url)
    # Three requests a minute per user, and per address for logging in.
    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {**SimpleRateThrottle.THROTTLE_RATES, "user": "3/minute", "login": "3/minute"},
    )
    return redis_server


def test_the_production_cache_on_redis_fails_open(redis_server):
    backend = production_caches(redis_server.url)["default"]["BACKEND"]
    assert backend == "config.cache.FailOpenRedisCache"


def test_the_api_answers_while_redis_is_down_and_limits_again_once_it_is_back(
    redis_cache, district, make_user, caplog
):
    inspector = make_user(Role.INSPECTOR, region=district["370203001001001"])
    client = client_for(inspector)
    # Redis up: the limit holds.
    assert [client.get("/api/v1/me/").status_code for _ in range(4)] == [200, 200, 200, 429]

    redis_cache.kill()
    with caplog.at_level(logging.WARNING, logger="wangge.cache"):
        answers = [client.get("/api/v1/me/").status_code for _ in range(6)]
        login = APIClient().post(
            "/api/v1/auth/login/", {"username": "nobody", "password": "x"}, format="json"
        )
    # No 500, no limit while it is down; one warning says why.
    assert answers == [200] * 6
    assert login.status_code == 400
    assert login.json()["code"] == "invalid_credentials"
    warnings = [r for r in caplog.records if r.name == "wangge.cache"]
    assert len(warnings) == 1
    assert "failing open" in warnings[0].getMessage()

    # Back: the counters start again from nothing, and the limit holds again.
    redis_cache.start()
    assert [client.get("/api/v1/me/").status_code for _ in range(4)] == [200, 200, 200, 429]


def test_a_redis_that_does_not_answer_does_not_hang_a_request(redis_cache, district, make_user):
    inspector = make_user(Role.INSPECTOR, region=district["370203001001001"])
    client = client_for(inspector)
    assert client.get("/api/v1/me/").status_code == 200
    # SIGSTOP: the port is open but nothing answers (a hung or partitioned Redis).
    redis_cache.process.send_signal(signal.SIGSTOP)
    try:
        started = time.monotonic()
        assert client.get("/api/v1/me/").status_code == 200
        assert time.monotonic() - started < 5
    finally:
        redis_cache.process.send_signal(signal.SIGCONT)

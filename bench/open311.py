"""Benchmark the public reads and writes: Open311 GeoReport v2 and the citizen API, through
the whole Django request path (test Client: middleware, views, serialisation), one request at
a time.

    DATABASE_URL=... DEBUG=0 .venv/bin/python bench/open311.py [-n 100]

Needs seed_demo, seed_catalogue and generate_cases (a year of history: the default 90-day
window of GET requests holds ~270 k cases, of which it returns the newest 1,000). Prints
p50/p95/p99 and the queries per request.

It writes: an Open311 client "bench-open311", a citizen account (phone 13800138000) and the
cases the POSTs and the citizen's reports create.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.signals import request_finished, request_started  # noqa: E402
from django.db import close_old_connections, connection  # noqa: E402
from django.test import Client  # noqa: E402

from bench.locate import percentiles, random_grid_points  # noqa: E402
from cases.api.auth import token_issue  # noqa: E402
from cases.models import Case, Item  # noqa: E402
from cases.services import ReportInput  # noqa: E402
from citizens.models import CitizenProfile  # noqa: E402
from citizens.open311.services import open311_client_issue  # noqa: E402
from citizens.reports import citizen_report_submit  # noqa: E402
from grids.models import User  # noqa: E402

CITIZEN_PHONE = "13800138000"


def citizen() -> User:
    profile = CitizenProfile.objects.filter(phone=CITIZEN_PHONE).select_related("user").first()
    if profile is not None:
        return profile.user
    from django.utils import timezone

    user = User.objects.create_user(username=f"citizen-bench-{uuid.uuid4().hex[:6]}")
    now = timezone.now()
    CitizenProfile.objects.create(
        user=user, phone=CITIZEN_PHONE, phone_verified_at=now, created_at=now
    )
    return user


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=100)
    args = parser.parse_args()
    # Throttles are per address and per key; a benchmark from one address would hit them.
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}
    # One connection for the whole run (as a server process keeps one with CONN_MAX_AGE), so
    # that the queries of a request can be counted on it.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    print(f"backend: {connection.vendor} ({connection.settings_dict['NAME']})")
    print(f"cases in the database: {Case.objects.count()}")
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    key = open311_client_issue(name="bench-open311").key
    item = Item.objects.filter(is_active=True).order_by("code").first()
    assert item is not None
    points = random_grid_points(args.n + 40, 7)
    user = citizen()
    for _grid, point in points[:20]:
        citizen_report_submit(
            user=user,
            data=ReportInput(
                source="citizen_app", item_id=item.pk, description="基准测试：暴露垃圾", point=point
            ),
            request_id=uuid.uuid4().hex,
        )
    token = token_issue(user=user).token
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    own = Case.objects.filter(reporter=user).order_by("-reported_at").first()
    assert own is not None
    newest = Case.objects.order_by("-reported_at").values_list("number", flat=True)[:50]
    numbers = list(newest)

    def get(path: str, **headers: str) -> Callable[[int], None]:
        def call(i: int) -> None:
            response = client.get(path.format(number=numbers[i % len(numbers)]), **headers)
            assert response.status_code == 200, response.content[:300]

        return call

    def post_request(i: int) -> None:
        _grid, point = points[20 + i % (len(points) - 20)]
        response = client.post(
            "/open311/v2/requests.json",
            {
                "api_key": key,
                "service_code": item.code,
                "lat": point.y,
                "long": point.x,
                "description": "基准测试",
            },
        )
        assert response.status_code == 201, response.content[:300]

    auth = {"HTTP_AUTHORIZATION": f"Token {token}"}
    benches: list[tuple[str, Callable[[int], None]]] = [
        ("GET services.json", get("/open311/v2/services.json")),
        ("GET requests.json (90 days, newest 1000)", get("/open311/v2/requests.json")),
        ("GET requests.xml (90 days, newest 1000)", get("/open311/v2/requests.xml")),
        (
            f"GET requests.json?service_code={item.code}&status=closed",
            get(f"/open311/v2/requests.json?service_code={item.code}&status=closed"),
        ),
        ("GET requests/{id}.xml", get("/open311/v2/requests/{number}.xml")),
        ("POST requests.json", post_request),
        ("GET citizen/reports/ (20 of theirs)", get("/api/v1/citizen/reports/", **auth)),
        ("GET citizen/reports/{id}/", get(f"/api/v1/citizen/reports/{own.pk}/", **auth)),
    ]
    results = []
    for name, call in benches:
        for i in range(5):  # warm up
            call(i)
        # Counted with a wrapper: Django clears connection.queries at each request's start.
        executed: list[str] = []

        def count(execute, sql, params, many, context, executed=executed):  # noqa: ANN001
            executed.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            call(0)
        samples = []
        for i in range(args.n):
            cache.clear()
            started = time.perf_counter()
            call(i)
            samples.append((time.perf_counter() - started) * 1000)
        results.append((name, len(executed), samples))
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    for name, queries, samples in results:
        print(f"{name:50s} queries={queries:2d}  {percentiles(samples)}")


if __name__ == "__main__":
    main()

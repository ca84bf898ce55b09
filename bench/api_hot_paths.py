"""Benchmark the two hot API requests in process: an inspector's report (POST /api/v1/cases/)
and an action (POST /api/v1/cases/{id}/actions/, registering), whole requests through Django's
test client (middleware, token, throttle, the service and the answer), one at a time.

    DATABASE_URL=... DEBUG=0 .venv/bin/python bench/api_hot_paths.py [-n 300] [--profile]

Needs seed_demo, seed_calendar and seed_catalogue (generate_cases makes the indexes matter).
Prints p50/p95/p99 per request in real time and in this process's CPU time (the Python
side alone, which a loaded machine disturbs less than real time), the SQL statements of one
request of each, the garbage collector's pauses, and the load average; with --profile the top
of a cProfile of 40 of each. The garbage collector is settled as the server settles it
(config.collector) unless --no-gc-settle.
The cases it writes stay (their
request ids start with "bench-"). The throttle is lifted for the run (3,000 an hour a token).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

import numpy as np  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from rest_framework.settings import api_settings  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from bench.locate import percentiles, random_grid_points  # noqa: E402
from cases.api.auth import token_issue  # noqa: E402
from cases.models import Case, EntryLevel, Item  # noqa: E402
from config.collector import settle  # noqa: E402
from grids.models import Post, Role, User  # noqa: E402

CONTROL = ("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT", "ROLLBACK")


def rid() -> str:
    return f"bench-{uuid.uuid4().hex}"


def client(user: User) -> APIClient:
    api = APIClient(HTTP_HOST=(settings.ALLOWED_HOSTS or ["localhost"])[0].lstrip(".") or "x")
    api.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=user, device='bench').token}")
    return api


class GcPauses:
    """The garbage collector's pauses while measuring (they land in whichever request runs)."""

    def __init__(self) -> None:
        self.count = [0, 0, 0]
        self.ms = [0.0, 0.0, 0.0]
        self._started = 0.0
        gc.callbacks.append(self)

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.count[info["generation"]] += 1
            self.ms[info["generation"]] += (time.perf_counter() - self._started) * 1000

    def __str__(self) -> str:
        return ", ".join(
            f"gen{g}: {self.count[g]} × {self.ms[g] / max(1, self.count[g]):.2f} ms"
            for g in range(3)
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=300)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--profile-out", help="also write the profile's stats to this file")
    parser.add_argument(
        "--no-gc-settle",
        action="store_true",
        help="leave the garbage collector as CPython sets it (the server settles it: config.wsgi)",
    )
    args = parser.parse_args()
    # No throttle in this run: it measures the request, not the limit.
    api_settings.DEFAULT_THROTTLE_CLASSES = []  # type: ignore[misc]
    name = connection.settings_dict["NAME"]
    print(f"backend: {connection.vendor} ({name}), DEBUG={settings.DEBUG}")
    print(f"cache: {settings.CACHES['default']['BACKEND']}")
    print(f"cases in the database: {Case.objects.count()}")
    print(f"load average before: {os.getloadavg()}")
    intake_post = (
        Post.objects.filter(role=Role.INTAKE_OPERATOR, region__code="370203", is_active=True)
        .select_related("user")
        .order_by("user__username")
        .first()
    )
    if intake_post is None:
        raise SystemExit("No intake operator: run seed_demo.")
    intake = client(intake_post.user)
    inspectors: dict[str, APIClient] = {}
    users: dict[str, User] = {}
    for post in Post.objects.filter(role=Role.INSPECTOR, is_active=True).select_related(
        "user", "region"
    ):
        if post.region is not None:
            users.setdefault(post.region.code, post.user)
    items = list(
        Item.objects.filter(
            is_active=True, default_unit__isnull=False, entry_level=EntryLevel.DISTRICT
        ).order_by("code")
    )
    rng = np.random.default_rng(args.seed)
    points = random_grid_points(args.n + 200, args.seed)

    def report(i: int) -> dict:
        grid, point = points[i]
        if grid not in inspectors:
            inspectors[grid] = client(users[grid])
        item = items[int(rng.integers(len(items)))]
        body = {
            "request_id": rid(),
            "item": item.code,
            "description": "基准测试：路面破损",
            "lon": point.x,
            "lat": point.y,
        }
        response = inspectors[grid].post("/api/v1/cases/", body, format="json")
        assert response.status_code == 201, response.content
        return response.json()

    def register(case: dict) -> dict:
        body = {"action": "register", "version": case["version"], "request_id": rid()}
        response = intake.post(f"/api/v1/cases/{case['id']}/actions/", body, format="json")
        assert response.status_code == 200, response.content
        return response.json()

    if not args.no_gc_settle:
        settle()  # as config.wsgi does once the application is loaded
    print(f"garbage collector: threshold {gc.get_threshold()}, frozen {gc.get_freeze_count()}")
    # Warm up: connections, caches, each token's first use.
    for i in range(args.n, args.n + 120):
        register(report(i))

    pauses = GcPauses()
    reports: list[float] = []
    report_cpu: list[float] = []
    made: list[dict] = []
    for i in range(args.n):
        started, cpu = time.perf_counter(), time.process_time()
        made.append(report(i))
        reports.append((time.perf_counter() - started) * 1000)
        report_cpu.append((time.process_time() - cpu) * 1000)
    actions: list[float] = []
    action_cpu: list[float] = []
    for case in made:
        started, cpu = time.perf_counter(), time.process_time()
        register(case)
        actions.append((time.perf_counter() - started) * 1000)
        action_cpu.append((time.process_time() - cpu) * 1000)
    gc.callbacks.remove(pauses)
    with CaptureQueriesContext(connection) as ctx:
        case = report(0)  # a grid whose token is warm
    report_sql = [q["sql"] for q in ctx.captured_queries]
    with CaptureQueriesContext(connection) as ctx:
        register(case)
    action_sql = [q["sql"] for q in ctx.captured_queries]
    print(f"load average after: {os.getloadavg()}")
    print(f"garbage collections while measuring ({2 * args.n} requests): {pauses}")
    for label, samples, cpu, sqls in (
        ("report", reports, report_cpu, report_sql),
        ("register", actions, action_cpu, action_sql),
    ):
        work = [s for s in sqls if not s.lstrip().upper().startswith(CONTROL)]
        control = len(sqls) - len(work)
        print(f"{label:9s} statements={len(work):2d} (+{control} control)")
        print(f"  real time: {percentiles(samples)}")
        print(f"  this process's CPU time: {percentiles(cpu)}")

    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        for i in range(args.n + 160, args.n + 200):
            register(report(i))
        profile.disable()
        if args.profile_out:
            profile.dump_stats(args.profile_out)
        print("\ncProfile, 40 reports + 40 registrations, by cumulative time:")
        pstats.Stats(profile).sort_stats("cumulative").print_stats(35)
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()

"""Benchmark the write path: case_report and case_transition, one call at a time.

    DATABASE_URL=... DEBUG=0 .venv/bin/python bench/case_services.py [-n 500] [--profile]

Needs seed_demo, seed_calendar, seed_catalogue, and generate_cases (the staff it creates, and
the history that makes the indexes matter). N fresh reports by the grid's inspector at random
points (of items that start at the district: the district's staff walk them), then each case
walked through the loop one action at a time, all cases per action: register, file,
dispatch, sign_for, feedback, send_check, check_pass, close. Every call is timed with
perf_counter around the service call alone (real time, real transactions, commit included).
Prints p50/p95/p99 per action, the queries per call, and with --profile the top of a cProfile
of 50 reports and 50 transitions.

It writes: the cases it creates stay in the database (request ids start with "bench-").
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

import numpy as np  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.locate import percentiles, random_grid_points  # noqa: E402
from cases.models import Case, EntryLevel, Item  # noqa: E402
from cases.services import ReportInput, case_report, case_transition  # noqa: E402
from grids.models import Post, Role, User  # noqa: E402


def rid() -> str:
    return f"bench-{uuid.uuid4().hex}"


def first_user(role: str, region_code: str) -> User:
    post = (
        Post.objects.filter(role=role, region__code=region_code, is_active=True)
        .select_related("user")
        .order_by("user__username")
        .first()
    )
    if post is None:
        raise SystemExit(f"No {role} posted at {region_code}: run seed_demo / generate_cases.")
    return post.user


def timed(call: Callable[[], User]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=500)
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    district = "370203"
    print(f"backend: {connection.vendor} ({connection.settings_dict['NAME']})")
    print(f"cases in the database: {Case.objects.count()}")
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    intake = first_user(Role.INTAKE_OPERATOR, district)
    supervisor = first_user(Role.SHIFT_SUPERVISOR, district)
    dispatcher = first_user(Role.DISPATCHER, district)
    inspectors: dict[str, User] = {}
    for post in Post.objects.filter(role=Role.INSPECTOR, is_active=True).select_related(
        "user", "region"
    ):
        if post.region is not None:
            inspectors.setdefault(post.region.code, post.user)
    handlers: dict[int | None, User] = {}
    for post in Post.objects.filter(role=Role.UNIT_HANDLER, is_active=True).select_related("user"):
        handlers.setdefault(post.unit_id, post.user)
    # Items whose cases start at the district, whose command centre walks them here (the
    # others start in a street's or community's own loop).
    items = list(
        Item.objects.filter(
            is_active=True, default_unit__isnull=False, entry_level=EntryLevel.DISTRICT
        ).order_by("code")
    )
    rng = np.random.default_rng(args.seed)
    points = random_grid_points(args.n + 60, args.seed)

    def report(i: int) -> Callable[[], Case]:
        grid, point = points[i]
        item = items[int(rng.integers(len(items)))]
        data = ReportInput(
            source="inspector", item_id=item.pk, description="基准测试：路面破损", point=point
        )
        return lambda: case_report(actor=inspectors[grid], data=data, request_id=rid())

    # Warm up: connection, calendar cache, content types.
    for i in range(args.n, args.n + 10):
        report(i)()

    results: dict[str, list[float]] = {}
    queries: dict[str, float] = {}
    cases: list[Case] = []
    samples = []
    for i in range(args.n):
        call = report(i)
        started = time.perf_counter()
        cases.append(call())
        samples.append((time.perf_counter() - started) * 1000)
    results["case_report"] = samples
    with CaptureQueriesContext(connection) as ctx:
        report(args.n + 10)()
    queries["case_report"] = len(ctx.captured_queries)

    def transition(
        action: str,
        actor_for: Callable[[Case], User],
        payload_for: Callable[[Case], dict] | None = None,
        note: str = "",
    ) -> None:
        samples = []
        for index, case in enumerate(cases):
            actor = actor_for(case)
            payload = payload_for(case) if payload_for else None

            def call(
                case: Case = case, actor: User = actor, payload: dict | None = payload
            ) -> Case:
                return case_transition(
                    case_id=case.pk,
                    action=action,
                    actor=actor,
                    request_id=rid(),
                    payload=payload,
                    note=note,
                )

            if index == 0:
                with CaptureQueriesContext(connection) as ctx:
                    cases[index] = call()
                queries[action] = len(ctx.captured_queries)
                continue
            started = time.perf_counter()
            cases[index] = call()
            samples.append((time.perf_counter() - started) * 1000)
        results[action] = samples

    transition("register", lambda c: intake)
    transition("file", lambda c: supervisor)
    transition(
        "dispatch",
        lambda c: dispatcher,
        payload_for=lambda c: {"unit_id": c.item.default_unit_id},
    )
    transition("sign_for", lambda c: handlers[c.handling_unit_id])
    transition("feedback", lambda c: handlers[c.handling_unit_id], note="已处置完毕")
    transition("send_check", lambda c: intake)
    transition("check_pass", lambda c: inspectors[c.grid_id])
    transition("close", lambda c: supervisor)

    print(f"load average after: {os.getloadavg()[0]:.2f}")
    for name, samples in results.items():
        print(f"{name:12s} queries={queries.get(name, 0):3.0f}  {percentiles(samples)}")
    transitions = [s for name, ss in results.items() if name != "case_report" for s in ss]
    print(f"{'transitions':12s} (all)          {percentiles(transitions)}")

    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        fresh = [report(args.n + 20 + i)() for i in range(40)]
        for case in fresh:
            case_transition(case_id=case.pk, action="register", actor=intake, request_id=rid())
        profile.disable()
        print("\ncProfile, 40 reports + 40 registrations, by cumulative time:")
        pstats.Stats(profile).sort_stats("cumulative").print_stats(30)


if __name__ == "__main__":
    main()

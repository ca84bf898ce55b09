"""Benchmark the registry's linked queries: person → up-chain and building → residents.

    DATABASE_URL=... .venv/bin/python bench/registry.py [-n 2000] [--seed 1] [--user demo-street]

Runs against a database after seed_demo and generate_population. Samples persons and buildings
inside the user's jurisdiction (demo-street: the first street), then times, per sample:

1. selectors: the jurisdiction check and the linked query (what the API reads), no logging;
2. service: the same plus citizens.access.persons_read (decrypt, mask, one access-log row per
   person shown), as the API view does it;
3. HTTP: GET through Django's test client with a token (the full stack minus the network).

Prints the row counts, the plans of the two queries, then p50/p95/p99/max per measure.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

import numpy as np  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from rest_framework.views import APIView  # noqa: E402

from cases.api.auth import token_issue  # noqa: E402
from citizens.access import persons_read  # noqa: E402
from citizens.models import (  # noqa: E402
    Building,
    Dwelling,
    Occupancy,
    Organisation,
    Parcel,
    Person,
    PersonAccessLog,
    PersonKeyGroup,
)
from citizens.selectors import (  # noqa: E402
    building_get_for_user,
    building_residents_qs,
    person_chain,
    person_get_for_user,
    registry_jurisdiction,
)
from grids.models import User  # noqa: E402

PAGE = 100


def percentiles(samples_ms: list[float]) -> str:
    q = np.percentile(samples_ms, [50, 95, 99])
    return (
        f"n={len(samples_ms)} mean={statistics.fmean(samples_ms):.2f} p50={q[0]:.2f} "
        f"p95={q[1]:.2f} p99={q[2]:.2f} max={max(samples_ms):.2f} ms"
    )


def timed(call, samples: list) -> list[float]:  # noqa: ANN001
    out = []
    for sample in samples:
        start = time.perf_counter()
        call(sample)
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument("--http", type=int, default=1000, help="samples for the HTTP measure")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--user", default="demo-street")
    args = parser.parse_args()
    APIView.throttle_classes = []  # the benchmark is one user asking far faster than any person
    # Run with DEBUG=1 when the data was generated with development keys; but do not keep
    # every query in memory as DEBUG does.
    settings.DEBUG = False

    print(f"backend: {connection.vendor}; load average before: {os.getloadavg()}")
    counts = {
        model.__name__: model.objects.count()
        for model in (Parcel, Building, Dwelling, Person, Occupancy, PersonKeyGroup, Organisation)
    }
    print("rows:", counts, "total:", sum(counts.values()))
    user = User.objects.get(username=args.user)
    jurisdiction = registry_jurisdiction(user)
    rnd = random.Random(args.seed)
    person_ids = list(
        Person.objects.filter(jurisdiction.region_filter("grid__code")).values_list("pk", flat=True)
    )
    building_ids = list(
        Building.objects.filter(jurisdiction.region_filter("grid__code")).values_list(
            "pk", flat=True
        )
    )
    print(
        f"user {user.username}: {len(person_ids)} persons, {len(building_ids)} buildings in reach"
    )
    persons = [rnd.choice(person_ids) for _ in range(args.n)]
    buildings = [rnd.choice(building_ids) for _ in range(args.n)]

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for label, qs in (
                ("up-chain", Occupancy.objects.filter(person_id=persons[0], until__isnull=True)
                 .select_related("dwelling__building__parcel")),
                ("residents", building_residents_qs(Building(pk=buildings[0]))[:PAGE]),
            ):  # fmt: skip
                sql, params = qs.query.sql_with_params()
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
                print(f"-- plan: {label}")
                for (line,) in cursor.fetchall():
                    print("   ", line)

    def chain_select(person_id: int) -> None:
        person = person_get_for_user(user, person_id)
        person_chain(person)

    def chain_read(person_id: int) -> None:
        person = person_get_for_user(user, person_id)
        persons_read(user=user, persons=[person], purpose="record", reason="bench")
        person_chain(person)

    def residents_select(building_id: int) -> None:
        building = building_get_for_user(user, building_id)
        list(building_residents_qs(building)[:PAGE])

    def residents_read(building_id: int) -> None:
        building = building_get_for_user(user, building_id)
        links = list(building_residents_qs(building)[:PAGE])
        unique = list({link.person_id: link.person for link in links}.values())
        persons_read(
            user=user,
            persons=unique,
            purpose="building",
            reason="bench",
            via_grids={link.person_id: link.grid_id for link in links},
        )

    client = Client(HTTP_AUTHORIZATION=f"Token {token_issue(user=user).token}")

    def http(url: str) -> None:
        response = client.get(url, {"reason": "bench"})
        assert response.status_code == 200, (url, response.status_code)

    log_before = PersonAccessLog.objects.count()
    # Warm up (connection, caches) before timing.
    for pid, bid in zip(persons[:50], buildings[:50], strict=True):
        chain_read(pid)
        residents_read(bid)
    results = {
        "person → up-chain, selectors": timed(chain_select, persons),
        "person → up-chain, with logged read": timed(chain_read, persons),
        "person → up-chain, HTTP": timed(
            lambda pid: http(f"/api/v1/registry/persons/{pid}/"), persons[: args.http]
        ),
        "building → residents, selectors": timed(residents_select, buildings),
        "building → residents, with logged read": timed(residents_read, buildings),
        "building → residents, HTTP": timed(
            lambda bid: http(f"/api/v1/registry/buildings/{bid}/residents/"),
            buildings[: args.http],
        ),
    }
    residents = [
        Occupancy.objects.filter(building_id=bid, until__isnull=True).count()
        for bid in buildings[:200]
    ]
    print(
        f"residents per building (sample of 200): mean {statistics.fmean(residents):.0f}, "
        f"max {max(residents)}; a page is at most {PAGE}"
    )
    for label, samples in results.items():
        print(f"{label:42s} {percentiles(samples)}")
    print(f"access-log rows written: {PersonAccessLog.objects.count() - log_before}")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()

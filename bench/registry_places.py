"""Benchmark the registry page's reads: place search, a building's card (logged read
included), a grid's population picture, and the district's roll-up.

    DATABASE_URL=... DEBUG=1 .venv/bin/python bench/registry_places.py [-n 1000] [--seed 1]

Runs against a database after seed_demo and generate_population (520 k persons), best with
generate_cases too (the building card lists the cases at the building). Everything goes
through Django's test client with a token: the whole request minus the network.

1. search: `GET /api/v1/registry/search/?q=` as the district's intake operator (the intake
   desk: the whole district) and as the demo community's staff, with queries made from the
   data: an address without its last character ("延安路8" for 延安路83号), the number alone
   ("83号"), a road and a number as two words, part of an organisation's name, a parcel code;
2. building card: what the page fetches when a building is clicked, in sequence: the
   building, its cases, and the first page of its residents (≤ 100, each logged);
3. grid stats: `GET /api/v1/registry/grids/{code}/stats/` as the district leader, live;
   then a community and a street (live);
4. district roll-up: the same for the district, from the nightly count; the live count it
   replaces, and figures_rebuild (the nightly job) timed once each.

Prints the load average before and after, and p50/p95/p99/max per measure.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

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
from cases.models import Case  # noqa: E402
from citizens.models import (  # noqa: E402
    Building,
    GridFigures,
    Organisation,
    Parcel,
    Person,
    PersonAccessLog,
)
from citizens.stats import figures_live, figures_rebuild  # noqa: E402
from grids.models import Level, Region, User  # noqa: E402


def percentiles(samples_ms: list[float]) -> str:
    q = np.percentile(samples_ms, [50, 95, 99])
    return (
        f"n={len(samples_ms)} mean={statistics.fmean(samples_ms):.2f} p50={q[0]:.2f} "
        f"p95={q[1]:.2f} p99={q[2]:.2f} max={max(samples_ms):.2f} ms"
    )


def timed(call: Callable, samples: list) -> list[float]:
    out = []
    for sample in samples:
        start = time.perf_counter()
        call(sample)
        out.append((time.perf_counter() - start) * 1000)
    return out


def client_for(username: str) -> Client:
    user = User.objects.get(username=username)
    return Client(HTTP_AUTHORIZATION=f"Token {token_issue(user=user).token}")


def get(client: Client, url: str, **params: Any) -> Any:
    response = client.get(url, params)
    assert response.status_code == 200, (url, params, response.status_code, response.content[:200])
    return response


def queries(rnd: random.Random, n: int, grid_prefix: str) -> list[str]:
    """Search texts made from the data under the prefix, in the ways people type them."""
    addresses = list(
        Building.objects.filter(grid__code__startswith=grid_prefix).values_list(
            "address", flat=True
        )
    )
    names = list(
        Organisation.objects.filter(grid__code__startswith=grid_prefix).values_list(
            "name", flat=True
        )
    )
    codes = list(
        Parcel.objects.filter(grid__code__startswith=grid_prefix).values_list("code", flat=True)
    )
    out = []
    for _ in range(n):
        kind = rnd.random()
        address = rnd.choice(addresses)
        road, _sep, number = address.partition("路")
        if kind < 0.35:
            out.append(address[:-1])  # 延安路8 (the 号 not yet typed)
        elif kind < 0.55:
            out.append(number)  # 83号
        elif kind < 0.75:
            out.append(f"{road}路 {number[:-1]}")  # 延安路 83
        elif kind < 0.9 and names:
            name = rnd.choice(names)
            out.append(name[1:])  # 记便利店: part of a name
        else:
            out.append(rnd.choice(codes)[-8:])  # the end of a parcel code
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    APIView.throttle_classes = []  # one client asking far faster than any person
    settings.DEBUG = False  # no query log in memory
    rnd = random.Random(args.seed)

    print(f"backend: {connection.vendor}; load average before: {os.getloadavg()}")
    print(
        "rows:",
        {
            "persons": Person.objects.count(),
            "buildings": Building.objects.count(),
            "parcels": Parcel.objects.count(),
            "organisations": Organisation.objects.count(),
            "cases": Case.objects.count(),
            "grid figures": GridFigures.objects.count(),
        },
    )
    district = Region.objects.get(level=Level.DISTRICT)
    community = User.objects.get(username="demo-community").posts.get().region
    assert community is not None
    results: dict[str, list[float]] = {}

    # 1. search
    intake = client_for("demo-intake")
    staff = client_for("demo-community")
    for label, client, prefix in (
        ("search, intake operator (district)", intake, district.code),
        ("search, community staff (community)", staff, community.code),
    ):
        texts = queries(rnd, args.n, prefix)
        for text in texts[:50]:
            get(client, "/api/v1/registry/search/", q=text)
        results[label] = timed(lambda q, c=client: get(c, "/api/v1/registry/search/", q=q), texts)
        hits = [len(get(client, "/api/v1/registry/search/", q=q).json()) for q in texts[:200]]
        print(f"{label}: {sum(1 for h in hits if h)} of 200 sample queries found something")

    # 2. the building card, logged read included
    street = client_for("demo-street")
    street_region = User.objects.get(username="demo-street").posts.get().region
    assert street_region is not None
    street_code = street_region.code
    buildings = list(
        Building.objects.filter(grid__code__startswith=street_code).values_list("pk", flat=True)
    )
    sample = [rnd.choice(buildings) for _ in range(args.n)]
    log_before = PersonAccessLog.objects.count()

    def card(building_id: int) -> None:
        get(street, f"/api/v1/registry/buildings/{building_id}/")
        get(street, f"/api/v1/registry/buildings/{building_id}/cases/")
        get(
            street,
            f"/api/v1/registry/buildings/{building_id}/residents/",
            reason="bench",
            limit=100,
        )

    for building_id in sample[:50]:
        card(building_id)
    results["building card (detail + cases + residents page, logged)"] = timed(card, sample)
    results["  of which: building detail"] = timed(
        lambda b: get(street, f"/api/v1/registry/buildings/{b}/"), sample[:300]
    )
    results["  of which: cases at the building"] = timed(
        lambda b: get(street, f"/api/v1/registry/buildings/{b}/cases/"), sample[:300]
    )
    results["  of which: residents page (logged)"] = timed(
        lambda b: get(street, f"/api/v1/registry/buildings/{b}/residents/", reason="b", limit=100),
        sample[:300],
    )
    print(f"access-log rows written: {PersonAccessLog.objects.count() - log_before}")

    # 3. a grid's population picture, live; a community and a street
    leader = client_for("demo-leader")
    grids = list(Region.objects.filter(level=Level.GRID).values_list("code", flat=True))
    grid_sample = [rnd.choice(grids) for _ in range(args.n)]
    for code in grid_sample[:50]:
        get(leader, f"/api/v1/registry/grids/{code}/stats/")
    results["grid stats (live)"] = timed(
        lambda c: get(leader, f"/api/v1/registry/grids/{c}/stats/"), grid_sample
    )
    communities = list(Region.objects.filter(level=Level.COMMUNITY).values_list("code", flat=True))
    results["community stats (live roll-up of its grids)"] = timed(
        lambda c: get(leader, f"/api/v1/registry/grids/{c}/stats/"),
        [rnd.choice(communities) for _ in range(min(args.n, 200))],
    )
    streets = list(Region.objects.filter(level=Level.STREET).values_list("code", flat=True))
    results["street stats (live roll-up)"] = timed(
        lambda c: get(leader, f"/api/v1/registry/grids/{c}/stats/"),
        [rnd.choice(streets) for _ in range(min(args.n, 100))],
    )

    # 4. the district
    if not GridFigures.objects.exists():
        figures_rebuild()
    results["district roll-up (nightly count, HTTP)"] = timed(
        lambda c: get(leader, f"/api/v1/registry/grids/{c}/stats/"), [district.code] * 100
    )
    results["district counted live (figures_live, no HTTP)"] = timed(
        lambda c: figures_live(c, 9), [district.code] * 5
    )
    started = time.perf_counter()
    grids_counted = figures_rebuild()
    print(f"figures_rebuild (the nightly job): {grids_counted} grids in "
          f"{time.perf_counter() - started:.2f} s")  # fmt: skip

    for label, samples in results.items():
        print(f"{label:58s} {percentiles(samples)}")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()

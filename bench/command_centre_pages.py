"""Server time of the command centre's pages over a generated history (issue 12).

    DATABASE_URL=... DEBUG=0 .venv/bin/python bench/command_centre_pages.py [-n 30]

Needs seed_demo, seed_calendar, seed_catalogue and generate_cases. Each page is requested
through Django's test client in process (routing, session auth, the view, the template), so
the figure is the server's time without the network or the browser. Measures:

- the home page of a district dispatcher (its queues, ten rows each) and of the district leader
  (the overview and the big screen's panels);
- a queue page (the district's dispatch queue, 50 rows, the clock per row) and its live refresh
  (?partial=1, what the page asks every 10 s), and the overdue list;
- the live map's data (every overdue case in the district plus the open cases in a district box);
- the big screen's data, computed afresh each time (its short cache cleared).

The load average is printed before and after: the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from collections.abc import Callable  # noqa: E402

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.test import Client  # noqa: E402

from bench.locate import percentiles  # noqa: E402
from cases.models import Case  # noqa: E402
from grids.models import Level, Post, Region, Role, User  # noqa: E402


def user_with(role: str, level: str) -> User:
    post = (
        Post.objects.filter(role=role, region__level=level, is_active=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    if post is None:
        raise SystemExit(f"no {role} posted at {level} level: run seed_demo")
    return post.user


def timed(call: Callable[[], object], n: int) -> list[float]:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        response = call()
        samples.append((time.perf_counter() - start) * 1000)
        assert getattr(response, "status_code", 200) == 200, response
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=30)
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = ["*"]
    print(f"cases: {Case.objects.count():,}; load: {os.getloadavg()}")
    dispatcher = user_with(Role.DISPATCHER, Level.DISTRICT)
    leader = user_with(Role.DISTRICT_LEADER, Level.DISTRICT)
    as_dispatcher, as_leader = Client(), Client()
    as_dispatcher.force_login(dispatcher)
    as_leader.force_login(leader)

    district = Region.objects.filter(level=Level.DISTRICT).order_by("code").first()
    box = ",".join(f"{v:.6f}" for v in district.geom.extent)

    def screen() -> object:
        cache.clear()
        return as_leader.get("/screen/data.json")

    pages: list[tuple[str, Callable[[], object]]] = [
        ("home, district dispatcher", lambda: as_dispatcher.get("/home/")),
        ("home, district leader (overview + screen panels)", lambda: as_leader.get("/home/")),
        ("queue page: district dispatch", lambda: as_dispatcher.get("/queues/dispatch/")),
        ("queue refresh (?partial=1)", lambda: as_dispatcher.get("/queues/dispatch/?partial=1")),
        ("queue search by address", lambda: as_dispatcher.get("/queues/dispatch/?q=路")),
        ("overdue list (leader)", lambda: as_leader.get("/queues/overdue/")),
        (
            "queue export CSV (leader, overdue)",
            lambda: as_leader.get("/queues/overdue/?export=csv"),
        ),
        ("map page", lambda: as_leader.get("/map/")),
        (
            "map data: all overdue + open in the district box",
            lambda: as_leader.get(f"/map/cases.json?bbox={box}"),
        ),
        ("big screen page", lambda: as_leader.get("/screen/")),
        ("big screen data (computed, cache cleared)", screen),
    ]
    for label, call in pages:
        call()  # warm: templates, calendar, first query plans
        print(f"{label}: {percentiles(timed(call, args.n))}")
    print(f"load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()

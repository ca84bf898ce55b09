"""Fixtures for the analysis: the closed-loop world (tests/cases/conftest.py) and cases
reported around a point or scattered over the box district."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib.gis.geos import Point

from cases.models import Case, Item
from cases.services import ReportInput, case_report
from grids.models import Role
from tests.cases.conftest import World, rid
from tests.cases.conftest import world as world  # the fixture, shared

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 27, 15, 0, tzinfo=SHANGHAI)  # a Friday afternoon
# In grid 370203001001001, community 370203001001, street 370203001.
CENTRE = (120.305, 36.095)
DISTRICT_BOX = (120.3005, 36.0805, 120.3395, 36.0995)


def offset(lon: float, lat: float, east_m: float, north_m: float) -> tuple[float, float]:
    return (
        lon + east_m / (111_320 * math.cos(math.radians(lat))),
        lat + north_m / 110_574,
    )


def report_around(
    world: World,
    *,
    n: int,
    centre: tuple[float, float] = CENTRE,
    spread_m: float = 40.0,
    start: datetime = NOW - timedelta(hours=47),
    hours: float = 46.0,
    item: Item | None = None,
    seed: int = 1,
) -> list[Case]:
    """n hotline reports within spread_m metres of centre, evenly over `hours` from `start`."""
    rnd = random.Random(seed)
    cases = []
    for i in range(n):
        angle = rnd.uniform(0, 2 * math.pi)
        distance = spread_m * math.sqrt(rnd.random())
        lon, lat = offset(*centre, distance * math.cos(angle), distance * math.sin(angle))
        at = start + timedelta(hours=hours * i / max(n - 1, 1))
        cases.append(_report(world, lon, lat, at, item))
    return cases


def report_scattered(
    world: World,
    *,
    n: int,
    start: datetime = NOW - timedelta(hours=47),
    hours: float = 46.0,
    item: Item | None = None,
    seed: int = 2,
) -> list[Case]:
    """n hotline reports uniform over the district box."""
    rnd = random.Random(seed)
    x0, y0, x1, y1 = DISTRICT_BOX
    return [
        _report(
            world,
            rnd.uniform(x0, x1),
            rnd.uniform(y0, y1),
            start + timedelta(hours=hours * i / max(n - 1, 1)),
            item,
        )
        for i in range(n)
    ]


def _report(world: World, lon: float, lat: float, at: datetime, item: Item | None) -> Case:
    return case_report(
        actor=world.users[Role.INTAKE_OPERATOR],
        data=ReportInput(
            source="hotline_12345",
            item_id=(item or world.item).pk,
            description="市场门口暴露垃圾",
            point=Point(lon, lat, srid=4326),
            address="辽宁路市场",
        ),
        request_id=rid(),
        now=at,
    )

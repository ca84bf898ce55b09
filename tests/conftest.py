"""Shared fixtures: a tiny district laid out on a lattice of boxes, on either backend.

District 370203 is the box lon 120.30–120.34, lat 36.08–36.10 (two streets side by side).
Each street has two communities (north/south halves), and each community two unit grids
(west/east halves). Codes follow DOMAIN.md §2.
"""

from __future__ import annotations

import faulthandler
import os
from collections.abc import Callable, Iterator

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon

from grids.geo import area_m2
from grids.models import GridKind, Level, Post, Region, Role, Unit, UnitKind, User

# A test that hangs ends the run with every thread's stack instead of holding CI until its own
# timeout. faulthandler works even when the hang holds the GIL (a deadlock in C), where a timer
# thread or a signal handler in Python never runs. Generous: the slowest test takes ~1 minute.
TEST_HANG_SECONDS = int(os.environ.get("TEST_HANG_SECONDS", "900"))
_real_stderr: int | None = None


def pytest_configure(config: pytest.Config) -> None:
    # Output capture is paused while plugins configure: fd 2 is still the terminal (or CI's log).
    global _real_stderr
    _real_stderr = os.dup(2)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    if TEST_HANG_SECONDS > 0 and _real_stderr is not None:
        faulthandler.dump_traceback_later(TEST_HANG_SECONDS, exit=True, file=_real_stderr)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()


def box(x0: float, y0: float, x1: float, y1: float) -> MultiPolygon:
    return MultiPolygon(Polygon.from_bbox((x0, y0, x1, y1)), srid=4326)


def make_region(
    code: str,
    level: str,
    geom: MultiPolygon,
    parent: Region | None = None,
    kind: str = "",
    name: str | None = None,
) -> Region:
    return Region.objects.create(
        code=code,
        name=name or f"{level}-{code}",
        level=level,
        parent=parent,
        kind=kind,
        geom=geom,
        area_m2=area_m2(geom),
    )


@pytest.fixture
def district(db) -> dict[str, Region]:
    """Regions keyed by code: 1 district, 2 streets, 4 communities, 8 unit grids."""
    regions: dict[str, Region] = {}
    d = make_region("370203", Level.DISTRICT, box(120.30, 36.08, 120.34, 36.10), name="市北区")
    regions[d.code] = d
    for s_index, x0 in enumerate((120.30, 120.32), start=1):
        street = make_region(
            f"370203{s_index:03d}", Level.STREET, box(x0, 36.08, round(x0 + 0.02, 6), 36.10), d
        )
        regions[street.code] = street
        # north community first, then south
        for c_index, y0 in enumerate((36.09, 36.08), start=1):
            community = make_region(
                f"{street.code}{c_index:03d}",
                Level.COMMUNITY,
                box(x0, y0, round(x0 + 0.02, 6), round(y0 + 0.01, 6)),
                street,
            )
            regions[community.code] = community
            for g_index, gx in enumerate((x0, round(x0 + 0.01, 6)), start=1):
                grid = make_region(
                    f"{community.code}{g_index:03d}",
                    Level.GRID,
                    box(gx, y0, round(gx + 0.01, 6), round(y0 + 0.01, 6)),
                    community,
                    kind=GridKind.UNIT,
                )
                regions[grid.code] = grid
    return regions


@pytest.fixture
def make_user(db) -> Callable[..., User]:
    """make_user(role, region_code=None, unit=None, username=None) → a user holding that post."""
    counter = {"n": 0}

    def _make(
        role: str,
        region: Region | None = None,
        unit: Unit | None = None,
        username: str | None = None,
    ) -> User:
        counter["n"] += 1
        user = User.objects.create_user(
            username=username or f"{role}-{counter['n']}", password="pw-123456!"
        )
        Post.objects.create(
            user=user,
            role=role,
            region=region,
            unit=unit,
            inspector_type="full_time" if role == Role.INSPECTOR else "",
        )
        return user

    return _make


@pytest.fixture
def units(district: dict[str, Region]) -> dict[str, Unit]:
    return {
        "sanitation": Unit.objects.create(
            code="D01", name="区环卫中心", kind=UnitKind.DEPARTMENT, region=district["370203"]
        ),
        "street_office_1": Unit.objects.create(
            code="S001",
            name="一号街道办",
            kind=UnitKind.STREET_OFFICE,
            region=district["370203001"],
        ),
    }


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    """load_calendar caches per process; a test's rolled-back rows must not leak into the next."""
    from django.core.cache import cache

    from cases.tables import forget_places, forget_tables
    from cases.worktime import clear_calendar_cache
    from exchange.events import LISTENERS_CACHE_KEY

    # So are the settings tables (cases.tables): a rolled-back row sends no delete signal.
    clear_calendar_cache()
    forget_tables()
    forget_places()
    cache.delete(LISTENERS_CACHE_KEY)  # the exchange's subscriptions (exchange.events)
    yield
    clear_calendar_cache()
    forget_tables()
    forget_places()
    cache.delete(LISTENERS_CACHE_KEY)


@pytest.fixture(autouse=True)
def _english_messages():
    """Tests read messages in English (the msgids); the Chinese default is tested in
    tests/test_i18n.py and through HTTP requests, where LocaleMiddleware chooses."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def eager_celery() -> Iterator[None]:
    """Celery tasks run in the test's process, at .delay() (after commit when so queued)."""
    from config.celery_app import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous

"""run_analysis: the hot-spot, trend and repeat-place passes, once. `manage.py run_analysis`
and the Celery beat task (analysis.tasks) call this same function.

Each pass is one transaction under the analysis lock, so two runs (the beat task and someone's
manual run, or two workers) queue instead of both raising the same alarm: on PostgreSQL a
transaction-scoped advisory lock; on SQLite the pass writes first (the settings row's
last_run_at), which takes the database's write lock before anything is read.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from analysis.hotspots import HotspotResult, hotspot_pass
from analysis.models import AnalysisSettings
from analysis.repeats import RepeatResult, repeat_pass
from analysis.trends import TrendResult, trend_pass

logger = logging.getLogger(__name__)

# pg_advisory_xact_lock key: "anal" in ASCII.
_LOCK_KEY = 0x616E616C


@dataclass
class AnalysisResult:
    hotspots: HotspotResult | None = None
    trends: TrendResult | None = None
    repeats: RepeatResult | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    def lines(self) -> list[str]:
        out = []
        for name in ("hotspots", "trends", "repeats"):
            part = getattr(self, name)
            if part is not None:
                out.append(f"{part} [{self.seconds.get(name, 0.0):.2f} s]")
        return out

    def __str__(self) -> str:
        return "; ".join(self.lines())


def _lock(now: datetime) -> AnalysisSettings:
    """Take the analysis lock for the current transaction; the settings, read under it."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
    # On SQLite this write is the lock: written before anything is read, it takes the
    # database's write lock, so a second run waits here and then reads what the first wrote.
    singleton = AnalysisSettings.objects.filter(pk=AnalysisSettings.SINGLETON_ID)
    if not singleton.update(last_run_at=now):
        AnalysisSettings.objects.get_or_create(
            pk=AnalysisSettings.SINGLETON_ID, defaults={"last_run_at": now}
        )
    return singleton.get()


def _timed(result: AnalysisResult, name: str, work: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    value = work()
    result.seconds[name] = time.perf_counter() - started
    return value


PASSES = ("hotspots", "trends", "repeats")


def run_analysis(
    *, now: datetime | None = None, passes: tuple[str, ...] = PASSES
) -> AnalysisResult:
    """Run the passes (all three by default) at `now`; safe to run concurrently and repeatedly
    (a rerun finds what it found before and raises nothing new)."""
    now = now or timezone.now()
    result = AnalysisResult()

    def in_lock(run: Callable[[AnalysisSettings], Any]) -> Any:
        with transaction.atomic():
            return run(_lock(now))

    if "hotspots" in passes:
        result.hotspots = _timed(
            result, "hotspots", lambda: in_lock(lambda s: hotspot_pass(now=now, settings=s))
        )
    if "trends" in passes:
        result.trends = _timed(
            result, "trends", lambda: in_lock(lambda s: trend_pass(now=now, settings=s))
        )
    if "repeats" in passes:
        result.repeats = _timed(
            result, "repeats", lambda: in_lock(lambda s: repeat_pass(now=now, settings=s))
        )
    logger.info("analysis: %s", result)
    return result

"""The small tables every report and action reads, cached: stage limits, urgency factors, the
deadline settings, the entry-level rules and the catalogue's codes.

They change a few times a year, in the admin or by a seed command; a report used to read four
of them on every call. They live in Django's cache (Redis or the file cache: shared by every
process on the machine or in the deployment) and are forgotten on every save and delete of a
row (signals connected in cases.apps). A bulk QuerySet.update() sends no signal: the entry
expires after TABLES_CACHE_SECONDS anyway, and `forget_tables()` drops it at once.

Within one web request they are read from the cache once and then kept for the rest of that
request (a report asks for them three times: the catalogue code, the entry level, the clock);
each request starts afresh, and a save during the request forgets that copy too. Outside a
request (workers, commands) every call asks the cache.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.core.signals import request_finished, request_started

TABLES_CACHE_KEY = "cases:tables:v1"
TABLES_CACHE_SECONDS = 300


@dataclass(frozen=True)
class Tables:
    # stage → (limit value, unit), the rows of StageLimit only (deadlines adds the defaults).
    stage_limits: dict[str, tuple[Decimal, str]]
    # urgency → factor, the rows of UrgencyFactor only.
    urgency_factors: dict[str, Decimal]
    # DeadlineSettings.warn_share, or None when the row was never written.
    warn_share: Decimal | None
    # item id → {region code → entry level}, active rules only.
    entry_levels: dict[int, dict[str, str]]
    # item code → item id.
    item_ids: dict[str, int]


def _read() -> Tables:
    from cases.models import DeadlineSettings, EntryLevelRule, Item, StageLimit, UrgencyFactor

    entry_levels: dict[int, dict[str, str]] = {}
    rules = EntryLevelRule.objects.filter(is_active=True).values_list(
        "item_id", "region__code", "entry_level"
    )
    for item_id, region_code, level in rules:
        entry_levels.setdefault(item_id, {})[region_code] = level
    warn_share = (
        DeadlineSettings.objects.filter(pk=DeadlineSettings.SINGLETON_ID)
        .values_list("warn_share", flat=True)
        .first()
    )
    return Tables(
        stage_limits={
            stage: (Decimal(value), unit)
            for stage, value, unit in StageLimit.objects.values_list(
                "stage", "limit_value", "limit_unit"
            )
        },
        urgency_factors={
            urgency: Decimal(str(factor))
            for urgency, factor in UrgencyFactor.objects.values_list("urgency", "factor")
        },
        warn_share=None if warn_share is None else Decimal(str(warn_share)),
        entry_levels=entry_levels,
        item_ids=dict(Item.objects.values_list("code", "pk")),
    )


# What this thread's current request has read from the cache (None outside a request).
_request = threading.local()


def _request_began(*_args: Any, **_kwargs: Any) -> None:
    _request.read = {}


def _request_ended(*_args: Any, **_kwargs: Any) -> None:
    _request.read = None


def _cached(key: str, kind: type, read: Callable[[], Any]) -> Any:
    """The entry under key: this request's copy, else the cache's, else read and cached."""
    seen: dict[str, Any] | None = getattr(_request, "read", None)
    if seen is not None and key in seen:
        return seen[key]
    found = cache.get(key)
    if not isinstance(found, kind):
        found = read()
        cache.set(key, found, TABLES_CACHE_SECONDS)
    if seen is not None:
        seen[key] = found
    return found


def _forget(key: str) -> None:
    cache.delete(key)
    seen: dict[str, Any] | None = getattr(_request, "read", None)
    if seen is not None:
        seen.pop(key, None)


def tables() -> Tables:
    """The tables, from the cache or read in five queries and cached."""
    result: Tables = _cached(TABLES_CACHE_KEY, Tables, _read)
    return result


def forget_tables(*_args: Any, **_kwargs: Any) -> None:
    """Drop the cached tables (a signal receiver, and for seeds and tests)."""
    _forget(TABLES_CACHE_KEY)


# Every region's name and kind by code, for a case's place names (cases.intake.case_location):
# the lock of an action no longer joins four regions (the joins cost more planning time than
# the whole execution).
PLACES_CACHE_KEY = "cases:places:v1"


def _read_places() -> dict[str, tuple[str, str]]:
    from grids.models import Region

    return {
        code: (name, kind)
        for code, name, kind in Region.objects.values_list("code", "name", "kind")
    }


def place_names() -> dict[str, tuple[str, str]]:
    """Region code → (name, kind), cached like the tables and forgotten on a region's save."""
    result: dict[str, tuple[str, str]] = _cached(PLACES_CACHE_KEY, dict, _read_places)
    return result


def forget_places(*_args: Any, **_kwargs: Any) -> None:
    _forget(PLACES_CACHE_KEY)


def connect_signals() -> None:
    from django.db.models.signals import post_delete, post_save

    from cases.models import DeadlineSettings, EntryLevelRule, Item, StageLimit, UrgencyFactor
    from grids.models import Region

    for model in (StageLimit, UrgencyFactor, DeadlineSettings, EntryLevelRule, Item):
        for signal in (post_save, post_delete):
            signal.connect(
                forget_tables, sender=model, dispatch_uid=f"forget-tables-{model.__name__}"
            )
    for signal in (post_save, post_delete):
        signal.connect(forget_places, sender=Region, dispatch_uid="forget-places")
    request_started.connect(_request_began, dispatch_uid="cases-tables-request-began")
    request_finished.connect(_request_ended, dispatch_uid="cases-tables-request-ended")

"""The cached tables are read from the cache once per web request (cases.tables)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from cases import tables as tables_module
from cases.models import StageLimit
from cases.tables import forget_tables, tables

pytestmark = pytest.mark.django_db


class CountingGets:
    def __init__(self, monkeypatch) -> None:
        self.keys: list[str] = []
        real = cache.get

        def get(key, *args, **kwargs):
            self.keys.append(key)
            return real(key, *args, **kwargs)

        monkeypatch.setattr(cache, "get", get)


def test_one_cache_read_per_request_and_a_save_is_seen_at_once(monkeypatch) -> None:
    forget_tables()
    tables()  # cached
    gets = CountingGets(monkeypatch)
    # As the test client does: the signals without closing the test's connection.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    request_started.send(sender=None)
    try:
        first = tables()
        assert tables() is first
        assert gets.keys == [tables_module.TABLES_CACHE_KEY]
        # A save during the request forgets this request's copy too.
        StageLimit.objects.update_or_create(
            stage="register", defaults={"limit_value": 7, "limit_unit": "working_hours"}
        )
        assert tables() is not first
        assert tables().stage_limits["register"][0] == 7
    finally:
        request_finished.send(sender=None)
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)
    # Outside a request every call asks the cache.
    gets.keys.clear()
    tables()
    tables()
    assert gets.keys == [tables_module.TABLES_CACHE_KEY] * 2

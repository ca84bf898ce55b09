"""The web process's garbage collector (config.collector, called by config.wsgi)."""

from __future__ import annotations

import gc

import pytest

from config.collector import YOUNG_THRESHOLD, settle


@pytest.fixture
def collector():
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_settle_freezes_what_is_loaded_and_raises_the_young_threshold(
    collector, monkeypatch
) -> None:
    monkeypatch.delenv("WEB_GC_FREEZE", raising=False)
    monkeypatch.delenv("WEB_GC_YOUNG", raising=False)
    _young, middle, old = gc.get_threshold()
    settle()
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == (YOUNG_THRESHOLD, middle, old)
    # Cycles made afterwards are still collected.
    cycle: list = []
    cycle.append(cycle)
    del cycle
    assert gc.collect() >= 1


def test_it_can_be_turned_off(collector, monkeypatch) -> None:
    monkeypatch.setenv("WEB_GC_FREEZE", "0")
    before = gc.get_threshold()
    settle()
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before

"""The nightly run and someone's on-demand rebuild at the same moment: on real PostgreSQL."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from django.db import connection

from dispatch.evaluation.stats import stats_rebuild
from dispatch.models import DailyStat, EvaluationFact
from tests.dispatch.evaluation_story import Story, at
from tests.helpers import race

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL (SQLite is one writer)"
    ),
]


def _facts() -> Counter:
    return Counter(
        EvaluationFact.objects.values_list("case_id", "metric", "group", "subject", "day", "hit")
    )


def _rows() -> list[tuple]:
    return sorted(
        DailyStat.objects.values_list("day", "metric", "group", "subject", "total", "hits")
    )


def test_two_rebuilds_at_once_queue_and_write_each_fact_once(story: Story):
    for day in ("2026-11-02", "2026-11-03"):
        case = story.report(f"{day} 09:00")
        story.full_loop(case, day)

    def rebuild():
        return stats_rebuild(
            start=date(2026, 11, 1), end=date(2026, 11, 30), now=at("2026-12-01 01:00")
        )

    results, errors = race(rebuild, rebuild, rebuild)
    assert errors == [None, None, None]
    assert all(r.cases == 2 for r in results)
    concurrent = (_facts(), _rows())
    # What one run alone writes on empty tables: the same.
    EvaluationFact.objects.all().delete()
    DailyStat.objects.all().delete()
    rebuild()
    assert (_facts(), _rows()) == concurrent
    assert concurrent[1]

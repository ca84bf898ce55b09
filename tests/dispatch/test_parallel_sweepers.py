"""Two sweeper processes at once share the due cases and warn each exactly once (issue 17 §4).

Real processes (forked, each with its own database connection), on PostgreSQL: each claims its
batches with SELECT … FOR UPDATE SKIP LOCKED, so they take disjoint batches, and the cards'
unique constraint would refuse a second card anyway. bench/parallel_sweep.py measures the
speed-up on 10,000 due cases (docs/performance.md).
"""

from __future__ import annotations

import datetime as dt
import multiprocessing

import pytest
import time_machine
from django.db import connection, connections

from cases.models import Outbox
from dispatch.models import DeadlineAlert
from dispatch.sweeper import TOPIC_WARNING, sweep_deadlines
from tests.dispatch.test_sweeper import WEDNESDAY_9AM

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL (SQLite: one writer)"
    ),
]

CASES = 300


def _sweeper(barrier, results, now: dt.datetime) -> None:
    """One sweeper process: wait for the other, sweep once, report what it issued."""
    barrier.wait(timeout=60)
    result = sweep_deadlines(now=now, batch_size=5)
    results.put((result.yellow, result.red, result.errors))
    connections.close_all()


def test_two_sweeper_processes_warn_each_case_exactly_once(world):
    with time_machine.travel(WEDNESDAY_9AM, tick=False):
        cases = [world.report() for _ in range(CASES)]
    later = WEDNESDAY_9AM + dt.timedelta(days=1)
    connections.close_all()  # the children open their own
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(2)
    results = context.Queue()
    processes = [context.Process(target=_sweeper, args=(barrier, results, later)) for _ in range(2)]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=300) for _ in processes]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    assert sum(yellow for yellow, _red, _errors in outcomes) == CASES
    assert sum(red for _yellow, red, _errors in outcomes) == CASES
    assert [errors for _y, _r, errors in outcomes] == [0, 0]
    # Both did part of the work (60 batches of 5 between them).
    assert all(yellow > 0 for yellow, _red, _errors in outcomes), outcomes
    per_case = DeadlineAlert.objects.filter(case__in=cases, kind=DeadlineAlert.Kind.YELLOW)
    assert per_case.count() == CASES
    assert per_case.values("case").distinct().count() == CASES
    assert DeadlineAlert.objects.filter(kind=DeadlineAlert.Kind.RED).count() == CASES
    warnings = Outbox.objects.filter(case__in=cases, topic=TOPIC_WARNING)
    assert warnings.count() == CASES  # one warning notice per case
    assert warnings.values("case").distinct().count() == CASES

"""Celery tasks: thin interfaces over the sweep and routing (STYLE.md)."""

from __future__ import annotations

from datetime import date

from celery import shared_task

# Celery discovers <app>.tasks; the delivery task lives beside its logic.
from dispatch.evaluation.stats import stats_rebuild, stats_rebuild_yesterday
from dispatch.notifications import deliver_outbox_task  # noqa: F401
from dispatch.routing import routing_auto_dispatch
from dispatch.sweeper import sweep_deadlines


@shared_task(acks_late=True, ignore_result=True)
def sweep_deadlines_task() -> str:
    """Run one sweep. A lost or repeated run is harmless: the next sweep catches up."""
    return str(sweep_deadlines())


@shared_task(acks_late=True, ignore_result=True)
def routing_auto_dispatch_task(case_id: int) -> int | None:
    """Dispatch a filed case when its routing rule says so; idempotent per case version."""
    case = routing_auto_dispatch(case_id)
    return case.pk if case is not None else None


@shared_task(acks_late=True, ignore_result=True)
def rebuild_evaluation_stats_task(start: str | None = None, end: str | None = None) -> str:
    """The evaluation statistics of start..end (ISO dates), or of yesterday when not given.
    Idempotent: a repeated or overlapping run writes the same rows."""
    if start is None:
        return str(stats_rebuild_yesterday())
    first = date.fromisoformat(start)
    last = date.fromisoformat(end) if end else first
    return str(stats_rebuild(start=first, end=last))

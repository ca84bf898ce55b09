"""Celery tasks: thin interfaces over the sweep and routing (STYLE.md)."""

from __future__ import annotations

from celery import shared_task

# Celery discovers <app>.tasks; the delivery task lives beside its logic.
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

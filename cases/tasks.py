"""Celery tasks of cases: thin interfaces over services (STYLE.md)."""

from __future__ import annotations

from celery import shared_task

from cases.partitions import analyze_parents, ensure_all


@shared_task(acks_late=True, ignore_result=True)
def ensure_partitions_task() -> dict[str, list[str]]:
    """This month's and the next months' partitions of every partitioned table (daily), then
    fresh statistics of the partitioned parents (autovacuum never analyses those).
    Idempotent; a no-op on SQLite. A month created late is not a loss: its rows wait in
    DEFAULT and are moved when the month is created."""
    created = ensure_all()
    analyze_parents()
    return created

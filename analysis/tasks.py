"""Celery tasks: thin interfaces over the analysis (STYLE.md)."""

from __future__ import annotations

from celery import shared_task

from analysis.services import run_analysis


@shared_task(acks_late=True, ignore_result=True)
def run_analysis_task() -> str:
    """One run of the three passes (beat, every ANALYSIS_RUN_SECONDS). A lost or repeated run
    is harmless: the passes are idempotent and serialised by the analysis lock."""
    return str(run_analysis())

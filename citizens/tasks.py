"""Celery discovers <app>.tasks; each task lives beside its logic."""

from citizens.import_jobs import registry_import_task  # noqa: F401
from citizens.stats import rebuild_registry_stats_task  # noqa: F401

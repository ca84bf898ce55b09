"""Celery discovers <app>.tasks; the import job's task lives beside its logic."""

from citizens.import_jobs import registry_import_task  # noqa: F401

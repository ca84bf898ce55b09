"""Celery discovers <app>.tasks; the layer jobs' tasks live beside their logic."""

from layers.import_jobs import layer_import_task, refresh_layer_stats_task  # noqa: F401

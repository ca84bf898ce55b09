"""Layer imports started from the admin run as Celery jobs with a progress bar (the runner is
config.import_jobs, shared with the registry imports).

A job checks the file (nothing written) and, once the user confirms, checks it again and
writes the layer in one transaction (layers.importer.layer_import). The uploaded file waits in
LAYER_IMPORT_DIR under a random token and is removed once imported.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from celery import shared_task
from django.utils.translation import gettext as _

from config.import_jobs import ImportJobs, Outcome, Progress
from layers.catalogue import layers_refresh_stats
from layers.importer import ImportOptions, ImportReport, LayerFileError, layer_import

# Problems kept for the page; the command line lists them all.
PROBLEMS_SHOWN = 500


def _report_dict(report: ImportReport) -> dict[str, Any]:
    return {
        "format": report.file_format,
        "source_layer": report.source_layer,
        "srs": report.srs,
        "total": report.total,
        "geometry_type": report.geometry_type,
        "extent": report.extent,
        "committed": report.committed,
        "added": report.added,
        "changed": report.changed,
        "unchanged": report.unchanged,
        "removed": report.removed,
        "problems": [str(problem) for problem in report.problems[:PROBLEMS_SHOWN]],
        "problem_count": len(report.problems),
        "problems_left_out": max(0, len(report.problems) - PROBLEMS_SHOWN),
    }


def _run(job: dict[str, Any], stored: Path, progress: Progress, commit: bool) -> Outcome:
    options = ImportOptions(**job["options"])
    report = layer_import(path=stored, options=options, commit=commit, progress=progress)
    # A confirmed import that finds bad rows (the check said none) writes nothing.
    return Outcome(
        report=_report_dict(report),
        committed=report.committed,
        job_fields={"code": options.code} if report.committed else {},
    )


JOBS = ImportJobs(
    name="layers:import",
    folder_setting="LAYER_IMPORT_DIR",
    run=_run,
    file_errors=(LayerFileError,),
    queue=lambda token: layer_import_task.delay(token),
    # A layer of 200,000 features takes longer than a registry file.
    run_lock_seconds=30 * 60,
)


# The module's own names for what the runner does (the admin and the tests use these).
import_dir = JOBS.folder
import_file = JOBS.file
import_job_get = JOBS.get
import_job_run = JOBS.run_job


def import_job_start(
    *, token: str, suffix: str, name: str, options: ImportOptions, commit: bool
) -> dict[str, Any]:
    """Queue the check (or, with commit, the import) of an uploaded file; runs after commit."""
    return JOBS.start(token=token, suffix=suffix, name=name, commit=commit, options=asdict(options))


@shared_task(acks_late=True, ignore_result=True)
def layer_import_task(token: str) -> str:
    """Thin interface over import_job_run (STYLE.md)."""
    job = import_job_run(token)
    return job["state"] if job else _("gone")


@shared_task(acks_late=True, ignore_result=True)
def refresh_layer_stats_task() -> int:
    """Recount the layers' rows and their rows updated in the past year (beat, hourly)."""
    return layers_refresh_stats()

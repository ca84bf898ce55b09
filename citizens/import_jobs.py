"""Registry imports started from the admin run as Celery jobs with a progress bar (the runner
is config.import_jobs, shared with the layer imports).

A job checks the file (nothing written), then, when the user confirms, imports the good rows
in one transaction (citizens.importer.registry_import). The uploaded file waits in
REGISTRY_IMPORT_DIR and is removed after the import; one nobody confirmed is cleared after a
day (personal data must not linger on disk).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from celery import shared_task
from django.utils.translation import gettext as _

from citizens.importer import ImportFileError, ImportReport, registry_import
from config.import_jobs import ImportJobs, Outcome, Progress

# Errors kept for the page; the command line lists them all.
ERRORS_SHOWN = 500


def _report_dict(report: ImportReport) -> dict[str, Any]:
    return {
        "kind": report.kind,
        "total": report.total,
        "valid": report.valid,
        "bad_rows": report.bad_rows,
        "imported": report.imported,
        "committed": report.committed,
        "errors": [
            {"row": e.row, "column": e.column, "reason": str(e.reason)}
            for e in report.errors[:ERRORS_SHOWN]
        ],
        "errors_left_out": max(0, len(report.errors) - ERRORS_SHOWN),
    }


def _run(job: dict[str, Any], stored: Path, progress: Progress, commit: bool) -> Outcome:
    with stored.open("rb") as data:
        report = registry_import(
            kind=job["kind"], data=data, filename=job["name"], commit=commit, progress=progress
        )
    # A confirmed import writes the good rows and skips the bad ones: it is done either way.
    return Outcome(report=_report_dict(report), committed=commit)


JOBS = ImportJobs(
    name="citizens:registry-import",
    folder_setting="REGISTRY_IMPORT_DIR",
    run=_run,
    file_errors=(ImportFileError,),
    queue=lambda token: registry_import_task.delay(token),
)


# The module's own names for what the runner does (the admin and the tests use these).
import_dir = JOBS.folder
import_file = JOBS.file
import_job_get = JOBS.get
import_job_run = JOBS.run_job


def import_job_start(
    *, token: str, kind: str, suffix: str, name: str, user_id: int, commit: bool
) -> dict[str, Any]:
    """Queue the check (or, with commit, the import) of an uploaded file; runs after commit."""
    return JOBS.start(
        token=token, suffix=suffix, name=name, commit=commit, kind=kind, user_id=user_id
    )


@shared_task(acks_late=True, ignore_result=True)
def registry_import_task(token: str) -> str:
    """Thin interface over import_job_run (STYLE.md)."""
    job = import_job_run(token)
    return job["state"] if job else _("gone")

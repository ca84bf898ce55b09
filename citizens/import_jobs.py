"""Registry imports started from the admin run as Celery jobs, so that a large file neither
holds a web worker past its timeout nor leaves the user without news: the job writes its
progress (rows done of rows in the file) to the cache, and the page shows it as a bar.

A job checks the file (nothing written), then, when the user confirms, imports the good rows
in one transaction (citizens.importer.registry_import). The job's state lives in the shared
cache (Redis in production, files in the embedded install), keyed by the upload's token, for
a day; the uploaded file waits in REGISTRY_IMPORT_DIR and is removed after the import.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from citizens.importer import ImportFileError, ImportReport, registry_import

JOB_TTL_SECONDS = 24 * 3600
# Errors kept for the page; the command line lists them all.
ERRORS_SHOWN = 500
# How often the bar moves: every this share of the rows (and at least every 500 rows).
PROGRESS_STEP = 0.01

RUNNING = frozenset({"queued", "checking", "importing"})
RUN_LOCK_SECONDS = 15 * 60


def _key(token: str) -> str:
    return f"citizens:registry-import:{token}"


def import_file(token: str, suffix: str) -> Path:
    return Path(settings.REGISTRY_IMPORT_DIR) / f"{token}{suffix}"


def import_job_get(token: str) -> dict[str, Any] | None:
    return cache.get(_key(token))


def _save(token: str, job: dict[str, Any]) -> None:
    cache.set(_key(token), job, JOB_TTL_SECONDS)


def import_job_start(
    *, token: str, kind: str, suffix: str, name: str, user_id: int, commit: bool
) -> dict[str, Any]:
    """Queue the check (or, with commit, the import) of an uploaded file; runs after commit."""
    job = {
        "token": token,
        "kind": kind,
        "suffix": suffix,
        "name": name,
        "user_id": user_id,
        "commit": commit,
        "state": "queued",
        "label": "",
        "done": 0,
        "total": 0,
        "report": (import_job_get(token) or {}).get("report"),
        "error": "",
        # The worker writes the report and errors in the uploader's language.
        "language": translation.get_language() or settings.LANGUAGE_CODE,
    }
    _save(token, job)
    transaction.on_commit(lambda: registry_import_task.delay(token))
    return job


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


def import_job_run(token: str) -> dict[str, Any] | None:
    """Run a queued job. A job already finished is left as it is (a redelivered task)."""
    job = import_job_get(token)
    if job is None or job["state"] not in RUNNING:
        return job
    # One runner per job: two confirmations at once, or a task redelivered while the first
    # run still works, must not import twice. The lock outlives a dead worker by at most
    # RUN_LOCK_SECONDS; the redelivered task after that runs the job again (an import that
    # died rolled back).
    lock = f"{_key(token)}:running"
    if not cache.add(lock, 1, RUN_LOCK_SECONDS):
        return job
    try:
        return _run(token, job)
    finally:
        cache.delete(lock)


def _run(token: str, job: dict[str, Any]) -> dict[str, Any]:
    commit = bool(job["commit"])
    job.update(state="importing" if commit else "checking", done=0, total=0)
    _save(token, job)

    def progress(rows: Iterable[Any], total: int, label: str) -> Iterator[Any]:
        step = max(1, min(500, int(total * PROGRESS_STEP)))
        job.update(label=label, total=total, done=0)
        _save(token, job)
        for done, row in enumerate(rows, start=1):
            yield row
            if done % step == 0 or done == total:
                job["done"] = done
                _save(token, job)

    stored = import_file(token, job["suffix"])
    try:
        with translation.override(job.get("language")), stored.open("rb") as data:
            report = registry_import(
                kind=job["kind"],
                data=data,
                filename=job["name"],
                commit=commit,
                progress=progress,
            )
    except (ImportFileError, OSError) as exc:
        job.update(state="failed", error=str(exc))
        if commit:
            stored.unlink(missing_ok=True)
    else:
        job.update(state="done" if commit else "checked", report=_report_dict(report))
        if commit:
            stored.unlink(missing_ok=True)
    _save(token, job)
    return job


@shared_task(acks_late=True, ignore_result=True)
def registry_import_task(token: str) -> str:
    """Thin interface over import_job_run (STYLE.md)."""
    job = import_job_run(token)
    return job["state"] if job else _("gone")

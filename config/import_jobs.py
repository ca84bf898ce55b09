"""Imports started from the admin run as Celery jobs with a progress bar: the registry's
(citizens.import_jobs) and the layers' (layers.import_jobs) share this runner.

A large file must neither hold a web worker past its timeout nor leave the user without news.
The uploaded file waits in a folder under a random token (config.staging); a job checks it
(nothing written) and writes its progress (rows done of rows in the file) to the shared cache,
which the admin page polls; when the user confirms, a second job checks it again and writes in
one transaction. A job's state lives in the cache (Redis in production, files in the embedded
install) for a day; the file is removed once imported, and an upload nobody confirmed within a
day is cleared from the folder (registry files hold personal data).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import translation

from config.staging import discard, local_copy

JOB_TTL_SECONDS = 24 * 3600
UNCONFIRMED_TTL_SECONDS = 24 * 3600
# How often the bar moves: every this share of the rows (and at least every 500 rows).
PROGRESS_STEP = 0.01
RUNNING = frozenset({"queued", "checking", "importing"})

# progress(rows, total, label) → the rows again, counting them into the job as they pass.
Progress = Callable[[Iterable[Any], int, str], Iterator[Any]]


@dataclass(frozen=True)
class Outcome:
    """What one run of an import says: the report for the page, whether it wrote, and any
    fields to keep on the job (the layer's code, once imported)."""

    report: dict[str, Any]
    committed: bool
    job_fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportJobs:
    """One kind of admin import: where its files wait, how it runs, how its task is queued."""

    # Cache key prefix of the jobs, e.g. "layers:import".
    name: str
    # The settings name of the waiting folder (LAYER_IMPORT_DIR, REGISTRY_IMPORT_DIR).
    folder_setting: str
    # run(job, file, progress, commit) → Outcome; raises one of `file_errors` for a file that
    # cannot be read at all (the job fails with that message).
    run: Callable[[dict[str, Any], Path, Progress, bool], Outcome]
    file_errors: tuple[type[Exception], ...]
    # queue(token): hand the job to its Celery task.
    queue: Callable[[str], Any]
    # A dead worker holds a job at most this long; the redelivered task then runs it again
    # (an import that died rolled back).
    run_lock_seconds: int = 15 * 60

    def _key(self, token: str) -> str:
        return f"{self.name}:{token}"

    def folder(self) -> Path:
        """The waiting folder, cleared of uploads nobody confirmed within a day."""
        folder = Path(getattr(settings, self.folder_setting))
        folder.mkdir(parents=True, exist_ok=True)
        cutoff = time.time() - UNCONFIRMED_TTL_SECONDS
        for stale in folder.iterdir():
            if stale.is_file() and stale.stat().st_mtime < cutoff:
                stale.unlink(missing_ok=True)
        return folder

    def file(self, token: str, suffix: str) -> Path:
        return Path(getattr(settings, self.folder_setting)) / f"{token}{suffix}"

    def get(self, token: str) -> dict[str, Any] | None:
        return cache.get(self._key(token))

    def _save(self, token: str, job: dict[str, Any]) -> None:
        cache.set(self._key(token), job, JOB_TTL_SECONDS)

    def start(
        self, *, token: str, suffix: str, name: str, commit: bool, **fields: Any
    ) -> dict[str, Any]:
        """Queue the check (or, with commit, the import) of an uploaded file; the task is
        sent after the current transaction commits."""
        job = {
            **fields,
            "token": token,
            "suffix": suffix,
            "name": name,
            "commit": commit,
            "state": "queued",
            "label": "",
            "done": 0,
            "total": 0,
            # The check's report stays on the page while the confirmed import runs.
            "report": (self.get(token) or {}).get("report"),
            "error": "",
            # The worker writes the report and errors in the uploader's language.
            "language": translation.get_language() or settings.LANGUAGE_CODE,
        }
        self._save(token, job)
        transaction.on_commit(lambda: self.queue(token))
        return job

    def run_job(self, token: str) -> dict[str, Any] | None:
        """Run a queued job. A finished job is left as it is (a redelivered task); one runner
        per job at a time (two confirmations at once, or a task redelivered while the first
        run still works, must not import twice)."""
        job = self.get(token)
        if job is None or job["state"] not in RUNNING:
            return job
        lock = f"{self._key(token)}:running"
        if not cache.add(lock, 1, self.run_lock_seconds):
            return job
        try:
            return self._run(token, job)
        finally:
            cache.delete(lock)

    def _run(self, token: str, job: dict[str, Any]) -> dict[str, Any]:
        commit = bool(job["commit"])
        job.update(state="importing" if commit else "checking", done=0, total=0)
        self._save(token, job)

        def progress(rows: Iterable[Any], total: int, label: str) -> Iterator[Any]:
            step = max(1, min(500, int(total * PROGRESS_STEP)))
            job.update(label=label, total=total, done=0)
            self._save(token, job)
            for done, row in enumerate(rows, start=1):
                yield row
                if done % step == 0 or done == total:
                    job["done"] = done
                    self._save(token, job)

        stored = local_copy(self.file(token, job["suffix"]))
        failures: tuple[type[Exception], ...] = (*self.file_errors, OSError)
        try:
            with translation.override(job.get("language")):
                outcome = self.run(job, stored, progress, commit)
        except failures as exc:
            job.update(state="failed", error=str(exc))
        else:
            # A confirmed import that finds bad rows it may not skip writes nothing and shows
            # them as a check does; the file stays for another try.
            job.update(outcome.job_fields)
            job.update(state="done" if outcome.committed else "checked", report=outcome.report)
        if commit and job["state"] in ("done", "failed"):
            discard(stored)
        self._save(token, job)
        return job

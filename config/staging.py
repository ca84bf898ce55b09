"""Uploaded import files waiting between the admin's check and the confirmed import.

The admin (a web process) receives a layer or registry file and a Celery job reads it, twice
(the check, then the import once confirmed). On one machine the waiting folder
(LAYER_IMPORT_DIR, REGISTRY_IMPORT_DIR) is all there is. On several machines the worker that
takes the job may not be the machine that received the file: with IMPORT_STAGING_SHARED (on by
default when MEDIA_STORAGE is not the local disk) the file is also put in the default storage
under `imports/<folder name>/`, and a worker without the local copy fetches it from there before
reading. The staged copy is deleted with the local one once the import is done or failed; a
bucket lifecycle rule on `imports/` (expire after a day) removes the ones nobody confirmed
(registry files hold ID numbers: docs/deployment.md).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage


def _key(path: Path) -> str:
    return f"imports/{path.parent.name}/{path.name}"


def stage_upload(path: Path, chunks: Iterable[bytes]) -> Path:
    """Write the upload to its waiting place (and, shared, to the default storage)."""
    with path.open("wb") as out:
        for chunk in chunks:
            out.write(chunk)
    if settings.IMPORT_STAGING_SHARED:
        key = _key(path)
        default_storage.delete(key)  # a token is used once; never a renamed copy
        with path.open("rb") as handle:
            default_storage.save(key, File(handle, name=path.name))
    return path


def local_copy(path: Path) -> Path:
    """The file at `path`, fetched from the shared staging first if this machine lacks it."""
    if path.exists() or not settings.IMPORT_STAGING_SHARED:
        return path
    key = _key(path)
    if default_storage.exists(key):
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".part")
        with default_storage.open(key, "rb") as source, partial.open("wb") as out:
            shutil.copyfileobj(source, out)
        partial.replace(path)
    return path


def discard(path: Path) -> None:
    """Remove the waiting file here and in the shared staging."""
    path.unlink(missing_ok=True)
    if settings.IMPORT_STAGING_SHARED:
        default_storage.delete(_key(path))

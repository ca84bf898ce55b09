"""An admin import received by one web machine is read by a worker on another (issue 17 §4):
with IMPORT_STAGING_SHARED the waiting file is also staged in the default storage."""

from __future__ import annotations

from django.core.files.storage import default_storage

from citizens.import_jobs import import_job_run, import_job_start
from citizens.models import Person
from config.staging import stage_upload
from tests.citizens.conftest import Registry, id_number

KEY = "imports/registry-imports/t9.csv"


def test_a_worker_without_the_file_fetches_it_from_the_shared_staging(
    registry: Registry, settings, tmp_path
) -> None:
    settings.IMPORT_STAGING_SHARED = True
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    web = tmp_path / "web" / "registry-imports"
    worker = tmp_path / "worker" / "registry-imports"
    web.mkdir(parents=True)
    stage_upload(web / "t9.csv", [b"name,id_number\n", f"Liu,{id_number(62)}\n".encode()])
    assert default_storage.exists(KEY)
    settings.REGISTRY_IMPORT_DIR = worker  # the worker's machine: no local copy
    import_job_start(
        token="t9", kind="persons", suffix=".csv", name="p.csv", user_id=1, commit=False
    )
    checked = import_job_run("t9")
    assert checked["state"] == "checked", checked
    assert checked["report"]["valid"] == 1
    import_job_start(
        token="t9", kind="persons", suffix=".csv", name="p.csv", user_id=1, commit=True
    )
    assert import_job_run("t9")["state"] == "done"
    assert Person.objects.filter(name="Liu").count() == 1
    # Imported: gone from the worker and from the shared staging (it holds ID numbers).
    assert not (worker / "t9.csv").exists()
    assert not default_storage.exists(KEY)


def test_without_sharing_nothing_leaves_the_machine(registry: Registry, settings, tmp_path):
    settings.IMPORT_STAGING_SHARED = False
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    stage_upload(tmp_path / "t8.csv", [b"name,id_number\n"])
    assert (tmp_path / "t8.csv").read_bytes() == b"name,id_number\n"
    assert not default_storage.exists(f"imports/{tmp_path.name}/t8.csv")

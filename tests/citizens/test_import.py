"""Importing the registry from CSV and XLSX: a report first, good rows only on --commit, all or
nothing."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from citizens import idnumbers
from citizens.importer import ImportFileError, registry_import
from citizens.models import Building, Dwelling, Occupancy, Person
from tests.citizens.conftest import GRID_A, Registry, id_number

pytestmark = pytest.mark.django_db

FOOTPRINT = (
    "POLYGON((120.302 36.092, 120.3024 36.092, 120.3024 36.0922, 120.302 36.0922, 120.302 36.092))"
)


def _csv(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    return path


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("import_registry", *args, "--no-progress", stdout=out)
    return out.getvalue()


def test_buildings_are_reported_then_imported_on_commit(district, tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "buildings.csv",
        [
            "code,address,footprint,floors,use",
            f'N-1,新楼1号,"{FOOTPRINT}",7,residential',
            'N-2,新楼2号,"POLYGON((0 0, 1 0, 1 1, 0 0))",0,castle',
            f'N-1,重复,"{FOOTPRINT}",3,',
        ],
    )
    report = _run(str(path), "--kind", "buildings")
    assert "row 3, floors: Between 1 and 200." in report
    assert "row 3, use: One of:" in report
    assert "row 4, code: This code appears twice in the file." in report
    assert "3 rows, 1 good, 2 with errors; 0 imported" in report
    assert not Building.objects.exists()

    assert "1 imported" in _run(str(path), "--kind", "buildings", "--commit")
    building = Building.objects.get()
    assert (building.code, building.floors, building.grid_id) == ("N-1", 7, GRID_A)


def test_a_footprint_outside_the_district_is_a_row_error(district, tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "b.csv",
        ["code,address,footprint,floors", 'X,远方,"POLYGON((1 1, 1.1 1, 1.1 1.1, 1 1))",3'],
    )
    assert "row 2, footprint: The point" in _run(str(path), "--kind", "buildings")


def test_persons_from_xlsx_are_linked_and_tagged(registry: Registry, tmp_path: Path) -> None:
    good = id_number(40, date(1950, 1, 1), "M")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    book = Workbook()
    sheet = book.active
    sheet.append(
        ["name", "id_number", "phone", "building_code", "unit", "room", "role", "key_groups"]
    )
    sheet.append(["Frank", good, "13900001111", "B-A", "1", "101", "resident", "disabled"])
    sheet.append(["Grace", bad, "", "B-A", "1", "101", "", ""])
    sheet.append(["Heidi", id_number(41), "", "B-A", "1", "999", "", "no_such"])
    sheet.append(["Ivan", registry.numbers["alice"], "", "", "", "", "", ""])
    path = tmp_path / "persons.xlsx"
    book.save(path)

    report = registry_import(kind="persons", data=path.open("rb"), filename=path.name)
    reasons = {(e.row, e.column): e.reason for e in report.errors}
    assert reasons[(3, "id_number")] == "The ID number's check digit is wrong."
    assert reasons[(4, "room")] == "No such dwelling in the building."
    assert reasons[(4, "key_groups")] == "Unknown key group no_such."
    assert reasons[(5, "id_number")] == "A person with this ID number is already in the registry."
    assert (report.total, report.valid, report.imported) == (4, 1, 0)
    assert not Person.objects.filter(name="Frank").exists()

    report = registry_import(kind="persons", data=path.open("rb"), filename=path.name, commit=True)
    assert (report.imported, report.committed) == (1, True)
    frank = Person.objects.get(name="Frank")
    assert frank.grid_id == GRID_A
    assert frank.id_number_hash == idnumbers.keyed_hash(good)
    assert idnumbers.decrypt(frank.id_number_encrypted) == good
    assert Occupancy.objects.get(person=frank).dwelling == registry.d101
    assert list(frank.key_groups.values_list("code", flat=True)) == ["disabled"]


def test_dwellings_import(registry: Registry, tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "d.csv",
        [
            "building_code,unit,room,floor,use,area_m2",
            "B-A,2,201,2,home,88.5",
            "B-A,1,101,1,home,",
            "NOPE,1,1,1,home,",
        ],
    )
    report = _run(str(path), "--kind", "dwellings", "--commit")
    assert "row 3, room: This dwelling is already in the registry." in report
    assert "row 4, building_code: No building with this code." in report
    dwelling = Dwelling.objects.get(unit="2", room="201")
    assert (dwelling.grid_id, str(dwelling.area_m2)) == (GRID_A, "88.50")


def test_a_clash_while_committing_writes_nothing(
    registry: Registry, tmp_path: Path, monkeypatch
) -> None:
    """Two persons good at the check; the second collides at write time (someone registered
    the same number meanwhile): the first is rolled back too."""
    first, second = id_number(50), id_number(51)
    path = _csv(tmp_path, "p.csv", ["name,id_number", f"Judy,{first}", f"Ken,{second}"])
    from citizens import importer

    real = importer._check_persons

    def check_then_someone_registers(rows):
        plan = real(rows)
        importer.person_register(name="Other", id_number=second)
        return plan

    monkeypatch.setattr(
        importer, "CHECKS", {**importer.CHECKS, "persons": check_then_someone_registers}
    )
    with pytest.raises(ImportFileError, match="nothing was imported"):
        registry_import(kind="persons", data=path.open("rb"), filename=path.name, commit=True)
    assert not Person.objects.filter(name="Judy").exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("x.txt", b"a,b", "use a .csv or .xlsx file"),
        ("x.csv", b"", "is empty"),
        ("x.csv", b"name,phone\nA,1\n", r"lacks the column\(s\) id_number"),
        ("x.csv", b"\xff\xfe\x00bad", "is not a UTF-8 CSV file"),
        ("x.xlsx", b"not a zip", "is not a readable XLSX file"),
    ],
)
def test_a_bad_file_fails_in_one_line(
    db, tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(CommandError, match=message) as caught:
        _run(str(path), "--kind", "persons")
    assert "\n" not in str(caught.value)


def test_a_missing_file_fails_in_one_line(db, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No such file"):
        _run(str(tmp_path / "nope.csv"), "--kind", "persons")


@pytest.fixture
def admin_client(client, settings, tmp_path: Path):
    from grids.models import User

    settings.REGISTRY_IMPORT_DIR = tmp_path / "registry-imports"
    client.force_login(User.objects.create_superuser("root", password="pw-123456!"))
    return client


IMPORT_URL = "/admin/citizens/building/import/"


def test_admin_page_checks_then_imports_on_confirmation(
    registry: Registry,
    admin_client,
    tmp_path: Path,
    eager_celery,
    django_capture_on_commit_callbacks,
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    content = f"name,id_number\nLiu,{id_number(60)}\nBad,123\n".encode()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            IMPORT_URL,
            {"kind": "persons", "file": SimpleUploadedFile("p.csv", content)},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 302  # to the page that follows the job
    job = admin_client.get(IMPORT_URL, HTTP_ACCEPT_LANGUAGE="en").context["job"]
    assert job["state"] == "checked"
    assert job["report"]["valid"] == 1
    assert [(e["row"], e["column"]) for e in job["report"]["errors"]] == [(3, "id_number")]
    assert not Person.objects.filter(name="Liu").exists()

    token = admin_client.session["citizens_import"]["token"]
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(IMPORT_URL, {"confirm": "1", "token": token})
    assert response.status_code == 302
    page = admin_client.get(IMPORT_URL, HTTP_ACCEPT_LANGUAGE="en")
    assert page.context["job"]["state"] == "done"
    assert "1 rows imported; 1 rows with errors were left out." in page.content.decode()
    assert Person.objects.filter(name="Liu").exists()
    assert not list((tmp_path / "registry-imports").iterdir())
    # The same confirmation twice imports nothing more.
    admin_client.post(IMPORT_URL, {"confirm": "1", "token": token})
    assert Person.objects.filter(name="Liu").count() == 1


def test_the_admin_page_shows_a_progress_bar_while_the_job_runs(
    registry: Registry, admin_client
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    content = f"name,id_number\nLiu,{id_number(61)}\n".encode()
    # No worker has taken the job yet: the page shows the bar and polls the status.
    admin_client.post(IMPORT_URL, {"kind": "persons", "file": SimpleUploadedFile("p.csv", content)})
    page = admin_client.get(IMPORT_URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<progress id="import-bar"' in page
    assert "Waiting for a worker" in page
    status = admin_client.get(IMPORT_URL + "status/").json()
    assert status == {"state": "queued", "label": "", "done": 0, "total": 0}


def test_the_job_reports_its_progress_row_by_row(registry: Registry, settings, tmp_path) -> None:
    from citizens.import_jobs import import_file, import_job_get, import_job_run, import_job_start

    settings.REGISTRY_IMPORT_DIR = tmp_path
    rows = [f"P{n},{id_number(100 + n)}" for n in range(300)]
    import_file("t1", ".csv").write_text("name,id_number\n" + "\n".join(rows) + "\n")
    import_job_start(
        token="t1", kind="persons", suffix=".csv", name="p.csv", user_id=1, commit=False
    )
    seen: list[int] = []
    from django.core.cache import cache

    original_set = cache.set

    def spy(key, value, *args, **kwargs):
        if key.endswith("t1"):
            seen.append(value["done"])
        return original_set(key, value, *args, **kwargs)

    cache.set = spy
    try:
        job = import_job_run("t1")
    finally:
        cache.set = original_set
    assert job["state"] == "checked"
    assert job["report"]["valid"] == 300
    assert seen == sorted(seen)
    assert seen[-1] == 300
    assert len({d for d in seen if 0 < d < 300}) >= 50  # the bar moved in small steps
    assert import_job_get("t1")["done"] == 300
    # A redelivered task finds the job finished and leaves it.
    assert import_job_run("t1")["state"] == "checked"


def test_a_bad_file_fails_the_job_with_one_line(registry: Registry, settings, tmp_path) -> None:
    from django.utils import translation

    from citizens.import_jobs import import_file, import_job_run, import_job_start

    settings.REGISTRY_IMPORT_DIR = tmp_path
    import_file("t2", ".csv").write_text("nom,numero\nx,y\n")
    import_job_start(
        token="t2", kind="persons", suffix=".csv", name="p.csv", user_id=1, commit=False
    )
    with translation.override("zh-hans"):
        job = import_job_run("t2")  # a worker's default language is not the uploader's
    assert job["state"] == "failed"
    assert job["error"] == "p.csv lacks the column(s) name, id_number for persons."
    assert job["error"]
    assert "\n" not in job["error"]


def test_staff_without_the_permission_cannot_import(registry: Registry, client) -> None:
    staff = registry.users["staff_a"]
    staff.is_staff = True
    staff.save()
    client.force_login(staff)
    assert client.get("/admin/citizens/building/import/").status_code == 403


def test_unconfirmed_uploads_are_removed_after_a_day(settings, tmp_path: Path) -> None:
    import os
    import time

    from citizens.admin_registry import import_dir

    settings.REGISTRY_IMPORT_DIR = tmp_path
    old, fresh = tmp_path / "old.csv", tmp_path / "fresh.csv"
    old.write_text("name,id_number\n")
    fresh.write_text("name,id_number\n")
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(old, (two_days_ago, two_days_ago))
    import_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fresh.csv"]


def test_a_job_another_runner_holds_is_left_alone(registry: Registry, settings, tmp_path) -> None:
    from django.core.cache import cache

    from citizens.import_jobs import import_file, import_job_run, import_job_start

    settings.REGISTRY_IMPORT_DIR = tmp_path
    import_file("t3", ".csv").write_text(f"name,id_number\nLiu,{id_number(62)}\n")
    import_job_start(
        token="t3", kind="persons", suffix=".csv", name="p.csv", user_id=1, commit=True
    )
    assert cache.add("citizens:registry-import:t3:running", 1, 60)  # a first runner at work
    assert import_job_run("t3")["state"] == "queued"
    assert not Person.objects.filter(name="Liu").exists()
    cache.delete("citizens:registry-import:t3:running")
    assert import_job_run("t3")["state"] == "done"
    assert Person.objects.filter(name="Liu").count() == 1

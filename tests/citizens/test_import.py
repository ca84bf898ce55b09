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


def test_admin_page_checks_then_imports_on_confirmation(
    registry: Registry, client, settings, tmp_path: Path
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from grids.models import User

    settings.REGISTRY_IMPORT_DIR = tmp_path / "registry-imports"
    admin_user = User.objects.create_superuser("root", password="pw-123456!")
    client.force_login(admin_user)
    url = "/admin/citizens/building/import/"
    content = f"name,id_number\nLiu,{id_number(60)}\nBad,123\n".encode()
    response = client.post(
        url,
        {"kind": "persons", "file": SimpleUploadedFile("p.csv", content)},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert response.context["report"].valid == 1
    assert [(e.row, e.column) for e in response.context["report"].errors] == [(3, "id_number")]
    assert not Person.objects.filter(name="Liu").exists()
    token = client.session["citizens_import"]["token"]
    response = client.post(url, {"confirm": "1", "token": token})
    assert response.status_code == 302
    assert Person.objects.filter(name="Liu").exists()
    assert not list((tmp_path / "registry-imports").iterdir())
    # The same confirmation twice imports nothing more.
    client.post(url, {"confirm": "1", "token": token})
    assert Person.objects.filter(name="Liu").count() == 1


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

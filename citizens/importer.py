"""Import buildings, dwellings and persons from CSV or XLSX.

Two steps, so nothing is half-imported by accident: `registry_import(commit=False)` reads the
whole file and returns a validation report (row, column, reason) without writing; with
`commit=True` it validates again and writes the good rows (and only them) in one transaction.
If the database refuses any of them (someone added the same code meanwhile), nothing of the
file is written. Rows are numbered as a spreadsheet shows them: the header is row 1.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, BinaryIO

from django.contrib.gis.geos import GEOSException, GEOSGeometry, Polygon
from django.db import DatabaseError, IntegrityError, transaction
from django.utils.translation import gettext as _

from citizens import idnumbers
from citizens.errors import InvalidInput
from citizens.models import (
    Building,
    BuildingUse,
    Dwelling,
    DwellingUse,
    KeyGroup,
    Occupancy,
    OccupancyRole,
    Parcel,
    Person,
    PersonKeyGroup,
)
from citizens.services import (
    building_create,
    dwelling_create,
    key_group_tag,
    occupancy_link,
    person_register,
)
from config.dbstats import analyze
from grids.models import Level, Region

KINDS = ("buildings", "dwellings", "persons")
REQUIRED: dict[str, tuple[str, ...]] = {
    "buildings": ("code", "address", "footprint", "floors"),
    "dwellings": ("building_code", "room", "floor", "use"),
    "persons": ("name", "id_number"),
}
OPTIONAL: dict[str, tuple[str, ...]] = {
    "buildings": ("name", "underground_floors", "use", "parcel_code", "grid_code"),
    "dwellings": ("unit", "area_m2"),
    "persons": (
        "phone",
        "birth_date",
        "registered_address",
        "actual_address",
        "building_code",
        "unit",
        "room",
        "role",
        "since",
        "key_groups",
    ),
}
MAX_ROWS = 200_000


class ImportFileError(ValueError):
    """The file as a whole cannot be read (format, encoding, headers)."""


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    reason: str


@dataclass
class ImportReport:
    kind: str
    total: int = 0
    valid: int = 0
    imported: int = 0
    committed: bool = False
    errors: list[RowError] = field(default_factory=list)

    @property
    def bad_rows(self) -> int:
        return len({error.row for error in self.errors})


Progress = Callable[[Iterable[Any], int, str], Iterable[Any]]


def _no_progress(rows: Iterable[Any], total: int, label: str) -> Iterable[Any]:
    return rows


# --- reading ------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, date):
        return value.isoformat()[:10]
    return str(value).strip()


def read_rows(data: BinaryIO, filename: str) -> tuple[list[str], list[dict[str, str]]]:
    """The header and the rows of a CSV (UTF-8, with or without BOM) or XLSX (first sheet)."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".csv":
        try:
            text = io.TextIOWrapper(data, encoding="utf-8-sig", newline="")
            table = [[_cell(value) for value in row] for row in csv.reader(text)]
        except (UnicodeDecodeError, csv.Error) as exc:
            raise ImportFileError(
                _("%(file)s is not a UTF-8 CSV file (%(error)s).")
                % {"file": filename, "error": exc}
            ) from None
    elif suffix == ".xlsx":
        from openpyxl import load_workbook

        try:
            book = load_workbook(data, read_only=True, data_only=True)
            table = [
                [_cell(value) for value in row]
                for row in book.worksheets[0].iter_rows(values_only=True)
            ]
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise ImportFileError(
                _("%(file)s is not a readable XLSX file (%(error)s).")
                % {"file": filename, "error": exc}
            ) from None
    else:
        raise ImportFileError(_("%(file)s: use a .csv or .xlsx file.") % {"file": filename})
    table = [row for row in table if any(row)]
    if not table:
        raise ImportFileError(_("%(file)s is empty.") % {"file": filename})
    header = [name.strip().lower() for name in table[0]]
    if len(table) - 1 > MAX_ROWS:
        raise ImportFileError(
            _("%(file)s has more than %(max)s rows; split it.")
            % {"file": filename, "max": MAX_ROWS}
        )
    rows = [
        dict(zip(header, row + [""] * (len(header) - len(row)), strict=False)) for row in table[1:]
    ]
    return header, rows


def check_header(kind: str, header: list[str], filename: str) -> None:
    missing = [name for name in REQUIRED[kind] if name not in header]
    if missing:
        raise ImportFileError(
            _("%(file)s lacks the column(s) %(columns)s for %(kind)s.")
            % {"file": filename, "columns": ", ".join(missing), "kind": kind}
        )


# --- checking one row ---------------------------------------------------------------------


class _Row:
    """Collects a row's problems while its values are parsed."""

    def __init__(self, number: int, values: dict[str, str]) -> None:
        self.number = number
        self.values = values
        self.errors: list[RowError] = []

    def fail(self, column: str, reason: str) -> None:
        self.errors.append(RowError(self.number, column, reason))

    def text(self, column: str, *, required: bool = False, max_length: int = 200) -> str:
        value = self.values.get(column, "").strip()
        if required and not value:
            self.fail(column, _("This field is required."))
        elif len(value) > max_length:
            self.fail(column, _("At most %(n)s characters.") % {"n": max_length})
        return value

    def integer(
        self, column: str, *, required: bool = False, low: int = 0, high: int = 200
    ) -> int | None:
        value = self.text(column, required=required)
        if not value:
            return None
        try:
            number = int(value)
        except ValueError:
            self.fail(column, _("Not a whole number."))
            return None
        if not low <= number <= high:
            self.fail(column, _("Between %(low)s and %(high)s.") % {"low": low, "high": high})
            return None
        return number

    def day(self, column: str) -> date | None:
        value = self.text(column)
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.fail(column, _("Not a date (YYYY-MM-DD)."))
            return None

    def choice(self, column: str, choices: list[str], default: str = "") -> str:
        value = self.text(column) or default
        if value not in choices:
            self.fail(column, _("One of: %(choices)s.") % {"choices": ", ".join(choices)})
        return value


def _polygon(row: _Row, column: str) -> Polygon | None:
    value = row.text(column, required=True, max_length=100_000)
    if not value:
        return None
    try:
        geom = GEOSGeometry(
            json.dumps(json.loads(value)) if value.startswith("{") else value, srid=4326
        )
    except (GEOSException, ValueError, TypeError):
        row.fail(column, _("Not a WKT or GeoJSON polygon."))
        return None
    if geom.srid in (None, 0):
        geom.srid = 4326
    if geom.geom_type != "Polygon" or geom.empty or not geom.valid:
        row.fail(column, _("Give one valid polygon (WGS84 longitude, latitude)."))
        return None
    if geom.srid != 4326:
        geom.transform(4326)
    return geom  # type: ignore[return-value]  # a Polygon: checked above


# --- the kinds ----------------------------------------------------------------------------


@dataclass
class _Plan:
    """The good rows of a file, ready to write."""

    kind: str
    items: list[tuple[int, dict[str, Any]]] = field(default_factory=list)


def _check_buildings(rows: list[_Row]) -> _Plan:
    plan = _Plan("buildings")
    codes = [row.values.get("code", "").strip() for row in rows]
    existing = set(Building.objects.filter(code__in=codes).values_list("code", flat=True))
    parcels = dict(
        Parcel.objects.filter(
            code__in={row.values.get("parcel_code", "").strip() for row in rows}
        ).values_list("code", "pk")
    )
    grids = set(
        Region.objects.filter(
            level=Level.GRID, code__in={row.values.get("grid_code", "").strip() for row in rows}
        ).values_list("code", flat=True)
    )
    seen: set[str] = set()
    for row in rows:
        code = row.text("code", required=True, max_length=32)
        if code in existing:
            row.fail("code", _("A building with this code is already in the registry."))
        elif code and code in seen:
            row.fail("code", _("This code appears twice in the file."))
        seen.add(code)
        item = {
            "code": code,
            "address": row.text("address", required=True),
            "name": row.text("name", max_length=100),
            "footprint": _polygon(row, "footprint"),
            "floors": row.integer("floors", required=True, low=1, high=200),
            "underground_floors": row.integer("underground_floors", high=20) or 0,
            "use": row.choice("use", BuildingUse.values, BuildingUse.RESIDENTIAL),
        }
        parcel_code = row.text("parcel_code", max_length=32)
        if parcel_code and parcel_code not in parcels:
            row.fail("parcel_code", _("No parcel with this code."))
        item["parcel_id"] = parcels.get(parcel_code)
        grid_code = row.text("grid_code", max_length=15)
        if grid_code and grid_code not in grids:
            row.fail("grid_code", _("Not a grid's code."))
        item["grid_code"] = grid_code
        if not row.errors and item["footprint"] is not None and not grid_code:
            from grids.selectors import LocateError, locate

            try:
                item["grid_code"] = locate(item["footprint"].point_on_surface).grid.code  # type: ignore[union-attr]  # the footprint: a Polygon
            except LocateError as exc:
                row.fail("footprint", str(exc))
        if not row.errors:
            plan.items.append((row.number, item))
    return plan


def _check_dwellings(rows: list[_Row]) -> _Plan:
    plan = _Plan("dwellings")
    buildings = dict(
        Building.objects.filter(
            code__in={row.values.get("building_code", "").strip() for row in rows}
        ).values_list("code", "pk")
    )
    existing = set(
        Dwelling.objects.filter(building_id__in=buildings.values()).values_list(
            "building__code", "unit", "room"
        )
    )
    seen: set[tuple[str, str, str]] = set()
    for row in rows:
        building_code = row.text("building_code", required=True, max_length=32)
        if building_code and building_code not in buildings:
            row.fail("building_code", _("No building with this code."))
        unit = row.text("unit", max_length=10)
        room = row.text("room", required=True, max_length=20)
        key = (building_code, unit, room)
        if key in existing:
            row.fail("room", _("This dwelling is already in the registry."))
        elif room and key in seen:
            row.fail("room", _("This dwelling appears twice in the file."))
        seen.add(key)
        area_text = row.text("area_m2")
        area = None
        if area_text:
            try:
                area = Decimal(area_text)
                if not Decimal(0) < area < Decimal(100_000):
                    raise InvalidOperation
            except InvalidOperation:
                row.fail("area_m2", _("A floor area in square metres."))
        item = {
            "building_id": buildings.get(building_code),
            "unit": unit,
            "room": room,
            "floor": row.integer("floor", required=True, low=-10, high=200),
            "use": row.choice("use", DwellingUse.values),
            "area_m2": area,
        }
        if not row.errors:
            plan.items.append((row.number, item))
    return plan


def _check_persons(rows: list[_Row]) -> _Plan:
    plan = _Plan("persons")
    groups = dict(KeyGroup.objects.filter(is_active=True).values_list("code", "pk"))
    buildings = dict(
        Building.objects.filter(
            code__in={row.values.get("building_code", "").strip() for row in rows}
        ).values_list("code", "pk")
    )
    dwellings = {
        (building_id, unit, room): pk
        for pk, building_id, unit, room in Dwelling.objects.filter(
            building_id__in=buildings.values()
        ).values_list("pk", "building_id", "unit", "room")
    }
    parsed: dict[int, str] = {}
    for row in rows:
        number = row.text("id_number", required=True, max_length=32)
        if number:
            try:
                parsed[row.number] = idnumbers.parse(number).number
            except idnumbers.IdNumberError as exc:
                row.fail("id_number", str(exc))
    hashes = {row_number: idnumbers.keyed_hash(number) for row_number, number in parsed.items()}
    existing = set(
        Person.objects.filter(id_number_hash__in=hashes.values()).values_list(
            "id_number_hash", flat=True
        )
    )
    seen: set[str] = set()
    for row in rows:
        digest = hashes.get(row.number)
        if digest in existing:
            row.fail("id_number", _("A person with this ID number is already in the registry."))
        elif digest and digest in seen:
            row.fail("id_number", _("This ID number appears twice in the file."))
        if digest:
            seen.add(digest)
        birth_date = row.day("birth_date")
        if (
            birth_date
            and row.number in parsed
            and idnumbers.parse(parsed[row.number]).birth_date != birth_date
        ):
            row.fail("birth_date", _("The birth date differs from the one in the ID number."))
        item: dict[str, Any] = {
            "name": row.text("name", required=True, max_length=50),
            "id_number": parsed.get(row.number, ""),
            "phone": row.text("phone", max_length=20),
            "registered_address": row.text("registered_address"),
            "actual_address": row.text("actual_address"),
            "dwelling_id": None,
            "role": "",
            "since": row.day("since"),
            "groups": [],
        }
        building_code = row.text("building_code", max_length=32)
        if building_code:
            if building_code not in buildings:
                row.fail("building_code", _("No building with this code."))
            else:
                key = (
                    buildings[building_code],
                    row.text("unit", max_length=10),
                    row.text("room", max_length=20),
                )
                item["dwelling_id"] = dwellings.get(key)
                if item["dwelling_id"] is None:
                    row.fail("room", _("No such dwelling in the building."))
            item["role"] = row.choice("role", OccupancyRole.values, OccupancyRole.RESIDENT)
        for code in filter(None, (part.strip() for part in row.text("key_groups").split(";"))):
            if code not in groups:
                row.fail("key_groups", _("Unknown key group %(code)s.") % {"code": code})
            else:
                item["groups"].append(groups[code])
        if not row.errors:
            plan.items.append((row.number, item))
    return plan


CHECKS = {"buildings": _check_buildings, "dwellings": _check_dwellings, "persons": _check_persons}
# The tables each kind of import fills (for ANALYZE once it has committed).
_FILLS: dict[str, tuple[type[Any], ...]] = {
    "buildings": (Building,),
    "dwellings": (Dwelling,),
    "persons": (Person, Occupancy, PersonKeyGroup),
}


# --- writing ------------------------------------------------------------------------------


def _write(plan: _Plan, progress: Progress) -> int:
    written = 0
    building_cache: dict[int, Building] = {}
    for _number, item in progress(plan.items, len(plan.items), _("importing")):
        if plan.kind == "buildings":
            parcel = Parcel.objects.get(pk=item["parcel_id"]) if item["parcel_id"] else None
            building_create(
                code=item["code"],
                address=item["address"],
                name=item["name"],
                footprint=item["footprint"],
                floors=item["floors"],
                underground_floors=item["underground_floors"],
                use=item["use"],
                parcel=parcel,
                grid_code=item["grid_code"],
            )
        elif plan.kind == "dwellings":
            building = building_cache.get(item["building_id"])
            if building is None:
                building = building_cache[item["building_id"]] = Building.objects.get(
                    pk=item["building_id"]
                )
            dwelling_create(
                building=building,
                unit=item["unit"],
                room=item["room"],
                floor=item["floor"],
                use=item["use"],
                area_m2=item["area_m2"],
            )
        else:
            person = person_register(
                name=item["name"],
                id_number=item["id_number"],
                phone=item["phone"],
                registered_address=item["registered_address"],
                actual_address=item["actual_address"],
            )
            if item["dwelling_id"]:
                occupancy_link(
                    person=person,
                    dwelling=Dwelling.objects.get(pk=item["dwelling_id"]),
                    role=item["role"],
                    since=item["since"],
                )
            for group_id in item["groups"]:
                key_group_tag(person=person, group=KeyGroup.objects.get(pk=group_id))
        written += 1
    return written


def registry_import(
    *,
    kind: str,
    data: BinaryIO,
    filename: str,
    commit: bool = False,
    progress: Progress = _no_progress,
) -> ImportReport:
    """Validate the file; with `commit`, write its good rows, all of them or none."""
    if kind not in KINDS:
        raise ImportFileError(_("Import kind is one of: %(kinds)s.") % {"kinds": ", ".join(KINDS)})
    header, raw_rows = read_rows(data, filename)
    check_header(kind, header, filename)
    rows = [_Row(number, values) for number, values in enumerate(raw_rows, start=2)]
    report = ImportReport(kind=kind, total=len(rows))
    plan = CHECKS[kind](list(progress(rows, len(rows), _("checking"))))
    report.errors = [error for row in rows for error in row.errors]
    report.valid = len(plan.items)
    if not commit or not plan.items:
        return report
    try:
        with transaction.atomic():
            report.imported = _write(plan, progress)
    except (InvalidInput, IntegrityError, DatabaseError) as exc:
        message = getattr(exc, "message", None) or str(exc)
        raise ImportFileError(
            _("The registry changed while importing; nothing was imported (%(error)s).")
            % {"error": message}
        ) from None
    analyze(*_FILLS[kind])
    report.committed = True
    return report


def report_lines(report: ImportReport) -> Iterator[str]:
    for error in report.errors:
        yield f"row {error.row}, {error.column}: {error.reason}"

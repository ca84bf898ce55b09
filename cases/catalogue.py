"""The responsibility catalogue in and out: the seed, the CSV export and the all-or-nothing import,
and the one helper that shortens a limit by urgency.

One CSV row per filing condition; the item's and the domain's columns repeat on each of the
item's rows and must agree. Columns (UTF-8, a header row with exactly these names):

    domain_code, domain_name, item_code, item_name, family, major_class, minor_class, unit_code,
    legal_basis, handling_standard, duplicate_radius_m, duplicate_window_hours, entry_level,
    condition_code, condition_description, closing_condition, limit_value, limit_unit

``family`` is ``component`` or ``event``; ``entry_level`` (where the item's cases start their
loop, DOMAIN.md §5) ``community``, ``street`` or ``district``; ``limit_unit`` one of
``working_hours``, ``working_days``, ``natural_hours``. The bundled district catalogue
(cases/data/) is a file of this format, and ``export → import`` is a round trip. A file
without the ``entry_level`` column (written before there was one) still imports: its items
keep the level they have (new ones start at the district).

Import is an upsert by code: domains, items and conditions in the file are created or updated,
rows not in the file are left alone (a condition may have cases that point at it). Items keep
their ``is_active`` flag and domains their ``ordering``. Every row is checked before anything is
written; a problem is reported as ``row N, column X: reason``, N counting the header as row 1 the
way a spreadsheet shows it. One problem and nothing is written.

The import insists that every unit code names an existing unit. The seed is the same import of
the bundled file with one difference: it runs before the demo units exist, so an unknown unit code
is kept on the item (``default_unit_code``) and linked later by ``catalogue_link_units`` (which
the seed also runs, so seeding again after the units exist links them).
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from django.db import IntegrityError, transaction

from cases.models import (
    DEFAULT_URGENCY_FACTORS,
    FAMILY_CODE_LETTER,
    NATIONAL_MAJOR_CLASSES,
    Domain,
    EntryLevel,
    Family,
    FilingCondition,
    Item,
    LimitUnit,
    Urgency,
    UrgencyFactor,
)
from grids.models import Unit

SEED_FILE = Path(__file__).resolve().parent / "data" / "catalogue_370203.csv"

CSV_COLUMNS: tuple[str, ...] = (
    "domain_code",
    "domain_name",
    "item_code",
    "item_name",
    "family",
    "major_class",
    "minor_class",
    "unit_code",
    "legal_basis",
    "handling_standard",
    "duplicate_radius_m",
    "duplicate_window_hours",
    "entry_level",
    "condition_code",
    "condition_description",
    "closing_condition",
    "limit_value",
    "limit_unit",
)
ITEM_COLUMNS = (
    "domain_code",
    "item_name",
    "family",
    "major_class",
    "minor_class",
    "unit_code",
    "legal_basis",
    "handling_standard",
    "duplicate_radius_m",
    "duplicate_window_hours",
    "entry_level",
)
# Columns a file may leave out (files written before the column existed).
OPTIONAL_COLUMNS = frozenset({"entry_level"})

_TWO_DIGITS = re.compile(r"[0-9]{2}")
_ITEM_CODE = re.compile(r"[BS][0-9]{6}")
_LIMIT_STEP = Decimal("0.01")
# FilingCondition.limit_value is DECIMAL(6, 2).
_LIMIT_MAX = Decimal("9999.99")


def _max_length(model: type[Any], name: str) -> int:
    return int(model._meta.get_field(name).max_length)


_MAX_LENGTHS: dict[str, int] = {
    "domain_name": _max_length(Domain, "name"),
    "item_name": _max_length(Item, "name"),
    "unit_code": _max_length(Item, "default_unit_code"),
}


# --- results and problems --------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogueProblem:
    """One thing wrong with an import file, printed as one line."""

    reason: str
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        if self.row is None:
            return self.reason
        if self.column is None:
            return f"row {self.row}: {self.reason}"
        return f"row {self.row}, column {self.column}: {self.reason}"


class CatalogueImportFailed(Exception):
    """The file had problems; nothing was written."""

    def __init__(self, problems: Sequence[CatalogueProblem]) -> None:
        self.problems = list(problems)
        super().__init__(self.summary)

    @property
    def summary(self) -> str:
        count = len(self.problems)
        return f"{count} error{'' if count == 1 else 's'}, nothing imported"


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class CatalogueImportResult:
    domains: Tally = field(default_factory=Tally)
    items: Tally = field(default_factory=Tally)
    conditions: Tally = field(default_factory=Tally)
    urgency_factors_created: int = 0
    # Seed only: items the final link step joined to their unit (items the file does not list;
    # the file's own items are linked as they are written and count as updated), and the unit
    # codes no unit has yet.
    units_linked: int = 0
    missing_unit_codes: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def created(self) -> int:
        return self.domains.created + self.items.created + self.conditions.created

    @property
    def updated(self) -> int:
        return self.domains.updated + self.items.updated + self.conditions.updated

    def __str__(self) -> str:
        parts = [
            f"{name} {tally.created} created, {tally.updated} updated, {tally.unchanged} unchanged"
            for name, tally in (
                ("domains", self.domains),
                ("items", self.items),
                ("conditions", self.conditions),
            )
        ]
        text = "; ".join(parts)
        return f"{text} (dry run: nothing written)" if self.dry_run else text


# --- parsing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ConditionRow:
    row: int
    domain_code: str
    domain_name: str
    item_code: str
    item: dict[str, Any]  # the item's own columns, parsed, keyed by column name
    condition_code: str
    description: str
    closing_condition: str
    limit_value: Decimal
    limit_unit: str


class _RowProblems:
    def __init__(self, row: int) -> None:
        self.row = row
        self.problems: list[CatalogueProblem] = []

    def add(self, column: str, reason: str) -> None:
        self.problems.append(CatalogueProblem(reason, self.row, column))


def _positive_int(value: str, column: str, problems: _RowProblems) -> int | None:
    try:
        number = int(value)
    except ValueError:
        problems.add(column, f"not a whole number: {value!r}")
        return None
    if number <= 0:
        problems.add(column, f"must be greater than 0, not {number}")
        return None
    return number


def _limit(value: str, problems: _RowProblems) -> Decimal | None:
    column = "limit_value"
    try:
        number = Decimal(value)
    except InvalidOperation:
        problems.add(column, f"not a number: {value!r}")
        return None
    if not number.is_finite():
        problems.add(column, f"not a number: {value!r}")
        return None
    if number <= 0:
        problems.add(column, f"must be greater than 0, not {value}")
        return None
    if number > _LIMIT_MAX:
        problems.add(column, f"at most {_LIMIT_MAX}: {value}")
        return None
    if number != number.quantize(_LIMIT_STEP, rounding=ROUND_HALF_UP):
        problems.add(column, f"at most two decimal places: {value}")
        return None
    return number


def _parse_row(number: int, raw: dict[str, str]) -> tuple[_ConditionRow | None, _RowProblems]:
    problems = _RowProblems(number)
    values = {column: (raw.get(column) or "").strip() for column in CSV_COLUMNS}
    for column in CSV_COLUMNS:
        if column in OPTIONAL_COLUMNS and column not in raw:
            continue
        if not values[column]:
            problems.add(column, "missing value")
        elif column in _MAX_LENGTHS and len(values[column]) > _MAX_LENGTHS[column]:
            problems.add(column, f"longer than {_MAX_LENGTHS[column]} characters")

    for column in ("domain_code", "minor_class", "condition_code"):
        if values[column] and not _TWO_DIGITS.fullmatch(values[column]):
            problems.add(column, f"two digits expected, not {values[column]!r}")

    family = values["family"]
    if family and family not in Family.values:
        problems.add(column="family", reason=f"unknown family {family!r} (use component or event)")
        family = ""
    major = values["major_class"]
    if major and family and major not in NATIONAL_MAJOR_CLASSES[family]:
        known = ", ".join(sorted(NATIONAL_MAJOR_CLASSES[family]))
        problems.add("major_class", f"no national major class {major!r} for {family} ({known})")

    item_code = values["item_code"]
    if item_code and not _ITEM_CODE.fullmatch(item_code):
        problems.add(
            "item_code",
            f"{item_code!r} is not B or S followed by six digits (major, minor, sequence)",
        )
    elif item_code and family and values["major_class"] and values["minor_class"]:
        expected = FAMILY_CODE_LETTER[family] + values["major_class"] + values["minor_class"]
        if not item_code.startswith(expected):
            problems.add(
                "item_code",
                f"{item_code} does not match its family and classes (expected {expected}NN)",
            )

    entry_level = values["entry_level"]
    if entry_level and entry_level not in EntryLevel.values:
        known = ", ".join(EntryLevel.values)
        problems.add("entry_level", f"unknown entry level {entry_level!r} (use {known})")

    limit_unit = values["limit_unit"]
    if limit_unit and limit_unit not in LimitUnit.values:
        known = ", ".join(LimitUnit.values)
        problems.add("limit_unit", f"unknown limit unit {limit_unit!r} (use {known})")

    radius = window = limit = None
    if values["duplicate_radius_m"]:
        radius = _positive_int(values["duplicate_radius_m"], "duplicate_radius_m", problems)
    if values["duplicate_window_hours"]:
        window = _positive_int(values["duplicate_window_hours"], "duplicate_window_hours", problems)
    if values["limit_value"]:
        limit = _limit(values["limit_value"], problems)

    if problems.problems or radius is None or window is None or limit is None:
        return None, problems
    item: dict[str, Any] = {column: values[column] for column in ITEM_COLUMNS}
    item["duplicate_radius_m"] = radius
    item["duplicate_window_hours"] = window
    return (
        _ConditionRow(
            row=number,
            domain_code=values["domain_code"],
            domain_name=values["domain_name"],
            item_code=item_code,
            item=item,
            condition_code=values["condition_code"],
            description=values["condition_description"],
            closing_condition=values["closing_condition"],
            limit_value=limit,
            limit_unit=limit_unit,
        ),
        problems,
    )


def _read_rows(handle: IO[str]) -> tuple[list[_ConditionRow], list[CatalogueProblem]]:
    """Every row parsed and cross-checked; the problems of all of them."""
    reader = csv.reader(handle)
    try:
        header = next(reader)
    except StopIteration:
        return [], [CatalogueProblem("the file is empty (expected a header row)", 1)]
    except csv.Error as exc:
        return [], [CatalogueProblem(f"unreadable CSV: {exc}", 1)]
    header = [name.strip().lstrip("\ufeff") for name in header]
    problems = [
        CatalogueProblem("missing column", 1, column)
        for column in CSV_COLUMNS
        if column not in header and column not in OPTIONAL_COLUMNS
    ]
    problems += [
        CatalogueProblem("unknown column", 1, column)
        for column in header
        if column not in CSV_COLUMNS
    ]
    problems += [
        CatalogueProblem("column appears twice", 1, column)
        for column in sorted({name for name in header if header.count(name) > 1})
    ]
    if problems:
        return [], problems

    rows: list[_ConditionRow] = []
    try:
        for number, fields in enumerate(reader, start=2):
            if not any(value.strip() for value in fields):
                continue  # a blank line, e.g. at the end of a hand-edited file
            if len(fields) != len(header):
                problems.append(
                    CatalogueProblem(f"{len(fields)} fields, the header has {len(header)}", number)
                )
                continue
            parsed, row_problems = _parse_row(number, dict(zip(header, fields, strict=True)))
            problems += row_problems.problems
            if parsed is not None:
                rows.append(parsed)
    except csv.Error as exc:
        problems.append(CatalogueProblem(f"unreadable CSV: {exc}", reader.line_num))
    if not rows and not problems:
        problems.append(CatalogueProblem("no catalogue rows after the header", 2))
    problems += _cross_check(rows)
    return rows, problems


def _cross_check(rows: list[_ConditionRow]) -> list[CatalogueProblem]:
    """Rows that repeat a domain or an item must agree; condition codes are unique per item."""
    problems: list[CatalogueProblem] = []
    domain_first: dict[str, _ConditionRow] = {}
    item_first: dict[str, _ConditionRow] = {}
    condition_first: dict[tuple[str, str], _ConditionRow] = {}
    for row in rows:
        first_domain = domain_first.setdefault(row.domain_code, row)
        if first_domain.domain_name != row.domain_name:
            problems.append(
                CatalogueProblem(
                    f"domain {row.domain_code} is named {first_domain.domain_name!r} in row "
                    f"{first_domain.row}",
                    row.row,
                    "domain_name",
                )
            )
        first_item = item_first.setdefault(row.item_code, row)
        for column in ITEM_COLUMNS:
            if first_item.item[column] != row.item[column]:
                problems.append(
                    CatalogueProblem(
                        f"item {row.item_code} has {first_item.item[column]!r} in row "
                        f"{first_item.row}",
                        row.row,
                        column,
                    )
                )
        key = (row.item_code, row.condition_code)
        first_condition = condition_first.setdefault(key, row)
        if first_condition is not row:
            problems.append(
                CatalogueProblem(
                    f"condition {row.condition_code} of item {row.item_code} is already in row "
                    f"{first_condition.row}",
                    row.row,
                    "condition_code",
                )
            )
    return problems


# --- writing ---------------------------------------------------------------------------------


def _save_changes(instance: Any, values: dict[str, Any], tally: Tally) -> None:
    if instance.pk is None:
        for name, value in values.items():
            setattr(instance, name, value)
        instance.save()
        tally.created += 1
        return
    changed = [name for name, value in values.items() if getattr(instance, name) != value]
    if not changed:
        tally.unchanged += 1
        return
    for name in changed:
        setattr(instance, name, values[name])
    instance.save(update_fields=changed)
    tally.updated += 1


def _write(
    rows: list[_ConditionRow], units: dict[str, Unit], result: CatalogueImportResult
) -> None:
    domains = {domain.code: domain for domain in Domain.objects.all()}
    seen_domains: set[str] = set()
    for row in rows:
        if row.domain_code in seen_domains:
            continue
        seen_domains.add(row.domain_code)
        domain = domains.get(row.domain_code) or Domain(
            code=row.domain_code, ordering=int(row.domain_code)
        )
        _save_changes(domain, {"name": row.domain_name}, result.domains)
        domains[row.domain_code] = domain

    items = {item.code: item for item in Item.objects.filter(code__in={r.item_code for r in rows})}
    conditions = {
        (condition.item_id, condition.code): condition
        for condition in FilingCondition.objects.filter(item__in=list(items.values()))
    }
    seen_items: set[str] = set()
    order_in_item: dict[str, int] = {}
    for row in rows:
        if row.item_code not in seen_items:
            seen_items.add(row.item_code)
            unit_code = row.item["unit_code"]
            values = {
                "domain_id": domains[row.domain_code].pk,
                "name": row.item["item_name"],
                "family": row.item["family"],
                "major_class": row.item["major_class"],
                "minor_class": row.item["minor_class"],
                "default_unit_code": unit_code,
                "default_unit_id": units[unit_code].pk if unit_code in units else None,
                "legal_basis": row.item["legal_basis"],
                "handling_standard": row.item["handling_standard"],
                "duplicate_radius_m": row.item["duplicate_radius_m"],
                "duplicate_window_hours": row.item["duplicate_window_hours"],
            }
            if row.item["entry_level"]:  # a file without the column keeps the levels
                values["entry_level"] = row.item["entry_level"]
            item = items.get(row.item_code) or Item(code=row.item_code)
            _save_changes(item, values, result.items)
            items[row.item_code] = item
        item = items[row.item_code]
        order_in_item[row.item_code] = order_in_item.get(row.item_code, 0) + 1
        condition = conditions.get((item.pk, row.condition_code)) or FilingCondition(
            item=item, code=row.condition_code
        )
        _save_changes(
            condition,
            {
                "description": row.description,
                "closing_condition": row.closing_condition,
                "limit_value": row.limit_value,
                "limit_unit": row.limit_unit,
                "order": order_in_item[row.item_code],
            },
            result.conditions,
        )


def _problem_order(problem: CatalogueProblem) -> tuple[int, int]:
    # File-wide problems first, then by row and by column as the file lays them out; a column
    # the format does not know goes after the known ones.
    if problem.column in CSV_COLUMNS:
        column = CSV_COLUMNS.index(problem.column)
    else:
        column = len(CSV_COLUMNS) if problem.column else -1
    return (problem.row or 0, column)


@contextmanager
def _open_text(file: IO[str] | str | os.PathLike[str], mode: str) -> Iterator[IO[str]]:
    if isinstance(file, str | os.PathLike):
        # utf-8-sig on reading: spreadsheets save CSV with a byte-order mark.
        encoding = "utf-8-sig" if mode == "r" else "utf-8"
        with open(file, mode, encoding=encoding, newline="") as handle:
            yield handle
    else:
        yield file


def _import(
    file: IO[str] | str | os.PathLike[str], *, dry_run: bool, allow_unknown_units: bool
) -> CatalogueImportResult:
    try:
        with _open_text(file, "r") as handle:
            rows, problems = _read_rows(handle)
    except FileNotFoundError:
        raise CatalogueImportFailed([CatalogueProblem("no such file")]) from None
    except UnicodeDecodeError as exc:
        reason = f"not UTF-8 text ({exc.reason} at byte {exc.start})"
        raise CatalogueImportFailed([CatalogueProblem(reason)]) from None
    except OSError as exc:
        reason = f"cannot read the file: {exc.strerror or exc}"
        raise CatalogueImportFailed([CatalogueProblem(reason)]) from None

    unit_codes = {row.item["unit_code"] for row in rows}
    units = {unit.code: unit for unit in Unit.objects.filter(code__in=unit_codes)}
    missing = sorted(unit_codes - set(units))
    if missing and not allow_unknown_units:
        reported: set[str] = set()  # one line per item: its rows agree on the unit
        for row in rows:
            code = row.item["unit_code"]
            if code not in units and row.item_code not in reported:
                reported.add(row.item_code)
                problems.append(
                    CatalogueProblem(f"no unit with code {code!r}", row.row, "unit_code")
                )
    if problems:
        problems.sort(key=_problem_order)
        raise CatalogueImportFailed(problems)

    result = CatalogueImportResult(dry_run=dry_run, missing_unit_codes=missing)
    try:
        with transaction.atomic():
            _write(rows, units, result)
            if dry_run:
                transaction.set_rollback(True)
    except IntegrityError as exc:
        raise CatalogueImportFailed(
            [CatalogueProblem(f"the database refused the catalogue: {exc}")]
        ) from None
    return result


# --- public API ------------------------------------------------------------------------------


def catalogue_import_csv(
    file: IO[str] | str | os.PathLike[str], *, dry_run: bool = False
) -> CatalogueImportResult:
    """Create or update the catalogue from a CSV file (path or open text file), all or nothing.

    Raises CatalogueImportFailed listing every problem (``row N, column X: reason``) when any
    row is wrong or names a unit code no unit has. With ``dry_run`` the counts are those a real
    import would give, and nothing is written.
    """
    return _import(file, dry_run=dry_run, allow_unknown_units=False)


def catalogue_link_units() -> int:
    """Link items to their unit where a unit with the item's unit code now exists."""
    linked = 0
    unlinked = Item.objects.filter(default_unit__isnull=True).exclude(default_unit_code="")
    codes = set(unlinked.values_list("default_unit_code", flat=True))
    for unit in Unit.objects.filter(code__in=codes):
        linked += unlinked.filter(default_unit_code=unit.code).update(default_unit=unit)
    return linked


def catalogue_seed(*, path: str | os.PathLike[str] = SEED_FILE) -> CatalogueImportResult:
    """Load the district catalogue and the default urgency factors. Safe to run again.

    Items are updated by code; existing urgency factors are left as edited. Unit codes that no
    unit has yet are kept on the item and linked by a later seed (or catalogue_link_units).
    """
    with transaction.atomic():
        result = _import(path, dry_run=False, allow_unknown_units=True)
        for urgency, factor in DEFAULT_URGENCY_FACTORS.items():
            _, created = UrgencyFactor.objects.get_or_create(
                urgency=urgency, defaults={"factor": factor}
            )
            result.urgency_factors_created += created
        result.units_linked = catalogue_link_units()
    return result


def catalogue_rows() -> Iterator[dict[str, str]]:
    """The catalogue as CSV rows (column name → text), by domain, item and condition."""
    conditions = FilingCondition.objects.select_related(
        "item__domain", "item__default_unit"
    ).order_by("item__domain__code", "item__code", "order", "code")
    for condition in conditions:
        item = condition.item
        unit_code = item.default_unit.code if item.default_unit else item.default_unit_code
        yield {
            "domain_code": item.domain.code,
            "domain_name": item.domain.name,
            "item_code": item.code,
            "item_name": item.name,
            "family": item.family,
            "major_class": item.major_class,
            "minor_class": item.minor_class,
            "unit_code": unit_code,
            "legal_basis": item.legal_basis,
            "handling_standard": item.handling_standard,
            "duplicate_radius_m": str(item.duplicate_radius_m),
            "duplicate_window_hours": str(item.duplicate_window_hours),
            "entry_level": item.entry_level,
            "condition_code": condition.code,
            "condition_description": condition.description,
            "closing_condition": condition.closing_condition,
            "limit_value": _plain_decimal(condition.limit_value),
            "limit_unit": condition.limit_unit,
        }


def catalogue_export_csv(file: IO[str] | str | os.PathLike[str]) -> int:
    """Write the catalogue as CSV (the import's format) to a path or open text file.

    Returns the number of rows written, header not counted.
    """
    count = 0
    with _open_text(file, "w") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in catalogue_rows():
            writer.writerow(row)
            count += 1
    return count


def effective_limit(condition: FilingCondition, urgency: str) -> tuple[Decimal, LimitUnit]:
    """The condition's time limit shortened by the urgency factor, in the condition's unit.

    The factor comes from UrgencyFactor (editable); a level without a row uses the seed's
    default. The result is rounded to the hundredth, never below 0.01.
    """
    if urgency not in Urgency.values:
        raise ValueError(f"unknown urgency {urgency!r}")
    from cases.tables import tables

    factor: Any = tables().urgency_factors.get(urgency)
    if factor is None:
        factor = DEFAULT_URGENCY_FACTORS[urgency]
    value = (Decimal(condition.limit_value) * Decimal(str(factor))).quantize(
        _LIMIT_STEP, rounding=ROUND_HALF_UP
    )
    return max(value, _LIMIT_STEP), LimitUnit(condition.limit_unit)


def _plain_decimal(value: Decimal) -> str:
    """4.00 → "4", 0.50 → "0.5": how people write limits in a spreadsheet."""
    return format(Decimal(value).normalize(), "f")

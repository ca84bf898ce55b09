"""The responsibility catalogue: the district seed, CSV export/import, urgency (DOMAIN.md §3)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib import admin
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from cases.catalogue import (
    CSV_COLUMNS,
    SEED_FILE,
    CatalogueImportFailed,
    catalogue_export_csv,
    catalogue_import_csv,
    catalogue_link_units,
    catalogue_seed,
    effective_limit,
)
from cases.models import (
    FAMILY_CODE_LETTER,
    NATIONAL_MAJOR_CLASSES,
    Domain,
    Family,
    FilingCondition,
    Item,
    LimitUnit,
    Urgency,
    UrgencyFactor,
)
from grids.demo.reference import DEPARTMENTS
from grids.models import Region, Unit, UnitKind

WH, WD, NH = LimitUnit.WORKING_HOURS, LimitUnit.WORKING_DAYS, LimitUnit.NATURAL_HOURS


@pytest.fixture
def departments(district: dict[str, Region]) -> dict[str, Unit]:
    """The 13 district departments, with the codes the demo seed gives them."""
    return {
        department.code: Unit.objects.create(
            code=department.code,
            name=department.name,
            kind=UnitKind.DEPARTMENT,
            region=district["370203"],
        )
        for department in DEPARTMENTS
    }


@pytest.fixture
def seeded(db) -> None:
    catalogue_seed()


def exported() -> str:
    buffer = io.StringIO()
    catalogue_export_csv(buffer)
    return buffer.getvalue()


def catalogue_snapshot() -> list[tuple[object, ...]]:
    return list(
        FilingCondition.objects.order_by("item__code", "code").values_list(
            "item__domain__code",
            "item__domain__name",
            "item__code",
            "item__name",
            "item__family",
            "item__major_class",
            "item__minor_class",
            "item__default_unit_code",
            "item__default_unit__code",
            "item__legal_basis",
            "item__handling_standard",
            "item__duplicate_radius_m",
            "item__duplicate_window_hours",
            "code",
            "description",
            "closing_condition",
            "limit_value",
            "limit_unit",
            "order",
        )
    )


def seed_rows() -> list[dict[str, str]]:
    with SEED_FILE.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def as_csv(rows: list[dict[str, str]], columns: tuple[str, ...] = CSV_COLUMNS) -> io.StringIO:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    buffer.seek(0)
    return buffer


def catalogue_is_empty() -> bool:
    return not (
        Domain.objects.exists() or Item.objects.exists() or FilingCondition.objects.exists()
    )


# --- the seed --------------------------------------------------------------------------------


def test_seed_creates_12_domains_and_99_items(db):
    result = catalogue_seed()

    assert Domain.objects.count() == 12
    assert Item.objects.count() == 99
    assert result.domains.created == 12
    assert result.items.created == 99
    assert result.conditions.created == FilingCondition.objects.count()


def test_every_item_has_a_filing_condition_with_a_positive_limit(seeded):
    items_without = Item.objects.filter(conditions__isnull=True)
    assert not items_without.exists()
    for condition in FilingCondition.objects.all():
        assert condition.limit_value > 0
        assert condition.limit_unit in LimitUnit.values
        assert condition.description
        assert condition.closing_condition


def test_every_item_names_its_unit_legal_basis_and_handling_standard(seeded):
    department_codes = {department.code for department in DEPARTMENTS}
    for item in Item.objects.all():
        assert item.default_unit_code in department_codes, item
        assert item.legal_basis.startswith("《"), item
        assert item.handling_standard, item


def test_item_codes_are_unique_and_carry_family_and_national_classes(seeded):
    codes = list(Item.objects.values_list("code", flat=True))
    assert len(codes) == len(set(codes))
    for item in Item.objects.all():
        assert len(item.code) == 7
        assert item.code.startswith(
            FAMILY_CODE_LETTER[item.family] + item.major_class + item.minor_class
        )
        assert item.major_class in NATIONAL_MAJOR_CLASSES[item.family]
        assert len(item.minor_class) == 2
        assert item.minor_class.isdigit()


def test_both_families_and_every_national_major_class_are_covered(seeded):
    for family in Family.values:
        majors = set(Item.objects.filter(family=family).values_list("major_class", flat=True))
        if family == Family.EVENT:
            assert majors == set(NATIONAL_MAJOR_CLASSES[family])
        else:
            # 06 other facilities has no item in the district's list.
            assert majors >= {"01", "02", "03", "04", "05"}


@pytest.mark.parametrize(
    ("minor", "name"),
    [
        ("01", "违法建设"),
        ("02", "暴露垃圾"),
        ("03", "积存垃圾渣土"),
        ("04", "道路不洁"),
        ("05", "水域不洁"),
        ("06", "绿地脏乱"),
    ],
)
def test_city_appearance_events_use_the_national_minor_classes(seeded, minor, name):
    item = Item.objects.get(family=Family.EVENT, major_class="01", minor_class=minor)
    assert item.name == name
    assert item.code == f"S01{minor}01"


@pytest.mark.parametrize(
    ("item_name", "limits"),
    [
        ("暴露垃圾", {(Decimal(4), WH), (Decimal(1), WD)}),
        ("道路不洁", {(Decimal(2), WH), (Decimal(5), WH)}),
        ("积存垃圾渣土", {(Decimal(2), WD), (Decimal(4), WD)}),
        ("违法建设", {(Decimal(15), WD)}),
        ("绿地", {(Decimal(5), WD)}),
        ("上水井盖", {(Decimal(6), NH)}),
        ("污水井盖", {(Decimal(6), NH)}),
    ],
)
def test_seed_holds_the_local_limits_of_domain_section_3(seeded, item_name, limits):
    item = Item.objects.get(name=item_name)
    found = {(condition.limit_value, condition.limit_unit) for condition in item.conditions.all()}
    assert limits <= found


def test_manhole_cover_missing_is_due_in_6_natural_hours(seeded):
    condition = FilingCondition.objects.get(item__name="上水井盖", description__contains="缺失")
    assert (condition.limit_value, condition.limit_unit) == (Decimal(6), NH)


def test_seed_is_idempotent(db):
    catalogue_seed()
    before = catalogue_snapshot()

    again = catalogue_seed()

    assert again.created == 0
    assert again.updated == 0
    assert again.items.unchanged == 99
    assert again.urgency_factors_created == 0
    assert catalogue_snapshot() == before


def test_seed_restores_an_edited_item_from_the_reference_data(seeded):
    Item.objects.filter(code="S010201").update(name="垃圾")
    FilingCondition.objects.filter(item__code="S010201", code="01").update(limit_value=9)

    result = catalogue_seed()

    assert result.items.updated == 1
    assert result.conditions.updated == 1
    assert Item.objects.get(code="S010201").name == "暴露垃圾"


def test_seed_creates_default_urgency_factors_and_keeps_edited_ones(db):
    catalogue_seed()
    assert dict(UrgencyFactor.objects.values_list("urgency", "factor")) == {
        Urgency.NORMAL: 1.0,
        Urgency.URGENT: 0.5,
        Urgency.VERY_URGENT: 0.25,
    }
    UrgencyFactor.objects.filter(urgency=Urgency.URGENT).update(factor=0.6)

    catalogue_seed()

    assert UrgencyFactor.objects.get(urgency=Urgency.URGENT).factor == 0.6


def test_seed_before_the_units_exist_keeps_the_codes_and_links_them_later(district):
    first = catalogue_seed()
    assert not Item.objects.filter(default_unit__isnull=False).exists()
    assert "370203-D01" in first.missing_unit_codes

    for department in DEPARTMENTS:
        Unit.objects.create(
            code=department.code,
            name=department.name,
            kind=UnitKind.DEPARTMENT,
            region=district["370203"],
        )
    second = catalogue_seed()

    assert second.items.updated == 99  # each gained its unit link
    assert second.missing_unit_codes == []
    assert not Item.objects.filter(default_unit__isnull=True).exists()
    item = Item.objects.get(code="S010101")
    assert item.default_unit.name == "区城市管理局"


def test_link_units_links_only_the_items_whose_unit_exists(seeded, district):
    Unit.objects.create(
        code="370203-D07", name="区水务局", kind=UnitKind.DEPARTMENT, region=district["370203"]
    )

    linked = catalogue_link_units()

    water_items = Item.objects.filter(default_unit_code="370203-D07")
    assert linked == water_items.count()
    assert linked > 0
    assert not water_items.filter(default_unit__isnull=True).exists()
    assert not Item.objects.exclude(default_unit_code="370203-D07").filter(
        default_unit__isnull=False
    )


def test_seed_command_reports_what_it_did(db):
    out = io.StringIO()
    call_command("seed_catalogue", stdout=out)
    assert "domains 12 created" in out.getvalue()
    assert Item.objects.count() == 99


# --- export and import -----------------------------------------------------------------------


def test_the_seed_file_is_the_export_format(seeded, departments):
    catalogue_link_units()
    assert exported() == SEED_FILE.read_text(encoding="utf-8")


def test_export_then_import_into_an_empty_catalogue_round_trips(seeded, departments):
    catalogue_link_units()
    text = exported()
    before = catalogue_snapshot()
    FilingCondition.objects.all().delete()
    Item.objects.all().delete()
    Domain.objects.all().delete()

    result = catalogue_import_csv(io.StringIO(text))

    assert (result.domains.created, result.items.created) == (12, 99)
    assert result.conditions.created == len(before)
    assert catalogue_snapshot() == before
    assert exported() == text


def test_importing_the_export_again_changes_nothing(seeded, departments):
    catalogue_link_units()

    result = catalogue_import_csv(io.StringIO(exported()))

    assert (result.created, result.updated) == (0, 0)
    assert result.conditions.unchanged == FilingCondition.objects.count()


def test_import_updates_by_code_and_adds_new_conditions(seeded, departments):
    catalogue_link_units()
    rows = seed_rows()
    rows[0]["limit_value"] = "7.5"
    rows[0]["item_name"] = rows[1]["item_name"] = "灯箱霓虹灯（改）"
    new_condition = {**rows[1], "condition_code": "03", "condition_description": "新的立案条件"}

    result = catalogue_import_csv(as_csv([*rows, new_condition]))

    assert result.items.updated == 1
    assert result.conditions.updated == 1
    assert result.conditions.created == 1
    item = Item.objects.get(code=rows[0]["item_code"])
    assert item.name == "灯箱霓虹灯（改）"
    assert item.default_unit == departments[rows[0]["unit_code"]]
    assert item.conditions.get(code="01").limit_value == Decimal("7.5")
    assert item.conditions.get(code="03").order == 3


def test_import_dry_run_counts_but_writes_nothing(departments):
    result = catalogue_import_csv(SEED_FILE, dry_run=True)

    assert result.dry_run
    assert (result.domains.created, result.items.created) == (12, 99)
    assert catalogue_is_empty()


def test_import_accepts_a_file_saved_with_a_byte_order_mark(departments, tmp_path):
    path = tmp_path / "catalogue.csv"
    path.write_text(SEED_FILE.read_text(encoding="utf-8"), encoding="utf-8-sig")

    result = catalogue_import_csv(path)

    assert result.items.created == 99


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("family", "asset", "unknown family 'asset'"),
        ("unit_code", "370203-D99", "no unit with code '370203-D99'"),
        ("limit_unit", "days", "unknown limit unit 'days'"),
        ("limit_value", "abc", "not a number: 'abc'"),
        ("limit_value", "0", "must be greater than 0"),
        ("limit_value", "-4", "must be greater than 0"),
        ("limit_value", "1.234", "at most two decimal places"),
        ("limit_value", "1e30", "at most 9999.99"),
        ("limit_value", "NaN", "not a number"),
        ("duplicate_radius_m", "fifty", "not a whole number: 'fifty'"),
        ("duplicate_window_hours", "0", "must be greater than 0"),
        ("item_name", "", "missing value"),
        ("closing_condition", " ", "missing value"),
        ("major_class", "07", "no national major class '07'"),
        ("minor_class", "5", "two digits expected"),
        ("domain_code", "1", "two digits expected"),
        ("condition_code", "A1", "two digits expected"),
        ("item_code", "X0302", "is not B or S followed by six digits"),
    ],
)
def test_import_reports_a_bad_value_with_row_and_column_and_writes_nothing(
    departments, column, value, reason
):
    rows = seed_rows()
    # Row 4 of the file (the header is row 1); the good rows must not be written either.
    rows[2][column] = value

    with pytest.raises(CatalogueImportFailed) as failure:
        catalogue_import_csv(as_csv(rows))

    messages = [str(problem) for problem in failure.value.problems]
    assert any(
        message.startswith(f"row 4, column {column}: ") and reason in message
        for message in messages
    ), messages
    assert catalogue_is_empty()


def test_import_reports_a_duplicate_condition_code(departments):
    rows = seed_rows()
    rows.insert(2, dict(rows[0]))

    with pytest.raises(CatalogueImportFailed) as failure:
        catalogue_import_csv(as_csv(rows))

    assert [str(problem) for problem in failure.value.problems] == [
        f"row 4, column condition_code: condition 01 of item {rows[0]['item_code']} is already "
        "in row 2"
    ]
    assert catalogue_is_empty()


def test_import_reports_rows_of_one_item_that_disagree(departments):
    rows = seed_rows()
    rows[1]["legal_basis"] = "《另一部法规》"

    with pytest.raises(CatalogueImportFailed) as failure:
        catalogue_import_csv(as_csv(rows))

    assert str(failure.value.problems[0]).startswith("row 3, column legal_basis: item B030501 has")


def test_import_reports_an_item_code_that_does_not_match_its_classes(departments):
    rows = seed_rows()
    rows[0]["minor_class"] = rows[1]["minor_class"] = "09"

    with pytest.raises(CatalogueImportFailed) as failure:
        catalogue_import_csv(as_csv(rows))

    assert str(failure.value.problems[0]) == (
        "row 2, column item_code: B030501 does not match its family and classes (expected B0309NN)"
    )


def test_import_reports_every_problem_not_just_the_first(departments):
    rows = seed_rows()
    rows[0]["family"] = "thing"
    rows[10]["limit_value"] = "soon"

    with pytest.raises(CatalogueImportFailed) as failure:
        catalogue_import_csv(as_csv(rows))

    lines = [str(problem) for problem in failure.value.problems]
    assert "row 2, column family: unknown family 'thing' (use component or event)" in lines
    assert "row 12, column limit_value: not a number: 'soon'" in lines
    assert failure.value.summary.endswith("nothing imported")


def test_import_reports_missing_and_unknown_columns(departments):
    rows = [
        {**{key: value for key, value in row.items() if key != "limit_unit"}, "colour": "red"}
        for row in seed_rows()
    ]
    columns = (*[column for column in CSV_COLUMNS if column != "limit_unit"], "colour")

    with pytest.raises(CatalogueImportFailed) as failure:
        catalogue_import_csv(as_csv(rows, columns))

    assert [str(problem) for problem in failure.value.problems] == [
        "row 1, column limit_unit: missing column",
        "row 1, column colour: unknown column",
    ]


def test_a_failed_import_leaves_the_existing_catalogue_as_it_was(seeded, departments):
    catalogue_link_units()
    before = catalogue_snapshot()
    rows = seed_rows()
    rows[0]["item_name"] = rows[1]["item_name"] = "改名"
    rows[-1]["limit_unit"] = "fortnights"

    with pytest.raises(CatalogueImportFailed):
        catalogue_import_csv(as_csv(rows))

    assert catalogue_snapshot() == before


def test_import_of_a_file_that_is_not_utf8_is_an_error(db, tmp_path: Path):
    path = tmp_path / "gbk.csv"
    path.write_bytes(SEED_FILE.read_text(encoding="utf-8").encode("gbk"))

    with pytest.raises(CatalogueImportFailed) as failure:
        catalogue_import_csv(path)

    assert str(failure.value.problems[0]).startswith("not UTF-8 text")
    assert catalogue_is_empty()


def test_import_of_an_empty_file_is_an_error(db):
    with pytest.raises(CatalogueImportFailed) as failure:
        catalogue_import_csv(io.StringIO(""))
    assert str(failure.value.problems[0]) == "row 1: the file is empty (expected a header row)"


def test_export_and_import_commands_round_trip(seeded, departments, tmp_path: Path):
    catalogue_link_units()
    out_path = tmp_path / "catalogue.csv"
    out = io.StringIO()

    call_command("export_catalogue", str(out_path), stdout=out)
    call_command("import_catalogue", str(out_path), "--dry-run", stdout=out)
    call_command("import_catalogue", str(out_path), stdout=out)

    assert f"exported {FilingCondition.objects.count()} catalogue rows" in out.getvalue()
    assert "(dry run: nothing written)" in out.getvalue()
    assert "items 0 created, 0 updated, 99 unchanged" in out.getvalue()


def test_import_command_fails_with_the_error_lines(departments, tmp_path: Path):
    rows = seed_rows()
    rows[0]["unit_code"] = rows[1]["unit_code"] = "nowhere"
    path = tmp_path / "bad.csv"
    path.write_text(as_csv(rows).getvalue(), encoding="utf-8")
    err = io.StringIO()

    with pytest.raises(CommandError, match="1 error, nothing imported"):
        call_command("import_catalogue", str(path), stderr=err)

    assert f"{path}: row 2, column unit_code: no unit with code 'nowhere'" in err.getvalue()
    assert catalogue_is_empty()


def test_export_command_writes_utf8_to_stdout(seeded):
    out = io.StringIO()
    call_command("export_catalogue", "-", stdout=out, verbosity=0)
    header, first = out.getvalue().splitlines()[:2]
    assert header == ",".join(CSV_COLUMNS)
    assert "市容环境" in first


# --- urgency ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("urgency", "expected"),
    [
        (Urgency.NORMAL, Decimal("4.00")),
        (Urgency.URGENT, Decimal("2.00")),
        (Urgency.VERY_URGENT, Decimal("1.00")),
    ],
)
def test_urgency_shortens_the_limit_by_its_factor(seeded, urgency, expected):
    exposed_rubbish = FilingCondition.objects.get(item__code="S010201", code="01")

    assert effective_limit(exposed_rubbish, urgency) == (expected, WH)


def test_an_edited_urgency_factor_is_applied(seeded):
    UrgencyFactor.objects.filter(urgency=Urgency.URGENT).update(factor=0.8)
    illegal_construction = FilingCondition.objects.get(item__code="S010101", code="01")

    assert effective_limit(illegal_construction, Urgency.URGENT) == (Decimal("12.00"), WD)


def test_a_missing_urgency_factor_falls_back_to_the_default(seeded):
    UrgencyFactor.objects.all().delete()
    illegal_construction = FilingCondition.objects.get(item__code="S010101", code="01")

    assert effective_limit(illegal_construction, Urgency.VERY_URGENT) == (Decimal("3.75"), WD)


def test_an_unknown_urgency_is_an_error(seeded):
    condition = FilingCondition.objects.first()
    with pytest.raises(ValueError, match="unknown urgency"):
        effective_limit(condition, "whenever")


# --- database rules --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"code": "S010299"},  # classes 0101 in the code, 0102 in the columns
        {"code": "B010101"},  # component letter on an event
        {"code": "S0101011"},  # eight characters
        {"major_class": "07", "code": "S070101"},
        {"minor_class": "1"},
        {"duplicate_radius_m": 0},
    ],
)
def test_the_database_refuses_an_item_that_breaks_the_scheme(seeded, changes):
    with pytest.raises(IntegrityError), transaction.atomic():
        Item.objects.filter(code="S010101").update(**changes)


@pytest.mark.parametrize(
    "changes", [{"limit_value": 0}, {"limit_value": -1}, {"code": "1"}, {"code": "02"}]
)
def test_the_database_refuses_a_bad_filing_condition(seeded, changes):
    with pytest.raises(IntegrityError), transaction.atomic():
        FilingCondition.objects.filter(item__code="S010201", code="01").update(**changes)


@pytest.mark.parametrize("factor", [0, -0.5, 1.5])
def test_the_database_refuses_an_urgency_factor_outside_0_to_1(seeded, factor):
    with pytest.raises(IntegrityError), transaction.atomic():
        UrgencyFactor.objects.filter(urgency=Urgency.URGENT).update(factor=factor)


def test_item_clean_takes_the_unit_code_from_the_linked_unit(seeded, departments):
    item = Item.objects.get(code="S010201")
    item.default_unit = departments["370203-D05"]

    item.full_clean()

    assert item.default_unit_code == "370203-D05"


# --- admin -----------------------------------------------------------------------------------


def test_catalogue_models_are_in_the_admin():
    import cases.admin_catalogue  # noqa: F401 - registers on import

    for model in (Domain, Item, UrgencyFactor):
        assert model in admin.site._registry


def test_admin_pages_of_the_catalogue_render(seeded, departments, admin_client):
    import cases.admin_catalogue  # noqa: F401 - registers on import

    item = Item.objects.get(code="S010201")
    domain = item.domain
    for url in (
        "/admin/cases/domain/",
        f"/admin/cases/domain/{domain.pk}/change/",
        "/admin/cases/item/?family=event",
        f"/admin/cases/item/?domain__id__exact={domain.pk}",
        "/admin/cases/item/?q=暴露垃圾",
        f"/admin/cases/item/{item.pk}/change/",
        "/admin/cases/urgencyfactor/",
    ):
        response = admin_client.get(url)
        assert response.status_code == 200, url

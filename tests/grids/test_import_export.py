"""import_regions / export_regions: all-or-nothing imports with one line per problem.

Built on the `district` fixture: district 370203 is the box lon 120.30–120.34, lat 36.08–36.10,
street 370203001 its west half, community 370203001001 that street's north half, etc.
"""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.core.management import CommandError, call_command

from grids.geo import area_m2
from grids.models import LEVEL_ORDER, GridKind, Level, Region

EXPORT_PROPERTIES = {"code", "name", "level", "kind", "parent_code"}


def box_coords(x0: float, y0: float, x1: float, y1: float) -> list[list[list[float]]]:
    """A GeoJSON Polygon's coordinates for a lon/lat box (counter-clockwise, closed)."""
    return [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]


def feature(
    code: Any,
    parent_code: Any = None,
    *,
    name: str | None = "新区域",
    geometry: dict[str, Any] | None = None,
    box: tuple[float, float, float, float] | None = None,
    **properties: Any,
) -> dict[str, Any]:
    if geometry is None and box is not None:
        geometry = {"type": "Polygon", "coordinates": box_coords(*box)}
    props: dict[str, Any] = {"code": code, "name": name, **properties}
    if parent_code is not None:
        props["parent_code"] = parent_code
    return {"type": "Feature", "properties": props, "geometry": geometry}


# Boxes that fit inside the fixture's regions (and one new street's tree inside the district).
NEW_STREET_BOX = (120.305, 36.082, 120.335, 36.098)
NEW_COMMUNITY_BOX = (120.31, 36.085, 120.33, 36.095)
NEW_GRID_WEST_BOX = (120.31, 36.085, 120.32, 36.095)
NEW_GRID_EAST_BOX = (120.32, 36.085, 120.33, 36.095)
# Inside community 370203001001 (lon 120.30–120.32, lat 36.09–36.10).
IN_COMMUNITY_001001 = (120.301, 36.091, 120.309, 36.099)


def good_grid(sequence: int = 3) -> dict[str, Any]:
    """A new unit grid in community 370203001001 that passes every check."""
    return feature(
        f"370203001001{sequence:03d}", "370203001001", name="好网格", box=IN_COMMUNITY_001001
    )


def write_collection(path: Path, features: list[dict[str, Any]], **members: Any) -> Path:
    path.write_text(
        json.dumps({"type": "FeatureCollection", **members, "features": features}),
        encoding="utf-8",
    )
    return path


def run_import(path: Path, level: str, *extra: str) -> tuple[str, str]:
    stdout, stderr = StringIO(), StringIO()
    call_command(
        "import_regions", str(path), "--level", level, *extra, stdout=stdout, stderr=stderr
    )
    return stdout.getvalue(), stderr.getvalue()


def snapshot() -> set[tuple[str, str, str, str]]:
    """Every region's code, name, kind and geometry: compared before and after a failed import."""
    return {(r.code, r.name, r.kind, r.geom.wkt) for r in Region.objects.all()}


def assert_import_fails(path: Path, level: str, expected_lines: list[str], *extra: str) -> str:
    """Runs the import, expects CommandError, each expected line, and an unchanged database."""
    before = snapshot()
    stderr = StringIO()
    with pytest.raises(CommandError) as failure:
        call_command(
            "import_regions", str(path), "--level", level, *extra, stdout=StringIO(), stderr=stderr
        )
    lines = stderr.getvalue().splitlines()
    for expected in expected_lines:
        assert any(line.startswith(expected) for line in lines), (expected, lines)
    count = len(expected_lines)  # each test lists every line it expects
    assert str(failure.value) == f"{count} error{'' if count == 1 else 's'}, nothing imported"
    assert snapshot() == before
    return stderr.getvalue()


# --- successful imports ----------------------------------------------------------------------


def test_street_community_and_grids_import_under_the_district(district, tmp_path):
    streets = write_collection(
        tmp_path / "streets.geojson",
        [feature("370203003", "370203", name="新街道", box=NEW_STREET_BOX)],
    )
    communities = write_collection(
        tmp_path / "communities.geojson",
        [feature("370203003001", "370203003", name="新社区", box=NEW_COMMUNITY_BOX)],
    )
    grids = write_collection(
        tmp_path / "grids.geojson",
        [
            feature("370203003001001", "370203003001", name="一号网格", box=NEW_GRID_WEST_BOX),
            feature(
                "370203003001002",
                "370203003001",
                name="大型场所",
                kind="extended",
                geometry={"type": "MultiPolygon", "coordinates": [box_coords(*NEW_GRID_EAST_BOX)]},
            ),
        ],
    )

    assert run_import(streets, "street")[0].strip() == (
        "imported 1 regions (level street): 1 created, 0 updated"
    )
    assert run_import(communities, "community")[0].strip() == (
        "imported 1 regions (level community): 1 created, 0 updated"
    )
    assert run_import(grids, "grid")[0].strip() == (
        "imported 2 regions (level grid): 2 created, 0 updated"
    )

    street = Region.objects.get(code="370203003")
    assert (street.name, street.level, street.parent_id, street.kind) == (
        "新街道",
        Level.STREET,
        "370203",
        "",
    )
    unit_grid = Region.objects.get(code="370203003001001")
    extended_grid = Region.objects.get(code="370203003001002")
    assert unit_grid.parent_id == "370203003001"
    assert (unit_grid.kind, extended_grid.kind) == (GridKind.UNIT, GridKind.EXTENDED)
    # A Polygon in the file is stored as a MultiPolygon in EPSG:4326 with its area in m².
    assert isinstance(unit_grid.geom, MultiPolygon)
    assert unit_grid.geom.srid == 4326
    assert unit_grid.area_m2 == pytest.approx(area_m2(unit_grid.geom))
    assert 800_000 < unit_grid.area_m2 < 1_000_000  # 0.01° × 0.01° at 36°N ≈ 0.9 km²
    assert Region.objects.count() == 15 + 4


def test_update_changes_name_kind_and_geometry_in_place_and_creates_the_new(district, tmp_path):
    existing = district["370203001001001"]
    smaller = (120.30, 36.09, 120.305, 36.10)
    path = write_collection(
        tmp_path / "grids.geojson",
        [
            feature(
                "370203001001001", "370203001001", name="改名网格", kind="extended", box=smaller
            ),
            good_grid(3),
        ],
    )

    stdout, _ = run_import(path, "grid", "--update")

    assert stdout.strip() == "imported 2 regions (level grid): 1 created, 1 updated"
    updated = Region.objects.get(code="370203001001001")
    assert updated.pk == existing.pk
    assert (updated.name, updated.kind) == ("改名网格", GridKind.EXTENDED)
    assert updated.geom.equals(MultiPolygon(Polygon.from_bbox(smaller), srid=4326))
    assert updated.area_m2 == pytest.approx(area_m2(updated.geom))
    assert updated.area_m2 == pytest.approx(existing.area_m2 / 2, rel=1e-3)  # half the width
    assert Region.objects.filter(code="370203001001003").exists()


def test_the_reference_district_boundary_imports_into_an_empty_database(db):
    path = Path(__file__).resolve().parents[2] / "grids" / "data" / "district_370203.geojson"

    stdout, _ = run_import(path, "district")

    assert stdout.strip() == "imported 1 regions (level district): 1 created, 0 updated"
    shibei = Region.objects.get(code="370203")
    assert shibei.name == "市北区"
    assert 60e6 < shibei.area_m2 < 70e6  # Shibei is about 65 km²


@pytest.mark.parametrize(
    "crs_name",
    ["EPSG:4326", "urn:ogc:def:crs:EPSG::4326", "urn:ogc:def:crs:OGC:1.3:CRS84", "OGC:CRS84"],
)
def test_crs_member_naming_wgs84_is_accepted(district, tmp_path, crs_name):
    path = write_collection(
        tmp_path / "grids.geojson",
        [good_grid()],
        crs={"type": "name", "properties": {"name": crs_name}},
    )
    run_import(path, "grid")
    assert Region.objects.filter(code="370203001001003").exists()


def test_a_failed_update_changes_nothing(district, tmp_path):
    path = write_collection(
        tmp_path / "grids.geojson",
        [
            feature("370203001001001", "370203001001", name="改名", box=IN_COMMUNITY_001001),
            feature(
                "370203001001002", "370203001001", name="改名", box=(120.31, 36.0, 120.32, 36.1)
            ),
        ],
    )
    assert_import_fails(
        path,
        "grid",
        [f"{path}: feature 1 (code 370203001001002): outside its parent 370203001001"],
        "--update",
    )
    assert Region.objects.get(code="370203001001001").name == "grid-370203001001001"


@pytest.mark.parametrize(
    ("level", "code", "parent_code", "kind", "reason"),
    [
        ("grid", "370203001001003", "370203001001", "huge", "bad kind: 'huge'"),
        ("community", "370203001003", "370203001", "unit", "bad kind: only grids have a kind"),
    ],
    ids=["unknown-kind", "kind-on-a-community"],
)
def test_bad_kind_is_reported(district, tmp_path, level, code, parent_code, kind, reason):
    path = write_collection(
        tmp_path / "regions.geojson",
        [feature(code, parent_code, kind=kind, box=IN_COMMUNITY_001001)],
    )
    assert_import_fails(path, level, [f"{path}: feature 0 (code {code}): {reason}"])


def test_a_feature_of_another_level_is_reported(district, tmp_path):
    # An export of all levels fed to a one-level import: the level property gives it away.
    path = write_collection(
        tmp_path / "grids.geojson",
        [
            good_grid(3),
            feature("370203001001004", "370203001001", level="community", box=IN_COMMUNITY_001001),
        ],
    )
    assert_import_fails(
        path,
        "grid",
        [f"{path}: feature 1 (code 370203001001004): wrong level: the feature says 'community'"],
    )


# --- every problem is one line, and nothing is written ---------------------------------------


def test_invalid_geometry_is_reported_and_nothing_is_written(district, tmp_path):
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [
                [120.301, 36.091],
                [120.309, 36.099],
                [120.309, 36.091],
                [120.301, 36.099],
                [120.301, 36.091],
            ]
        ],
    }
    path = write_collection(
        tmp_path / "grids.geojson",
        [good_grid(3), feature("370203001001004", "370203001001", geometry=bowtie)],
    )
    assert_import_fails(
        path,
        "grid",
        [
            f"{path}: feature 1 (code 370203001001004): invalid geometry: "
            "Self-intersection at or near point 120.305 36.095"
        ],
    )


@pytest.mark.parametrize(
    ("geometry", "reason"),
    [
        (
            {"type": "Point", "coordinates": [120.305, 36.095]},
            "invalid geometry: expected Polygon or MultiPolygon, got Point",
        ),
        (
            {"type": "LineString", "coordinates": [[120.301, 36.091], [120.309, 36.099]]},
            "invalid geometry: expected Polygon or MultiPolygon, got LineString",
        ),
        ({"type": "Polygon", "coordinates": []}, "invalid geometry: empty geometry"),
        ({"type": "MultiPolygon", "coordinates": []}, "invalid geometry: empty geometry"),
        (None, "invalid geometry: the feature has no geometry"),
        (
            {
                "type": "Polygon",
                "coordinates": [
                    [[120.301, 36.091], [120.309, 36.091], [120.309, 36.099], [120.301, 36.099]]
                ],
            },
            "invalid geometry: the exterior ring is not closed",
        ),
    ],
    ids=["point", "linestring", "empty-polygon", "empty-multipolygon", "null", "unclosed-ring"],
)
def test_geometry_that_is_not_a_polygon_or_is_empty_is_invalid(
    district, tmp_path, geometry, reason
):
    path = write_collection(
        tmp_path / "grids.geojson",
        [good_grid(3), feature("370203001001004", "370203001001", geometry=geometry)],
    )
    assert_import_fails(path, "grid", [f"{path}: feature 1 (code 370203001001004): {reason}"])


def test_crs_member_naming_another_crs_is_a_wrong_crs(district, tmp_path):
    path = write_collection(
        tmp_path / "grids.geojson",
        [good_grid()],
        crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}},
    )
    assert_import_fails(
        path,
        "grid",
        [f"{path}: wrong CRS: the crs member names urn:ogc:def:crs:EPSG::3857"],
    )


def test_crs_member_on_a_feature_naming_another_crs_is_a_wrong_crs(district, tmp_path):
    other = good_grid(4)
    other["crs"] = {"type": "name", "properties": {"name": "EPSG:4490"}}
    path = write_collection(tmp_path / "grids.geojson", [good_grid(3), other])
    assert_import_fails(
        path,
        "grid",
        [f"{path}: feature 1 (code 370203001001004): wrong CRS: the crs member names EPSG:4490"],
    )


def test_projected_coordinates_are_reported_as_a_wrong_crs(district, tmp_path):
    # The same box in Web Mercator metres, exported without a crs member.
    metres = (13391500.0, 4312300.0, 13392400.0, 4313400.0)
    path = write_collection(
        tmp_path / "grids.geojson",
        [good_grid(3), feature("370203001001004", "370203001001", box=metres)],
    )
    assert_import_fails(
        path,
        "grid",
        [
            f"{path}: feature 1 (code 370203001001004): wrong CRS: coordinate "
            "(13391500.0, 4312300.0) is not longitude/latitude in degrees"
        ],
    )


def test_unknown_parent_is_reported(district, tmp_path):
    path = write_collection(
        tmp_path / "grids.geojson",
        [good_grid(3), feature("370203001009001", "370203001009", box=IN_COMMUNITY_001001)],
    )
    assert_import_fails(
        path,
        "grid",
        [
            f"{path}: feature 1 (code 370203001009001): unknown parent: "
            "no community with code 370203001009 in the database"
        ],
    )


def test_parent_at_the_wrong_level_is_an_unknown_parent(district, tmp_path):
    # A community hung directly under the district: the code's prefix agrees, the level doesn't.
    path = write_collection(
        tmp_path / "communities.geojson",
        [
            feature("370203001003", "370203001", box=IN_COMMUNITY_001001),
            feature("370203001004", "370203", box=IN_COMMUNITY_001001),
        ],
    )
    assert_import_fails(
        path,
        "community",
        [
            f"{path}: feature 1 (code 370203001004): unknown parent: 370203 is a district; "
            "a community's parent must be a street"
        ],
    )


def test_missing_parent_code_is_an_unknown_parent(district, tmp_path):
    path = write_collection(
        tmp_path / "grids.geojson",
        [good_grid(3), feature("370203001001004", None, box=IN_COMMUNITY_001001)],
    )
    assert_import_fails(
        path,
        "grid",
        [f"{path}: feature 1 (code 370203001001004): unknown parent: parent_code is missing"],
    )


def test_code_twice_in_the_file_is_a_duplicate(district, tmp_path):
    path = write_collection(tmp_path / "grids.geojson", [good_grid(3), good_grid(4), good_grid(3)])
    assert_import_fails(
        path,
        "grid",
        [f"{path}: feature 2 (code 370203001001003): duplicate code: feature 0 has the same code"],
    )


def test_code_already_in_the_database_is_a_duplicate_without_update(district, tmp_path):
    path = write_collection(
        tmp_path / "grids.geojson",
        [
            good_grid(3),
            feature("370203001001001", "370203001001", name="改名", box=IN_COMMUNITY_001001),
        ],
    )
    assert_import_fails(
        path,
        "grid",
        [
            f"{path}: feature 1 (code 370203001001001): duplicate code: already in the database "
            "(use --update"
        ],
    )


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("370203001001A03", "bad code format: '370203001001A03' is not all digits"),
        ("3702030010010003", "bad code format: a grid code has 15 digits, this one has 16"),
        ("37020300100103", "bad code format: a grid code has 15 digits, this one has 14"),
        ("370203002001003", "bad code format: does not start with its parent's code 370203001001"),
    ],
    ids=["letters", "too-long", "too-short", "wrong-prefix"],
)
def test_bad_code_format_is_reported(district, tmp_path, code, reason):
    path = write_collection(
        tmp_path / "grids.geojson",
        [good_grid(3), feature(code, "370203001001", box=IN_COMMUNITY_001001)],
    )
    assert_import_fails(path, "grid", [f"{path}: feature 1 (code {code}): {reason}"])


def test_missing_code_is_a_bad_code_format(district, tmp_path):
    path = write_collection(
        tmp_path / "grids.geojson",
        [good_grid(3), feature(None, "370203001001", box=IN_COMMUNITY_001001)],
    )
    assert_import_fails(
        path,
        "grid",
        [f"{path}: feature 1 (no code): bad code format: the code property is missing"],
    )


def test_region_outside_its_parent_is_reported(district, tmp_path):
    # Community 370203001001 covers lat 36.09–36.10; this grid pokes 0.005° (≈ 550 m) south.
    path = write_collection(
        tmp_path / "grids.geojson",
        [
            good_grid(3),
            feature("370203001001004", "370203001001", box=(120.301, 36.085, 120.309, 36.099)),
        ],
    )
    assert_import_fails(
        path,
        "grid",
        [
            f"{path}: feature 1 (code 370203001001004): outside its parent 370203001001: "
            # (0.008° × 0.005° ≈ 720 m × 555 m, less the 1 m tolerance strip)
        ],
    )


def test_region_within_the_tolerance_of_its_parent_is_accepted(district, tmp_path):
    # 0.000005° ≈ 0.45 m beyond the community's west edge: digitising noise, not an error.
    path = write_collection(
        tmp_path / "grids.geojson",
        [feature("370203001001003", "370203001001", box=(120.299995, 36.091, 120.309, 36.099))],
    )
    run_import(path, "grid")
    assert Region.objects.filter(code="370203001001003").exists()


def test_region_on_a_long_straight_parent_edge_is_inside(db, tmp_path):
    # Containment is judged in lon/lat, where the edges are straight: projected to metres,
    # this district's 45 km southern edge bows ~30 m away from the small street's edge.
    big = (120.0, 36.0, 120.5, 36.5)
    district_file = write_collection(tmp_path / "d.geojson", [feature("370203", box=big)])
    street_file = write_collection(
        tmp_path / "s.geojson", [feature("370203001", "370203", box=(120.0, 36.0, 120.01, 36.01))]
    )
    run_import(district_file, "district")
    run_import(street_file, "street")
    assert Region.objects.filter(code="370203001").exists()


def test_every_problem_is_listed_not_just_the_first(district, tmp_path):
    path = write_collection(
        tmp_path / "grids.geojson",
        [
            feature("370203001001003", "370203001009", box=IN_COMMUNITY_001001),
            good_grid(4),
            feature("37020300100100X", "370203001001", box=IN_COMMUNITY_001001),
            feature("370203001001005", "370203001001", geometry=None),
        ],
    )
    assert_import_fails(
        path,
        "grid",
        [
            f"{path}: feature 0 (code 370203001001003): unknown parent",
            f"{path}: feature 0 (code 370203001001003): bad code format: does not start",
            f"{path}: feature 2 (code 37020300100100X): bad code format",
            f"{path}: feature 3 (code 370203001001005): invalid geometry",
        ],
    )


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json", "not JSON: Expecting property name enclosed in double quotes"),
        (
            '{"type": "Feature", "properties": {}, "geometry": null}',
            "not a GeoJSON FeatureCollection (type is 'Feature')",
        ),
        ("[1, 2, 3]", "not a GeoJSON FeatureCollection (type is 'list')"),
        (
            '{"type": "FeatureCollection", "features": {}}',
            "not a GeoJSON FeatureCollection: 'features' is not a list",
        ),
    ],
    ids=["not-json", "a-feature", "a-list", "features-not-a-list"],
)
def test_a_file_that_is_not_a_feature_collection_is_one_line(district, tmp_path, content, reason):
    path = tmp_path / "regions.geojson"
    path.write_text(content, encoding="utf-8")
    assert_import_fails(path, "grid", [f"{path}: {reason}"])


def test_a_missing_file_is_one_line(district, tmp_path):
    path = tmp_path / "nowhere.geojson"
    assert_import_fails(path, "grid", [f"{path}: no such file"])


# --- export ----------------------------------------------------------------------------------


def test_export_writes_exactly_the_contract_properties_for_every_level(district, tmp_path):
    expected_counts = {Level.DISTRICT: 1, Level.STREET: 2, Level.COMMUNITY: 4, Level.GRID: 8}
    for level, count in expected_counts.items():
        out = tmp_path / f"{level}.geojson"
        call_command("export_regions", "--level", level, str(out), stdout=StringIO())

        collection = json.loads(out.read_text(encoding="utf-8"))
        assert collection["type"] == "FeatureCollection"
        features = collection["features"]
        assert len(features) == count
        codes = [f["properties"]["code"] for f in features]
        assert codes == sorted(codes)
        for exported in features:
            properties = exported["properties"]
            assert set(properties) == EXPORT_PROPERTIES
            region = district[properties["code"]]
            assert properties["name"] == region.name
            assert properties["level"] == level
            assert properties["kind"] == (GridKind.UNIT if level == Level.GRID else None)
            assert properties["parent_code"] == (region.parent_id if region.parent_id else None)
            assert exported["geometry"]["type"] == "MultiPolygon"
            lon, lat = exported["geometry"]["coordinates"][0][0][0]
            assert 120.29 < lon < 120.35
            assert 36.07 < lat < 36.11
    district_feature = json.loads((tmp_path / "district.geojson").read_text(encoding="utf-8"))
    assert district_feature["features"][0]["properties"]["parent_code"] is None


def test_export_to_dash_writes_utf8_json_to_stdout(district):
    stdout = StringIO()
    call_command("export_regions", "--level", "district", "-", stdout=stdout, stderr=StringIO())
    text = stdout.getvalue()
    assert "市北区" in text  # ensure_ascii=False: names are readable, not \\u escapes
    assert json.loads(text)["features"][0]["properties"]["code"] == "370203"


# --- round trip ------------------------------------------------------------------------------


def test_export_delete_import_round_trip_restores_codes_and_geometry(district, tmp_path):
    before = {r.code: (r.name, r.level, r.kind, r.parent_id, r.geom) for r in Region.objects.all()}
    files = {}
    for level in LEVEL_ORDER:
        files[level] = tmp_path / f"{level}.geojson"
        call_command("export_regions", "--level", level, str(files[level]), stdout=StringIO())

    for level in reversed(LEVEL_ORDER):  # children first: parent links are PROTECT
        Region.objects.filter(level=level).delete()
    assert not Region.objects.exists()
    for level in LEVEL_ORDER:
        run_import(files[level], level)

    after = {r.code: (r.name, r.level, r.kind, r.parent_id, r.geom) for r in Region.objects.all()}
    assert set(after) == set(before)
    for code, (name, level, kind, parent_code, geom) in before.items():
        assert after[code][:4] == (name, level, kind, parent_code)
        assert after[code][4].equals_exact(geom, tolerance=1e-9), code

"""Importing datasets into layers: GDAL reads GeoJSON, CSV, zipped Shapefiles and GeoPackages
(the Shapefiles and GeoPackages made here by ogr2ogr); every row is checked first, and a file
with one bad row writes nothing and says which row and why."""

from __future__ import annotations

import io
import math
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from grids.gcj02 import wgs84_to_gcj02
from grids.models import Unit, UnitKind
from layers.importer import ImportOptions, LayerFileError, layer_import
from layers.models import Feature, FeatureCluster, Layer, LayerImport
from tests.layers.conftest import geopackage, point_features, shapefile_zip, write_geojson

pytestmark = pytest.mark.django_db

# Inside the box district of tests/conftest.py (lon 120.30–120.34, lat 36.08–36.10).
POINTS = [(120.301 + 0.002 * n, 36.081 + 0.001 * n) for n in range(10)]


def options(code: str = "hydrants", **overrides: object) -> ImportOptions:
    values: dict[str, object] = {"code": code, "name": "消火栓", "category": "municipal"}
    values.update(overrides)
    return ImportOptions(**values)  # type: ignore[arg-type]


def coords(layer_code: str) -> dict[str, tuple[float, float]]:
    return {
        key: (geom.x, geom.y)
        for key, geom in Feature.objects.filter(layer__code=layer_code).values_list("key", "geom")
    }


def test_it_imports_a_shapefile_made_by_gdal_reprojected_from_cgcs2000_gauss_kruger(
    tmp_path, categories
):
    source = write_geojson(tmp_path / "h.geojson", point_features(POINTS))
    # CGCS2000 / 3-degree Gauss-Kruger CM 120E: how a surveying office hands data over.
    archive = shapefile_zip(tmp_path, source, "hydrants", t_srs="EPSG:4549")

    report = layer_import(path=archive, options=options(key_field="id"), commit=True)

    assert report.committed
    assert report.problems == []
    assert report.file_format == "Shapefile"
    assert (report.total, report.added) == (10, 10)
    layer = Layer.objects.get(code="hydrants")
    assert (layer.source, layer.geometry_type, layer.feature_count) == ("dataset", "point", 10)
    assert layer.category.code == "municipal"
    stored = coords("hydrants")
    for n, (lon, lat) in enumerate(POINTS, start=1):
        x, y = stored[f"P{n}"]
        # Back from metres to degrees within a millimetre or so.
        assert math.isclose(x, lon, abs_tol=1e-8)
        assert math.isclose(y, lat, abs_tol=1e-8)
    feature = Feature.objects.get(layer=layer, key="P3")
    assert feature.name == "消火栓3"  # the .cpg says UTF-8
    assert feature.properties["pressure"] == pytest.approx(0.33)
    assert feature.geom.srid == 4326


def test_it_imports_a_geopackage_layer_by_name(tmp_path, categories):
    source = write_geojson(tmp_path / "h.geojson", point_features(POINTS[:4]))
    package = geopackage(tmp_path, source, "city", layer="fire_hydrants")

    report = layer_import(
        path=package, options=options("gpkg-hydrants", layer_name="fire_hydrants"), commit=True
    )

    assert report.committed
    assert report.file_format == "GeoPackage"
    assert report.source_layer == "fire_hydrants"
    assert sorted(coords("gpkg-hydrants")) == ["P1", "P2", "P3", "P4"]  # the id column is the key
    assert Feature.objects.get(layer__code="gpkg-hydrants", key="P2").name == "消火栓2"


def test_a_geopackage_with_several_layers_must_say_which(tmp_path, categories):
    source = write_geojson(tmp_path / "h.geojson", point_features(POINTS[:2]))
    package = geopackage(tmp_path, source, "city", layer="a")
    ogr2ogr_append = tmp_path / "b.geojson"
    write_geojson(ogr2ogr_append, point_features(POINTS[2:4]))
    from tests.layers.conftest import ogr2ogr

    ogr2ogr("-f", "GPKG", "-update", "-nln", "b", str(package), str(ogr2ogr_append))

    with pytest.raises(LayerFileError, match="several layers"):
        layer_import(path=package, options=options(), commit=True)
    assert not Layer.objects.filter(code="hydrants").exists()


def test_polygons_and_lines_from_geojson_keep_their_shapes(tmp_path, categories):
    features = [
        {
            "type": "Feature",
            "properties": {"name": "绿地一"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [[120.31, 36.09], [120.312, 36.09], [120.312, 36.092], [120.31, 36.09]]
                ],
            },
        },
        {
            "type": "Feature",
            "properties": {"name": "管线"},
            "geometry": {"type": "LineString", "coordinates": [[120.31, 36.09], [120.33, 36.095]]},
        },
    ]
    path = write_geojson(tmp_path / "mixed.geojson", features)

    report = layer_import(path=path, options=options("mixed"), commit=True)

    assert report.geometry_type == "mixed"
    kinds = sorted(g.geom_type for g in Feature.objects.values_list("geom", flat=True))
    assert kinds == ["LineString", "Polygon"]
    # No id column: rows are keyed by their position in the file.
    assert sorted(Feature.objects.values_list("key", flat=True)) == ["1", "2"]


def test_a_csv_with_longitude_and_latitude_columns_becomes_points(tmp_path, categories):
    path = tmp_path / "shelters.csv"
    path.write_text(
        "编码,名称,经度,纬度,容量\nS1,一号避难场所,120.305,36.085,300\nS2,二号,120.315,36.095,80\n",
        encoding="utf-8",
    )

    report = layer_import(path=path, options=options("shelters"), commit=True)

    assert report.committed
    assert report.file_format == "CSV"
    feature = Feature.objects.get(layer__code="shelters", key="S1")
    assert (feature.geom.x, feature.geom.y) == (120.305, 36.085)
    assert feature.name == "一号避难场所"
    assert feature.properties == {"编码": "S1", "名称": "一号避难场所", "容量": "300"}


def test_gcj02_coordinates_are_moved_to_wgs84_when_flagged(tmp_path, categories):
    wgs = (120.3123, 36.0912)
    gcj = wgs84_to_gcj02(*wgs)
    path = write_geojson(tmp_path / "gcj.geojson", point_features([gcj]))

    layer_import(path=path, options=options("from-amap", gcj02=True), commit=True)

    x, y = coords("from-amap")["P1"]
    assert math.isclose(x, wgs[0], abs_tol=1e-9)
    assert math.isclose(y, wgs[1], abs_tol=1e-9)


def test_a_bad_file_changes_nothing_and_names_each_bad_row_and_why(tmp_path, categories):
    good = write_geojson(tmp_path / "good.geojson", point_features(POINTS[:3]))
    layer_import(path=good, options=options(key_field="id"), commit=True)
    before = sorted(Feature.objects.values_list("key", "content_hash", "updated_at"))
    features = point_features(POINTS[:5])
    features[1]["geometry"] = None  # feature 2: no geometry
    features[2]["geometry"]["coordinates"] = [520000.0, 4000000.0]  # feature 3: metres, no CRS
    features[3]["properties"]["id"] = "P1"  # feature 4: the key again
    features.append(
        {
            "type": "Feature",
            "properties": {"id": "BOW", "name": "bow tie"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [
                        [120.31, 36.09],
                        [120.32, 36.091],
                        [120.32, 36.09],
                        [120.31, 36.091],
                        [120.31, 36.09],
                    ]
                ],
            },
        }
    )  # feature 6: a self-intersecting polygon
    bad = write_geojson(tmp_path / "bad.geojson", features)

    report = layer_import(path=bad, options=options(key_field="id"), commit=True)

    assert not report.committed
    lines = [str(problem) for problem in report.problems]
    assert lines[0] == "feature 2: the feature has no geometry"
    assert lines[1].startswith("feature 3: the point (520000, 4e+06) is not a longitude/latitude")
    assert lines[2].startswith("feature 6: the geometry is invalid: Self-intersection")
    assert lines[3] == "feature 4: the key P1 is also on feature 1"
    assert len(lines) == 4
    assert sorted(Feature.objects.values_list("key", "content_hash", "updated_at")) == before
    assert LayerImport.objects.count() == 1  # only the good import


def test_a_bad_csv_names_lines_as_a_spreadsheet_does(tmp_path, categories):
    path = tmp_path / "bad.csv"
    path.write_text("id,name,lon,lat\nA,甲,120.31,36.09\nB,乙,东经,36.09\n", encoding="utf-8")

    report = layer_import(path=path, options=options("csv"), commit=True)

    assert [str(p) for p in report.problems] == ["line 3: lon and lat must be numbers"]
    assert not Layer.objects.filter(code="csv").exists()


def test_a_csv_with_a_wkt_column_takes_polygons_and_refuses_curves(tmp_path, categories):
    path = tmp_path / "wkt.csv"
    path.write_text(
        "name,wkt\n"
        '"绿地","POLYGON((120.31 36.09,120.312 36.09,120.312 36.092,120.31 36.09))"\n'
        '"弧","CIRCULARSTRING(120.31 36.09,120.32 36.095,120.33 36.09)"\n'
        '"乱码","POLYGON((1 2,3)"\n',
        encoding="utf-8",
    )
    report = layer_import(path=path, options=options("wkt"), commit=True)
    assert [str(p) for p in report.problems] == [
        "line 3: CIRCULARSTRING geometries are not supported (points, lines and polygons are)",
        "line 4: wkt is not WKT",
    ]
    path.write_text(
        'name,wkt\n"绿地","POLYGON((120.31 36.09,120.312 36.09,120.312 36.092,120.31 36.09))"\n',
        encoding="utf-8",
    )
    report = layer_import(path=path, options=options("wkt"), commit=True)
    assert report.committed
    assert Feature.objects.get(layer__code="wkt").geom.geom_type == "Polygon"


def test_importing_again_updates_only_the_rows_that_changed(tmp_path, categories):
    first = write_geojson(tmp_path / "v1.geojson", point_features(POINTS[:4]))
    long_ago = timezone.now() - timedelta(days=500)
    layer_import(path=first, options=options(key_field="id"), commit=True, now=long_ago)
    features = point_features(POINTS[:4])
    features[0]["properties"]["pressure"] = 0.9  # P1 changed
    del features[3]  # P4 gone
    features += point_features([(120.333, 36.099)], kind="new")[:1]  # a P1 again? renamed below
    features[-1]["properties"]["id"] = "P9"
    second = write_geojson(tmp_path / "v2.geojson", features)

    report = layer_import(path=second, options=options(key_field="id"), commit=True)

    assert (report.added, report.changed, report.unchanged, report.removed) == (1, 1, 2, 1)
    rows = dict(Feature.objects.values_list("key", "updated_at"))
    assert sorted(rows) == ["P1", "P2", "P3", "P9"]
    assert rows["P2"] == long_ago
    assert rows["P3"] == long_ago  # unchanged rows keep their date
    assert rows["P1"] > long_ago
    layer = Layer.objects.get(code="hydrants")
    assert (layer.feature_count, layer.recent_feature_count) == (4, 2)
    assert LayerImport.objects.filter(layer=layer).count() == 2


def test_a_dense_dataset_is_counted_into_clusters_for_low_zooms(tmp_path, categories):
    step = 0.0004
    grid = [
        (120.3 + step * i, 36.08 + step * j) for i in range(50) for j in range(40)
    ]  # 2,000 points, ~40 m apart
    path = write_geojson(tmp_path / "dense.geojson", point_features(grid))

    layer_import(path=path, options=options("dense"), commit=True)

    layer = Layer.objects.get(code="dense")
    assert layer.cluster_max_zoom is not None
    assert 8 <= layer.cluster_max_zoom < 18
    for zoom in range(8, layer.cluster_max_zoom + 1):
        counts = FeatureCluster.objects.filter(layer=layer, zoom=zoom).values_list(
            "count", flat=True
        )
        assert sum(counts) == 2000  # every feature in exactly one cluster of each level
    assert not FeatureCluster.objects.filter(layer=layer, zoom=layer.cluster_max_zoom + 1).exists()


def test_options_are_checked_before_the_file_is_read(tmp_path, categories):
    path = write_geojson(tmp_path / "h.geojson", point_features(POINTS[:1]))
    with pytest.raises(LayerFileError, match="Unknown category nope"):
        layer_import(path=path, options=options(category="nope"), commit=True)
    with pytest.raises(LayerFileError, match="No agency"):
        layer_import(path=path, options=options(owner="D99"), commit=True)
    with pytest.raises(LayerFileError, match="letters, digits"):
        layer_import(path=path, options=options(code="bad code!"), commit=True)
    with pytest.raises(LayerFileError, match="not a GeoJSON"):
        layer_import(path=tmp_path / "x.txt", options=options(), commit=True)
    assert not Layer.objects.exists()


def test_a_table_layer_cannot_be_overwritten_by_an_import(tmp_path, categories):
    Layer.objects.create(
        code="assets",
        name="城市部件",
        category=categories["components"],
        geometry_type="point",
        source="table",
        table="assets",
    )
    path = write_geojson(tmp_path / "h.geojson", point_features(POINTS[:1]))
    with pytest.raises(LayerFileError, match="not an imported dataset"):
        layer_import(path=path, options=options("assets"), commit=True)


# --- the command ----------------------------------------------------------------------------


def test_the_command_prints_one_summary_line_and_names_the_owner(tmp_path, district, categories):
    Unit.objects.create(
        code="370203-D08", name="区应急管理局", kind=UnitKind.DEPARTMENT, region=district["370203"]
    )
    path = write_geojson(tmp_path / "h.geojson", point_features(POINTS[:5]))
    out = io.StringIO()

    call_command(
        "import_layer",
        str(path),
        "--code",
        "hydrants",
        "--name",
        "消火栓",
        "--category",
        "emergency",
        "--owner",
        "区应急管理局",
        "--key",
        "id",
        "--no-progress",
        stdout=out,
    )

    assert out.getvalue().splitlines() == [
        "hydrants: 5 features (5 added, 0 changed, 0 unchanged, 0 removed) from GeoJSON."
    ]
    layer = Layer.objects.get(code="hydrants")
    assert (layer.owner.code, layer.category.code) == ("370203-D08", "emergency")


def test_the_command_exits_non_zero_with_one_line_per_bad_row_writing_nothing(tmp_path, categories):
    features = point_features(POINTS[:3])
    features[0]["geometry"] = None
    features[2]["geometry"]["coordinates"] = [999.0, 36.0]
    path = write_geojson(tmp_path / "bad.geojson", features)
    err = io.StringIO()

    with pytest.raises(CommandError, match="2 bad rows; nothing was written"):
        call_command(
            "import_layer",
            str(path),
            "--code",
            "h",
            "--name",
            "消火栓",
            "--no-progress",
            stderr=err,
        )

    lines = err.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0] == f"{path}: feature 1: the feature has no geometry"
    assert lines[1].startswith(f"{path}: feature 3: the point (999, 36)")
    assert not Layer.objects.exists()
    assert not Feature.objects.exists()


def test_the_command_says_what_is_wrong_with_an_unreadable_file(tmp_path, categories):
    path = tmp_path / "broken.zip"
    path.write_bytes(b"not a zip")
    with pytest.raises(CommandError, match=r"broken\.zip is not a zip file"):
        call_command("import_layer", str(path), "--code", "x", "--name", "x", "--no-progress")
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_layer", str(tmp_path / "nope.geojson"), "--code", "x", "--name", "x")


def test_it_reads_a_shapefile_without_prj_when_told_its_srid(tmp_path: Path, categories):
    source = write_geojson(tmp_path / "h.geojson", point_features(POINTS[:2]))
    archive = shapefile_zip(tmp_path, source, "noprj", t_srs="EPSG:4549")
    stripped = tmp_path / "noprj-stripped.zip"
    import zipfile

    with zipfile.ZipFile(archive) as src, zipfile.ZipFile(stripped, "w") as out:
        for name in src.namelist():
            if not name.endswith(".prj"):
                out.writestr(name, src.read(name))

    report = layer_import(path=stripped, options=options("noprj"), commit=True)
    assert report.problems
    assert "not a longitude/latitude" in report.problems[0].reason

    report = layer_import(path=stripped, options=options("noprj", srid=4549), commit=True)
    assert report.committed
    x, y = coords("noprj")["P1"]
    assert math.isclose(x, POINTS[0][0], abs_tol=1e-8)
    assert math.isclose(y, POINTS[0][1], abs_tol=1e-8)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL (SQLite is one writer)"
)
def test_two_imports_into_one_new_layer_at_once_leave_one_consistent_layer(tmp_path):
    from layers.catalogue import layer_categories_seed
    from tests.helpers import race

    layer_categories_seed()
    first = write_geojson(tmp_path / "a.geojson", point_features(POINTS[:6]))
    second = write_geojson(tmp_path / "b.geojson", point_features(POINTS[:4]))

    reports, errors = race(
        lambda: layer_import(path=first, options=options(key_field="id"), commit=True),
        lambda: layer_import(path=second, options=options(key_field="id"), commit=True),
    )

    assert errors == [None, None]
    assert all(report.committed for report in reports)
    assert Layer.objects.filter(code="hydrants").count() == 1
    keys = sorted(Feature.objects.values_list("key", flat=True))
    # Whichever wrote last decides: its file, whole.
    assert keys in (sorted(f"P{n}" for n in range(1, 7)), sorted(f"P{n}" for n in range(1, 5)))
    layer = Layer.objects.get(code="hydrants")
    assert layer.feature_count == len(keys)
    assert LayerImport.objects.filter(layer=layer).count() == 2

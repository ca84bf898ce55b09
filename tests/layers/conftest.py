"""Files for the layer import, written by the test itself: GeoJSON and CSV by hand, Shapefiles
and GeoPackages by GDAL's ogr2ogr from them (so the files are what GIS tools make)."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from layers.catalogue import layer_categories_seed
from layers.models import LayerCategory

OGR2OGR = shutil.which("ogr2ogr")


def point_features(points: Iterable[tuple[float, float]], **extra: Any) -> list[dict[str, Any]]:
    return [
        {
            "type": "Feature",
            "properties": {"id": f"P{n}", "name": f"消火栓{n}", "pressure": 0.3 + n / 100, **extra},
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
        }
        for n, (lon, lat) in enumerate(points, start=1)
    ]


def write_geojson(path: Path, features: list[dict[str, Any]]) -> Path:
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
        encoding="utf-8",
    )
    return path


def ogr2ogr(*args: str) -> None:
    if OGR2OGR is None:  # pragma: no cover - gdal-bin is in APT_PACKAGES
        pytest.skip("ogr2ogr (gdal-bin) is not installed")
    subprocess.run([OGR2OGR, *args], check=True, capture_output=True)  # noqa: S603


def shapefile_zip(tmp: Path, source: Path, name: str, *, t_srs: str | None = None) -> Path:
    """source (GeoJSON) → a zipped Shapefile with .prj and UTF-8 .cpg, reprojected if asked."""
    folder = tmp / f"{name}-shp"
    folder.mkdir()
    args = [
        "-f",
        "ESRI Shapefile",
        "-lco",
        "ENCODING=UTF-8",
        str(folder / f"{name}.shp"),
        str(source),
    ]
    if t_srs:
        args = ["-t_srs", t_srs, *args]
    ogr2ogr(*args)
    archive = tmp / f"{name}.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for part in sorted(folder.iterdir()):
            out.write(part, part.name)
    return archive


def geopackage(tmp: Path, source: Path, name: str, *, layer: str = "hydrants") -> Path:
    path = tmp / f"{name}.gpkg"
    ogr2ogr("-f", "GPKG", "-nln", layer, str(path), str(source))
    return path


@pytest.fixture
def categories(db) -> dict[str, LayerCategory]:
    """The default categories (the migration seeds them; a browser test's flush removes them)."""
    return layer_categories_seed()


@pytest.fixture
def files(tmp_path: Path) -> Callable[..., Path]:
    def _make(name: str, features: list[dict[str, Any]]) -> Path:
        return write_geojson(tmp_path / f"{name}.geojson", features)

    return _make

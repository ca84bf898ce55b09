"""Benchmark the layer catalogue: 142 layers of a few thousand features, and one dense layer of
200,000 points served by box at district zoom.

    DATABASE_URL=... .venv/bin/python bench/layers.py [--layers 142] [--per-layer 3000]
        [--dense 200000] [-n 200] [--seed 1]

Needs seed_demo first (the district's outline decides where the features go). It writes,
once, `bench-*` layers and two `bench-*` users into the database it measures:

1. 142 layers (`bench-001` …), each a GeoJSON file of `per-layer` features (points, and every
   third layer small polygons) uniform over the district, imported through
   layers.importer.layer_import (GDAL, the checks, the write, the clusters): time per layer;
2. the catalogue, GET /api/v1/layers/ (all of it, limit 500) for a district leader and a
   street officer, through Django's test client (middleware, session, JSON);
3. the dense layer (`bench-dense`), `dense` points imported the same way (time), then
   GET /api/v1/layers/bench-dense/features/?bbox=…&zoom=… through the test client:
   the whole district at zoom 12 and 13 (clusters), random 2 × 1 km views at zoom 16
   (clusters) and 17–18 (features, the first page of 2,000);
4. for contrast, the same district box without the clusters: the first page of raw features.

Prints the load average before and after, and p50/p95/p99/max per measure.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402

from bench.locate import percentiles  # noqa: E402
from grids.models import Level, Post, Region, Role, User  # noqa: E402
from layers.importer import ImportOptions, layer_import  # noqa: E402
from layers.models import Layer  # noqa: E402

CATEGORIES = [
    "population", "legal_entities", "spatial", "economy", "components", "events", "video",
    "emergency", "municipal", "greenery", "sanitation", "transport", "governance",
]  # fmt: skip


def load() -> str:
    one, five, _fifteen = os.getloadavg()
    return f"load {one:.2f} / {five:.2f}"


def district_box() -> tuple[float, float, float, float]:
    district = Region.objects.get(level=Level.DISTRICT)
    return district.geom.extent


def write_layer(path: Path, n: int, polygons: bool, rng: random.Random, box: tuple) -> None:
    x0, y0, x1, y1 = box
    features = []
    for i in range(n):
        x, y = rng.uniform(x0, x1), rng.uniform(y0, y1)
        if polygons:
            d = 0.0002
            geometry = {
                "type": "Polygon",
                "coordinates": [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]],
            }
        else:
            geometry = {"type": "Point", "coordinates": [round(x, 7), round(y, 7)]}
        features.append(
            {
                "type": "Feature",
                "properties": {"id": f"F{i}", "name": f"要素{i}", "value": rng.randint(0, 1000)},
                "geometry": geometry,
            }
        )
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))


def users() -> tuple[User, User]:
    district = Region.objects.get(level=Level.DISTRICT)
    street = Region.objects.filter(level=Level.STREET).order_by("code").first()
    made = []
    for username, role, region in (
        ("bench-leader", Role.DISTRICT_LEADER, district),
        ("bench-street", Role.STREET_OFFICER, street),
    ):
        user, created = User.objects.get_or_create(username=username)
        if created:
            Post.objects.create(user=user, role=role, region=region)
        made.append(user)
    return made[0], made[1]


def timed_get(client: Client, url: str, n: int) -> list[float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--layers", type=int, default=142)
    parser.add_argument("--per-layer", type=int, default=3000)
    parser.add_argument("--dense", type=int, default=200_000)
    parser.add_argument("-n", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = ["*"]
    rng = random.Random(args.seed)
    box = district_box()
    print(f"{connection_name()} · district box {box} · {load()}")
    tmp = Path(tempfile.mkdtemp(prefix="bench-layers-"))

    # 1. 142 layers.
    existing = set(Layer.objects.filter(code__startswith="bench-0").values_list("code", flat=True))
    import_ms = []
    for number in range(1, args.layers + 1):
        code = f"bench-{number:03d}"
        if code in existing:
            continue
        path = tmp / f"{code}.geojson"
        write_layer(path, args.per_layer, polygons=number % 3 == 0, rng=rng, box=box)
        started = time.perf_counter()
        report = layer_import(
            path=path,
            options=ImportOptions(
                code=code,
                name=f"基准图层{number}",
                category=CATEGORIES[number % len(CATEGORIES)],
                key_field="id",
            ),
            commit=True,
        )
        import_ms.append((time.perf_counter() - started) * 1000)
        assert report.committed, report.problems[:3]
        path.unlink()
    if import_ms:
        total = sum(import_ms) / 1000
        print(f"imported {len(import_ms)} layers of {args.per_layer} in {total:.1f} s · {load()}")
        print(f"  per layer: {percentiles(import_ms)}")
    print(f"layers in the catalogue: {Layer.objects.count()}")

    # 2. The catalogue.
    leader, street = users()
    for label, user in (("leader", leader), ("street officer", street)):
        client = Client()
        client.force_login(user)
        url = "/api/v1/layers/?limit=500"
        count = len(client.get(url).json()["results"])
        samples = timed_get(client, url, args.n)
        print(f"catalogue, {label} ({count} layers): {percentiles(samples)} · {load()}")

    # 3. The dense layer.
    if not Layer.objects.filter(code="bench-dense").exists():
        path = tmp / "dense.geojson"
        write_layer(path, args.dense, polygons=False, rng=rng, box=box)
        started = time.perf_counter()
        report = layer_import(
            path=path,
            options=ImportOptions(
                code="bench-dense", name="密集点图层", category="municipal", key_field="id"
            ),
            commit=True,
        )
        seconds = time.perf_counter() - started
        assert report.committed
        print(f"dense layer: {args.dense} points imported in {seconds:.1f} s · {load()}")
        path.unlink()
    dense = Layer.objects.get(code="bench-dense")
    print(
        f"dense layer: {dense.feature_count} features, clustered up to zoom "
        f"{dense.cluster_max_zoom}"
    )
    client = Client()
    client.force_login(leader)
    base = "/api/v1/layers/bench-dense/features/"
    whole = ",".join(f"{v:.6f}" for v in box)
    for zoom in (12, 13):
        url = f"{base}?bbox={whole}&zoom={zoom}"
        body = client.get(url).json()
        samples = timed_get(client, url, args.n)
        print(
            f"district box at zoom {zoom}: {len(body['features'])} clusters, "
            f"{sum(f['properties']['count'] for f in body['features'])} features · "
            f"{percentiles(samples)} · {load()}"
        )
    for zoom, width in ((16, 0.022), (17, 0.022), (18, 0.011)):
        samples = []
        sizes = []
        for _ in range(args.n):
            x = rng.uniform(box[0], box[2] - width)
            y = rng.uniform(box[1], box[3] - width / 2)
            view = f"{x:.6f},{y:.6f},{x + width:.6f},{y + width / 2:.6f}"
            url = f"{base}?bbox={view}&zoom={zoom}&page_size=2000"
            started = time.perf_counter()
            response = client.get(url)
            samples.append((time.perf_counter() - started) * 1000)
            sizes.append(len(response.json()["features"]))
        kind = "clusters" if zoom <= (dense.cluster_max_zoom or 0) else "features"
        print(
            f"{width * 90:.1f}×{width * 45:.1f} km views at zoom {zoom} ({kind}, mean "
            f"{sum(sizes) / len(sizes):.0f} a view): {percentiles(samples)} · {load()}"
        )
    # 4. Without clusters: the first page of raw features over the whole district.
    url = f"{base}?bbox={whole}&page_size=2000"
    samples = timed_get(client, url, max(10, args.n // 10))
    print(f"district box without zoom (first page of 2,000 raw features): {percentiles(samples)}")
    print(f"done · {load()}")


def connection_name() -> str:
    from django.db import connection

    return f"{connection.vendor} {connection.settings_dict['NAME']}"


if __name__ == "__main__":
    main()

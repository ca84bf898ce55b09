"""Writing the catalogue: the built-in layers over our own tables, and the layers' counts.

`layers_register_builtin` is run by seed_demo (through grids.signals.demo_seeded) and may be
run again at any time: it creates the built-in layers that are missing and points existing
ones at their tables, but leaves what an administrator edits (names, style, visibility,
frequency) alone. `layers_refresh_stats` recounts rows, rows changed in the past year and the
last update of every layer; Celery beat runs it hourly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Max, Q
from django.utils import timezone

from grids.models import Unit
from layers.models import (
    Feature,
    Layer,
    LayerCategory,
    SourceKind,
    UpdateFrequency,
)
from layers.sources import TABLE_SOURCES

RECENT_DAYS = 365

# The data centre's 4 base and 9 thematic databases (as migration 0002 seeds them); data an
# administrator edits. layers_register_builtin puts back any that are missing.
DEFAULT_CATEGORIES: tuple[tuple[str, str, str, str, int], ...] = (
    ("population", "人口基础库", "Population", "base", 10),
    ("legal_entities", "法人基础库", "Legal entities", "base", 20),
    ("spatial", "空间地理基础库", "Spatial geography", "base", 30),
    ("economy", "宏观经济基础库", "Macro-economy", "base", 40),
    ("components", "城市部件专题库", "City components", "thematic", 110),
    ("events", "城市事件专题库", "City events", "thematic", 120),
    ("video", "视频监控专题库", "Video surveillance", "thematic", 130),
    ("emergency", "应急管理专题库", "Emergency management", "thematic", 140),
    ("municipal", "市政公用专题库", "Municipal utilities", "thematic", 150),
    ("greenery", "园林绿化专题库", "Parks and greenery", "thematic", 160),
    ("sanitation", "环境卫生专题库", "Environmental sanitation", "thematic", 170),
    ("transport", "交通出行专题库", "Transport", "thematic", 180),
    ("governance", "社会治理专题库", "Social governance", "thematic", 190),
)


def layer_categories_seed() -> dict[str, LayerCategory]:
    """Create the default categories that are missing (existing ones are left as edited)."""
    for code, name, name_en, kind, ordering in DEFAULT_CATEGORIES:
        LayerCategory.objects.get_or_create(
            code=code,
            defaults={"name": name, "name_en": name_en, "kind": kind, "ordering": ordering},
        )
    return {category.code: category for category in LayerCategory.objects.all()}


@dataclass(frozen=True)
class BuiltinLayer:
    code: str
    name: str
    name_en: str
    category: str
    table: str
    owner_code: str
    frequency: str
    min_zoom: int = 0
    style: dict[str, Any] = field(default_factory=dict)


# The owners are the reference district's departments (grids.demo.reference.DEPARTMENTS) where
# they exist; on another install the layer has no owner until an administrator names one.
BUILTIN_LAYERS: tuple[BuiltinLayer, ...] = (
    BuiltinLayer(
        "streets",
        "街道",
        "Streets",
        "spatial",
        "streets",
        "370203-D13",
        UpdateFrequency.YEARLY,
        style={"color": "#1d4ed8", "weight": 2, "fill": False},
    ),
    BuiltinLayer(
        "communities",
        "社区",
        "Communities",
        "spatial",
        "communities",
        "370203-D13",
        UpdateFrequency.YEARLY,
        min_zoom=11,
        style={"color": "#0891b2", "weight": 1.5, "fill": False, "dash": "4 3"},
    ),
    BuiltinLayer(
        "grids",
        "单元网格",
        "Grids",
        "governance",
        "grids",
        "370203-D01",
        UpdateFrequency.YEARLY,
        min_zoom=14,
        style={"color": "#64748b", "weight": 1, "fill": False},
    ),
    BuiltinLayer(
        "assets",
        "城市部件",
        "City components",
        "components",
        "assets",
        "370203-D01",
        UpdateFrequency.MONTHLY,
        min_zoom=12,
        style={"color": "#0f766e", "radius": 5},
    ),
    BuiltinLayer(
        "resources",
        "应急资源",
        "Emergency resources",
        "emergency",
        "resources",
        "370203-D08",
        UpdateFrequency.MONTHLY,
        style={"color": "#b45309", "radius": 6},
    ),
    BuiltinLayer(
        "cameras",
        "视频监控点",
        "Public cameras",
        "video",
        "cameras",
        "370203-D10",
        UpdateFrequency.MONTHLY,
        style={"color": "#be185d", "radius": 6},
    ),
    BuiltinLayer(
        "buildings",
        "建筑物",
        "Buildings",
        "population",
        "buildings",
        "370203-D02",
        UpdateFrequency.YEARLY,
        min_zoom=15,
        style={"color": "#92400e", "weight": 1, "fill": "#fde68a"},
    ),
    BuiltinLayer(
        "parcels",
        "地块",
        "Land parcels",
        "spatial",
        "parcels",
        "370203-D13",
        UpdateFrequency.YEARLY,
        min_zoom=13,
        style={"color": "#65a30d", "weight": 1, "fill": False},
    ),
)


def layers_register_builtin(*, now: datetime | None = None) -> list[Layer]:
    """Create (or re-point) the catalogue entries of our own tables; returns them."""
    now = now or timezone.now()
    categories = layer_categories_seed()
    owners = {
        unit.code: unit
        for unit in Unit.objects.filter(code__in=[spec.owner_code for spec in BUILTIN_LAYERS])
    }
    layers = []
    for spec in BUILTIN_LAYERS:
        source = TABLE_SOURCES.get(spec.table)
        category = categories.get(spec.category)
        if source is None or category is None:
            continue  # the table's app is not installed, or the categories were removed
        layer, created = Layer.objects.get_or_create(
            code=spec.code,
            defaults={
                "name": spec.name,
                "name_en": spec.name_en,
                "category": category,
                "owner": owners.get(spec.owner_code),
                "geometry_type": source.geometry_type,
                "source": SourceKind.TABLE,
                "table": spec.table,
                "update_frequency": spec.frequency,
                "min_zoom": spec.min_zoom,
                "style": spec.style,
                "last_updated_at": now,
            },
        )
        if not created and (layer.source, layer.table) != (SourceKind.TABLE, spec.table):
            continue  # the code was taken by an administrator's own layer: leave it be
        if not created:
            layer.geometry_type = source.geometry_type
            layer.last_updated_at = now  # the seed just rewrote the table
            if layer.owner is None:
                layer.owner = owners.get(spec.owner_code)
            layer.save(update_fields=["geometry_type", "last_updated_at", "owner", "updated_at"])
        layers.append(layer)
    layers_refresh_stats(layers=layers, now=now)
    return layers


def layers_refresh_stats(*, layers: list[Layer] | None = None, now: datetime | None = None) -> int:
    """Recount rows, rows changed in the past year, and (for tables that keep it) the last
    update of the given layers, or of every table and dataset layer. Returns how many."""
    now = now or timezone.now()
    since = now - timedelta(days=RECENT_DAYS)
    if layers is None:
        layers = list(Layer.objects.exclude(source=SourceKind.EXTERNAL))
    dataset_ids = [layer.pk for layer in layers if layer.source == SourceKind.DATASET]
    dataset_counts = {
        row["layer_id"]: row
        for row in Feature.objects.filter(layer_id__in=dataset_ids)
        .values("layer_id")
        .annotate(total=Count("id"), recent=Count("id", filter=Q(updated_at__gte=since)))
    }
    for layer in layers:
        if layer.source == SourceKind.DATASET:
            counts = dataset_counts.get(layer.pk, {"total": 0, "recent": 0})
            layer.feature_count, layer.recent_feature_count = counts["total"], counts["recent"]
        elif layer.source == SourceKind.TABLE:
            source = TABLE_SOURCES.get(layer.table)
            if source is None:
                continue
            rows = source.queryset()
            if source.updated_field:
                totals = rows.aggregate(
                    total=Count("pk"),
                    recent=Count("pk", filter=Q(**{f"{source.updated_field}__gte": since})),
                    last=Max(source.updated_field),
                )
                layer.feature_count, layer.recent_feature_count = totals["total"], totals["recent"]
                if totals["last"] is not None:
                    layer.last_updated_at = totals["last"]
            else:
                layer.feature_count = rows.count()
                layer.recent_feature_count = None
        layer.stats_at = now
        Layer.objects.filter(pk=layer.pk).update(
            feature_count=layer.feature_count,
            recent_feature_count=layer.recent_feature_count,
            last_updated_at=layer.last_updated_at,
            stats_at=now,
        )
    return len(layers)

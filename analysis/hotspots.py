"""The hot-spot pass: clusters of recent cases of one item (or one major class) at one place.

A hot spot is at least N cases within R metres of each other (DBSCAN: a chain of core points,
each with N cases within R), reported within the last T hours. N, R and T come from the item's
HotspotRule, or the class's, or AnalysisSettings. Cases rejected, marked duplicate or voided are
not problems and do not count; open and closed ones do (a problem cleared yesterday still tells
where the next one comes from).

Each run clusters afresh and matches the clusters to the hot spots it knows (same item or
class, sharing at least one case; the largest overlap wins): a match is updated, a cluster
without one is a new hot spot and raises an alarm, a known hot spot without a cluster is gone.
A hot spot gone less than its window ago that is found again is revived, not raised again, so a
cluster that hovers around N does not ring every run.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

import numpy as np
import shapely
from django.contrib.gis.geos import GEOSGeometry, Point, Polygon
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from analysis.alarms import AlarmInput, alarm_raise, covering_region
from analysis.clusters import POSTGIS_SQL, dbscan
from analysis.models import Alarm, AnalysisSettings, Hotspot, HotspotCase, HotspotRule
from cases.models import NATIONAL_MAJOR_CLASSES, Case, Item, Status
from grids.geo import AREA_SRID, PointCoordinate, to_degrees, to_metres

# Not problems: these never make a hot spot.
EXCLUDED_STATUSES = (Status.REJECTED, Status.DUPLICATE, Status.VOIDED)
# The hull is drawn this far around the cases, so even two cases make a visible area.
HULL_MARGIN_M = 10.0


@dataclass(frozen=True)
class Rule:
    part: str  # the partition: "item:<id>" or "class:<family>:<major>"
    scope: str
    item_id: int | None
    family: str
    major_class: str
    min_cases: int
    radius_m: int
    window_hours: int

    def since(self, now: datetime) -> datetime:
        return now - timedelta(hours=self.window_hours)


@dataclass(frozen=True)
class Cluster:
    rule: Rule
    case_ids: tuple[int, ...]


@dataclass
class HotspotResult:
    clusters: int = 0
    new: int = 0
    updated: int = 0
    revived: int = 0
    gone: int = 0
    alarms: int = 0
    method: str = ""

    def __str__(self) -> str:
        return (
            f"hot spots: {self.clusters} clusters ({self.method}), {self.new} new, "
            f"{self.updated} updated, {self.revived} revived, {self.gone} gone, "
            f"{self.alarms} alarms"
        )


def hotspot_rules(settings: AnalysisSettings) -> list[Rule]:
    """One rule per active item, and per major class when class hot spots are on."""
    overrides = {rule.item_id: rule for rule in HotspotRule.objects.filter(item__isnull=False)}
    class_overrides = {
        (rule.family, rule.major_class): rule
        for rule in HotspotRule.objects.filter(item__isnull=True)
    }
    rules: list[Rule] = []
    classes: set[tuple[str, str]] = set()
    for item_id, family, major in (
        Item.objects.filter(is_active=True)
        .order_by("pk")
        .values_list("pk", "family", "major_class")
    ):
        classes.add((family, major))
        rule = overrides.get(item_id)
        if rule is not None and not rule.is_active:
            continue
        rules.append(
            Rule(
                part=f"item:{item_id}",
                scope=Hotspot.Scope.ITEM,
                item_id=item_id,
                family=family,
                major_class=major,
                min_cases=rule.min_cases if rule else settings.hotspot_min_cases,
                radius_m=rule.radius_m if rule else settings.hotspot_radius_m,
                window_hours=rule.window_hours if rule else settings.hotspot_window_hours,
            )
        )
    if settings.class_hotspots:
        for family, major in sorted(classes):
            rule = class_overrides.get((family, major))
            if rule is not None and not rule.is_active:
                continue
            rules.append(
                Rule(
                    part=f"class:{family}:{major}",
                    scope=Hotspot.Scope.CLASS,
                    item_id=None,
                    family=family,
                    major_class=major,
                    min_cases=rule.min_cases if rule else settings.class_min_cases,
                    radius_m=rule.radius_m if rule else settings.class_radius_m,
                    window_hours=rule.window_hours if rule else settings.class_window_hours,
                )
            )
    return rules


# --- finding clusters ----------------------------------------------------------------------------


def find_clusters(rules: list[Rule], *, now: datetime, method: str = "auto") -> list[Cluster]:
    """Every rule's clusters among the cases reported in its window up to `now`.

    method: "postgis" (ST_ClusterDBSCAN in the database), "python" (analysis.clusters.dbscan
    over the same cases), or "auto" (PostGIS when the database is PostgreSQL).
    """
    if method == "auto":
        method = "postgis" if connection.vendor == "postgresql" else "python"
    if method == "postgis":
        return _clusters_postgis(rules, now)
    if method == "python":
        return _clusters_python(rules, now)
    raise ValueError(f"unknown method {method!r}")


def _clusters_postgis(rules: list[Rule], now: datetime) -> list[Cluster]:
    by_part = {rule.part: rule for rule in rules}
    found: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    excluded = ", ".join(["%s"] * len(EXCLUDED_STATUSES))
    item_rules = [r for r in rules if r.scope == Hotspot.Scope.ITEM]
    class_rules = [r for r in rules if r.scope == Hotspot.Scope.CLASS]
    statements: list[tuple[str, str, str, list[Any]]] = []
    if item_rules:
        values = ", ".join(
            ["(%s, %s::bigint, %s::float8, %s::integer, %s::timestamptz)"] * len(item_rules)
        )
        params: list[Any] = []
        for r in item_rules:
            params += [r.part, r.item_id, float(r.radius_m), r.min_cases, r.since(now)]
        statements.append(("item_id", "r.item_id = c.item_id", values, params))
    if class_rules:
        values = ", ".join(
            ["(%s, %s::varchar, %s::varchar, %s::float8, %s::integer, %s::timestamptz)"]
            * len(class_rules)
        )
        params = []
        for r in class_rules:
            params += [r.part, r.family, r.major_class, float(r.radius_m), r.min_cases]
            params.append(r.since(now))
        statements.append(
            (
                "family, major_class",
                "r.family = i.family AND r.major_class = i.major_class",
                values,
                params,
            )
        )
    with connection.cursor() as cursor:
        for join_columns, join_on, values, params in statements:
            sql = POSTGIS_SQL.format(
                srid=AREA_SRID,
                case_table=Case._meta.db_table,
                item_table=Item._meta.db_table,
                values=values,
                join_columns=join_columns,
                join_on=join_on,
                excluded=excluded,
            )
            earliest = min(rule.since(now) for rule in rules)
            cursor.execute(sql, [*params, earliest, now, *EXCLUDED_STATUSES])
            for case_id, part, cluster in cursor.fetchall():
                found[part][cluster].append(case_id)
    clusters = [
        Cluster(by_part[part], tuple(sorted(ids)))
        for part, groups in found.items()
        for ids in groups.values()
    ]
    return sorted(clusters, key=lambda c: (c.rule.part, c.case_ids[0]))


def _clusters_python(rules: list[Rule], now: datetime) -> list[Cluster]:
    if not rules:
        return []
    earliest = min(rule.since(now) for rule in rules)
    rows = list(
        Case.objects.filter(reported_at__gte=earliest, reported_at__lte=now)
        .exclude(status__in=EXCLUDED_STATUSES)
        .order_by("pk")
        .annotate(lon=PointCoordinate("point", axis="X"), lat=PointCoordinate("point", axis="Y"))
        .values_list(
            "pk", "item_id", "item__family", "item__major_class", "reported_at", "lon", "lat"
        )
    )
    if not rows:
        return []
    ids = np.array([row[0] for row in rows])
    item_ids = np.array([row[1] for row in rows])
    classes = np.array([f"{row[2]}:{row[3]}" for row in rows])
    reported = np.array([row[4].timestamp() for row in rows])
    xy = to_metres(np.array([row[5] for row in rows]), np.array([row[6] for row in rows]))
    clusters: list[Cluster] = []
    for rule in rules:
        if rule.scope == Hotspot.Scope.ITEM:
            mask = item_ids == rule.item_id
        else:
            mask = classes == f"{rule.family}:{rule.major_class}"
        mask &= reported >= rule.since(now).timestamp()
        if mask.sum() < rule.min_cases:
            continue
        for group in dbscan(
            ids[mask].tolist(), xy[mask], eps=float(rule.radius_m), min_points=rule.min_cases
        ):
            clusters.append(Cluster(rule, tuple(group)))
    return sorted(clusters, key=lambda c: (c.rule.part, c.case_ids[0]))


def _explained_by_items(clusters: list[Cluster]) -> list[Cluster]:
    """Class clusters at least half of whose cases are in an item's cluster say nothing the
    item's hot spot does not: drop them (so 30 rubbish reports make one hot spot, not two)."""
    in_items = {
        case_id
        for cluster in clusters
        if cluster.rule.scope == Hotspot.Scope.ITEM
        for case_id in cluster.case_ids
    }
    kept = []
    for cluster in clusters:
        if cluster.rule.scope == Hotspot.Scope.CLASS:
            shared = sum(1 for case_id in cluster.case_ids if case_id in in_items)
            if shared * 2 >= len(cluster.case_ids):
                continue
        kept.append(cluster)
    return kept


# --- the pass ----------------------------------------------------------------------------------


@dataclass
class _CaseInfo:
    grid: str
    lon: float
    lat: float
    reported_at: datetime


@dataclass
class _Shape:
    hull: Polygon
    centre: Point
    region: str
    level: str
    first: datetime
    last: datetime


@dataclass
class _Known:
    hotspot: Hotspot
    case_ids: set[int] = field(default_factory=set)


def _scope_key(rule: Rule) -> tuple[str, int | None, str, str]:
    if rule.scope == Hotspot.Scope.ITEM:
        return (rule.scope, rule.item_id, "", "")
    return (rule.scope, None, rule.family, rule.major_class)


def _hotspot_key(hotspot: Hotspot) -> tuple[str, int | None, str, str]:
    if hotspot.scope == Hotspot.Scope.ITEM:
        return (hotspot.scope, hotspot.item_id, "", "")
    return (hotspot.scope, None, hotspot.family, hotspot.major_class)


def _case_infos(case_ids: Iterable[int]) -> dict[int, _CaseInfo]:
    rows = (
        Case.objects.filter(pk__in=sorted(set(case_ids)))
        .annotate(lon=PointCoordinate("point", axis="X"), lat=PointCoordinate("point", axis="Y"))
        .values_list("pk", "grid_id", "lon", "lat", "reported_at")
    )
    return {
        pk: _CaseInfo(str(grid), float(lon), float(lat), at)
        for pk, grid, lon, lat, at in rows  # type: ignore[misc]
    }


def _shape(case_ids: tuple[int, ...], infos: dict[int, _CaseInfo]) -> _Shape:
    cases = [infos[case_id] for case_id in case_ids]
    xy = to_metres(np.array([c.lon for c in cases]), np.array([c.lat for c in cases]))
    hull = shapely.convex_hull(shapely.multipoints(xy)).buffer(HULL_MARGIN_M, quad_segs=4)
    hull_deg = shapely.transform(hull, lambda coords: to_degrees(coords[:, 0], coords[:, 1]))
    centre = to_degrees(np.array([xy[:, 0].mean()]), np.array([xy[:, 1].mean()]))[0]
    region, level = covering_region({c.grid for c in cases})
    return _Shape(
        hull=cast(Polygon, GEOSGeometry(memoryview(shapely.to_wkb(hull_deg)), srid=4326)),
        centre=Point(float(centre[0]), float(centre[1]), srid=4326),
        region=region,
        level=level,
        first=min(c.reported_at for c in cases),
        last=max(c.reported_at for c in cases),
    )


def _what(rule: Rule, item_names: dict[int, str]) -> str:
    if rule.scope == Hotspot.Scope.ITEM:
        return item_names.get(rule.item_id or 0, "")
    return NATIONAL_MAJOR_CLASSES.get(rule.family, {}).get(rule.major_class, rule.major_class)


def hotspot_pass(
    *, now: datetime, settings: AnalysisSettings, method: str = "auto"
) -> HotspotResult:
    """Find, update and retire hot spots; raise an alarm for each new one. Call it inside a
    transaction holding the analysis lock (analysis.services.run_analysis does)."""
    rules = hotspot_rules(settings)
    clusters = _explained_by_items(find_clusters(rules, now=now, method=method))
    result = HotspotResult(
        clusters=len(clusters),
        method=method if method != "auto" else connection.vendor,
    )
    longest = max((rule.window_hours for rule in rules), default=0)
    known: dict[int, _Known] = {
        hotspot.pk: _Known(hotspot)
        for hotspot in Hotspot.objects.filter(
            Q(gone_at__isnull=True) | Q(gone_at__gte=now - timedelta(hours=longest))
        )
    }
    for hotspot_id, case_id in HotspotCase.objects.filter(hotspot_id__in=list(known)).values_list(
        "hotspot_id", "case_id"
    ):
        known[hotspot_id].case_ids.add(case_id)
    by_case: dict[tuple[tuple[str, int | None, str, str], int], list[int]] = defaultdict(list)
    for entry in known.values():
        key = _hotspot_key(entry.hotspot)
        for case_id in entry.case_ids:
            by_case[(key, case_id)].append(entry.hotspot.pk)
    infos = _case_infos(case_id for cluster in clusters for case_id in cluster.case_ids)
    item_names = dict(Item.objects.values_list("pk", "name"))
    matched: set[int] = set()
    # Biggest first: when a hot spot split, its largest part keeps it.
    for cluster in sorted(clusters, key=lambda c: (-len(c.case_ids), c.case_ids[0])):
        key = _scope_key(cluster.rule)
        overlap: dict[int, int] = defaultdict(int)
        for case_id in cluster.case_ids:
            for hotspot_id in by_case.get((key, case_id), ()):
                if hotspot_id not in matched:
                    overlap[hotspot_id] += 1
        shape = _shape(cluster.case_ids, infos)
        if overlap:
            hotspot_id = min(overlap, key=lambda pk: (-overlap[pk], pk))
            entry = known[hotspot_id]
            gone_at = entry.hotspot.gone_at
            if gone_at is not None and gone_at < now - timedelta(hours=cluster.rule.window_hours):
                overlap.clear()  # gone too long ago: this is a new one
            else:
                matched.add(hotspot_id)
                _update(entry, cluster, shape, now)
                if gone_at is not None:
                    result.revived += 1
                else:
                    result.updated += 1
                continue
        if _create(cluster, shape, now, _what(cluster.rule, item_names)):
            result.new += 1
            result.alarms += 1
    live_unmatched = [
        pk for pk, entry in known.items() if pk not in matched and entry.hotspot.gone_at is None
    ]
    if live_unmatched:
        result.gone = Hotspot.objects.filter(pk__in=live_unmatched).update(gone_at=now)
    return result


def _update(entry: _Known, cluster: Cluster, shape: _Shape, now: datetime) -> None:
    hotspot = entry.hotspot
    new_ids = set(cluster.case_ids)
    leaving = entry.case_ids - new_ids
    if leaving:
        HotspotCase.objects.filter(hotspot=hotspot, case_id__in=sorted(leaving)).delete()
    joining = new_ids - entry.case_ids
    if joining:
        HotspotCase.objects.bulk_create(
            [HotspotCase(hotspot=hotspot, case_id=case_id) for case_id in sorted(joining)]
        )
    Hotspot.objects.filter(pk=hotspot.pk).update(
        case_count=len(new_ids),
        hull=shape.hull,
        centre=shape.centre,
        region_id=shape.region,
        level=shape.level,
        min_cases=cluster.rule.min_cases,
        radius_m=cluster.rule.radius_m,
        window_hours=cluster.rule.window_hours,
        first_case_at=shape.first,
        last_case_at=shape.last,
        last_seen_at=now,
        gone_at=None,
    )


def _create(cluster: Cluster, shape: _Shape, now: datetime, what: str) -> bool:
    rule = cluster.rule
    alarm = alarm_raise(
        AlarmInput(
            kind=Alarm.Kind.HOTSPOT,
            # Runs are serialised by the analysis lock and matched to known hot spots, so a
            # key only has to be unique.
            key=f"hotspot:{rule.part}:{cluster.case_ids[0]}:{int(now.timestamp())}",
            region_code=shape.region,
            message="hotspot",
            params={
                "what": what,
                "count": len(cluster.case_ids),
                "radius": rule.radius_m,
                "hours": rule.window_hours,
                "first": _local(shape.first),
                "last": _local(shape.last),
            },
            item_id=rule.item_id,
            point=shape.centre,
        ),
        now=now,
    )
    if alarm is None:
        return False
    hotspot = Hotspot.objects.create(
        scope=rule.scope,
        item_id=rule.item_id,
        family=rule.family,
        major_class=rule.major_class,
        region_id=shape.region,
        level=shape.level,
        alarm=alarm,
        case_count=len(cluster.case_ids),
        hull=shape.hull,
        centre=shape.centre,
        min_cases=rule.min_cases,
        radius_m=rule.radius_m,
        window_hours=rule.window_hours,
        first_case_at=shape.first,
        last_case_at=shape.last,
        first_seen_at=now,
        last_seen_at=now,
    )
    HotspotCase.objects.bulk_create(
        [HotspotCase(hotspot=hotspot, case_id=case_id) for case_id in cluster.case_ids]
    )
    return True


def _local(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")

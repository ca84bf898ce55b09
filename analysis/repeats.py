"""The repeat-place pass: where the same kind of problem keeps coming back after each clean-up
("dirty → clean-up → dirty", 脏乱差反复).

A place is, in this order of preference:
- an asset (部件): a component case within `repeat_asset_m` metres of an asset of its national
  class (major and minor) is about the nearest such asset;
- a building (citizens' registry, when installed and filled): a case inside its footprint;
- otherwise a square cell of `repeat_cell_m` metres (50 by default) in EPSG:4549.
A repeat place is `repeat_min_cases` (K) or more cases of one national class (family, major,
minor) at one place, closed in the last `repeat_days` (D) days (closed as normal, overdue or
special: an erroneous case was never a problem there).

With AnalysisSettings.repeat_alarms on, new repeat places raise an alarm (off by default: a
busy district has dozens by chance alone). With repeat_supervise on, each new one is
also handed to the supervision service named by the setting ANALYSIS_REPEAT_PLACE_SUPERVISE
(a dotted path to a callable taking place=, case_ids=, now=), so a supervisor orders a lasting
fix; the place records when that was done, so it is done once.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.apps import apps
from django.conf import settings as django_settings
from django.contrib.gis.geos import Point
from django.db.models import OuterRef, Subquery
from django.utils.module_loading import import_string

from analysis.alarms import AlarmInput, alarm_raise, covering_region
from analysis.models import Alarm, AnalysisSettings, RepeatPlace, RepeatPlaceCase
from cases.models import Case, ClosureKind, Family, Item, Status
from grids.geo import PointCoordinate, to_degrees, to_metres
from grids.models import Asset

logger = logging.getLogger(__name__)

COUNTED_CLOSURES = (ClosureKind.NORMAL, ClosureKind.OVERDUE, ClosureKind.SPECIAL)


@dataclass
class RepeatResult:
    cases: int = 0
    places: int = 0
    new: int = 0
    revived: int = 0
    gone: int = 0
    alarms: int = 0
    supervised: int = 0

    def __str__(self) -> str:
        return (
            f"repeat places: {self.places} from {self.cases} closed cases, {self.new} new, "
            f"{self.revived} revived, {self.gone} gone, {self.alarms} alarms, "
            f"{self.supervised} supervisions"
        )


@dataclass
class _Closed:
    id: int
    klass: tuple[str, str, str]
    item_id: int
    lon: float
    lat: float
    x: float
    y: float
    grid: str
    address: str
    closed_at: datetime
    building: str | None = None
    building_name: str = ""


@dataclass
class _Place:
    kind: str
    key: str
    name: str
    point: tuple[float, float] | None  # lon, lat of the place itself (an asset), or None


def _closed_cases(now: datetime, days: int) -> list[_Closed]:
    rows = Case.objects.filter(
        status=Status.CLOSED,
        closure_kind__in=COUNTED_CLOSURES,
        closed_at__gte=now - timedelta(days=days),
        closed_at__lte=now,
    )
    building_model = _building_model()
    fields = [
        "pk",
        "item__family",
        "item__major_class",
        "item__minor_class",
        "item_id",
        "lon",
        "lat",
        "grid_id",
        "address",
        "closed_at",
    ]
    if building_model is not None:
        inside = building_model.objects.filter(footprint__intersects=OuterRef("point")).order_by(
            "code"
        )
        rows = rows.annotate(
            building_code=Subquery(inside.values("code")[:1]),
            building_label=Subquery(inside.values("address")[:1]),
        )
        fields += ["building_code", "building_label"]
    rows = rows.annotate(
        lon=PointCoordinate("point", axis="X"), lat=PointCoordinate("point", axis="Y")
    )
    values = list(rows.order_by("pk").values_list(*fields))
    if not values:
        return []
    xy = to_metres(np.array([v[5] for v in values]), np.array([v[6] for v in values]))
    closed = []
    for (pk, family, major, minor, item_id, lon, lat, grid, address, at, *building), (x, y) in zip(
        values, xy, strict=True
    ):
        closed.append(
            _Closed(
                id=pk,
                klass=(family, major, minor),
                item_id=item_id,
                lon=lon,
                lat=lat,
                x=float(x),
                y=float(y),
                grid=grid,
                address=address,
                closed_at=at,
                building=building[0] if building else None,
                building_name=(building[1] or "") if building else "",
            )
        )
    return closed


def _building_model() -> Any:
    """citizens.Building when the registry is installed and holds buildings (a soft link:
    analysis does not depend on the citizens app)."""
    if not apps.is_installed("citizens"):
        return None
    model = apps.get_model("citizens", "Building")
    return model if model.objects.exists() else None


def _nearest_assets(cases: list[_Closed], within_m: float) -> dict[int, Asset]:
    """Component cases → the nearest asset of their class within `within_m` metres."""
    wanted = {(c.klass[1], c.klass[2]) for c in cases if c.klass[0] == Family.COMPONENT}
    if not wanted:
        return {}
    assets = [
        asset
        for asset in Asset.objects.filter(
            major_class__in={m for m, _n in wanted}, minor_class__in={n for _m, n in wanted}
        ).only("pk", "code", "name", "major_class", "minor_class", "point")
        if (asset.major_class, asset.minor_class) in wanted
    ]
    if not assets:
        return {}
    xy = to_metres(np.array([a.point.x for a in assets]), np.array([a.point.y for a in assets]))
    cells: dict[tuple[str, str, int, int], list[int]] = defaultdict(list)
    for i, asset in enumerate(assets):
        key = (asset.major_class, asset.minor_class)
        cells[(*key, math.floor(xy[i, 0] / within_m), math.floor(xy[i, 1] / within_m))].append(i)
    found: dict[int, Asset] = {}
    for case in cases:
        if case.klass[0] != Family.COMPONENT:
            continue
        cx, cy = math.floor(case.x / within_m), math.floor(case.y / within_m)
        best: tuple[float, str, int] | None = None
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for i in cells.get((case.klass[1], case.klass[2], cx + dx, cy + dy), ()):
                    distance = math.hypot(xy[i, 0] - case.x, xy[i, 1] - case.y)
                    if distance <= within_m and (
                        best is None or (distance, assets[i].code) < best[:2]
                    ):
                        best = (distance, assets[i].code, i)
        if best is not None:
            found[case.id] = assets[best[2]]
    return found


def _place_of(case: _Closed, asset: Asset | None, cell_m: int) -> _Place:
    if asset is not None:
        return _Place(
            RepeatPlace.PlaceKind.ASSET,
            f"asset:{asset.code}",
            f"{asset.name} {asset.code}",
            (asset.point.x, asset.point.y),
        )
    if case.building:
        return _Place(
            RepeatPlace.PlaceKind.BUILDING, f"building:{case.building}", case.building_name, None
        )
    ix, iy = math.floor(case.x / cell_m), math.floor(case.y / cell_m)
    return _Place(RepeatPlace.PlaceKind.CELL, f"cell:{cell_m}:{ix}:{iy}", "", None)


def repeat_pass(*, now: datetime, settings: AnalysisSettings) -> RepeatResult:
    """Find repeat places, update the known ones, retire the ones gone, raise alarms (and file
    supervisions when the rule is on). Call it inside a transaction holding the analysis lock
    (analysis.services.run_analysis does)."""
    closed = _closed_cases(now, settings.repeat_days)
    result = RepeatResult(cases=len(closed))
    assets = _nearest_assets(closed, float(settings.repeat_asset_m))
    groups: dict[tuple[str, tuple[str, str, str]], list[_Closed]] = defaultdict(list)
    places: dict[str, _Place] = {}
    for case in closed:
        place = _place_of(case, assets.get(case.id), settings.repeat_cell_m)
        places[place.key] = place
        groups[(place.key, case.klass)].append(case)
    found = {key: cases for key, cases in groups.items() if len(cases) >= settings.repeat_min_cases}
    result.places = len(found)
    known = {
        (p.place_key, (p.family, p.major_class, p.minor_class)): p
        for p in RepeatPlace.objects.filter(place_key__in={key for key, _k in found} or [""])
    }
    known_live = set(RepeatPlace.objects.filter(gone_at__isnull=True).values_list("pk", flat=True))
    seen: set[int] = set()
    for (place_key, klass), cases in sorted(found.items()):
        cases.sort(key=lambda c: (c.closed_at, c.id))
        place = places[place_key]
        existing = known.get((place_key, klass))
        fields = _fields(place, klass, cases, now)
        if existing is None:
            row = RepeatPlace.objects.create(**fields, first_seen_at=now)
            result.new += 1
            if settings.repeat_alarms and _alarm(row, cases, settings, now):
                result.alarms += 1
            if settings.repeat_supervise and _supervise(row, cases, now):
                result.supervised += 1
        else:
            row = existing
            came_back = existing.gone_at is not None and existing.gone_at < now - timedelta(
                days=settings.repeat_days
            )
            if existing.gone_at is not None:
                result.revived += 1
            RepeatPlace.objects.filter(pk=row.pk).update(**fields, gone_at=None)
            if came_back and settings.repeat_alarms and _alarm(row, cases, settings, now):
                result.alarms += 1
        seen.add(row.pk)
        _set_cases(row, [case.id for case in cases])
    gone = known_live - seen
    if gone:
        result.gone = RepeatPlace.objects.filter(pk__in=gone).update(gone_at=now)
    return result


def _fields(
    place: _Place, klass: tuple[str, str, str], cases: list[_Closed], now: datetime
) -> dict[str, Any]:
    if place.point is not None:
        lon, lat = place.point
    else:
        centre = to_degrees(
            np.array([np.mean([c.x for c in cases])]), np.array([np.mean([c.y for c in cases])])
        )[0]
        lon, lat = float(centre[0]), float(centre[1])
    region, level = covering_region({c.grid for c in cases})
    # A cell is named by the address of its latest case ("near …" when shown).
    name = place.name or cases[-1].address
    return {
        "place_kind": place.kind,
        "place_key": place.key,
        "place_name": name[:200],
        "family": klass[0],
        "major_class": klass[1],
        "minor_class": klass[2],
        "region_id": region,
        "level": level,
        "point": Point(lon, lat, srid=4326),
        "case_count": len(cases),
        "first_closed_at": cases[0].closed_at,
        "last_closed_at": cases[-1].closed_at,
        "last_seen_at": now,
    }


def _set_cases(place: RepeatPlace, case_ids: list[int]) -> None:
    current = set(RepeatPlaceCase.objects.filter(place=place).values_list("case_id", flat=True))
    wanted = set(case_ids)
    if current - wanted:
        RepeatPlaceCase.objects.filter(place=place, case_id__in=sorted(current - wanted)).delete()
    if wanted - current:
        RepeatPlaceCase.objects.bulk_create(
            [RepeatPlaceCase(place=place, case_id=pk) for pk in sorted(wanted - current)]
        )


def _alarm(
    place: RepeatPlace, cases: list[_Closed], settings: AnalysisSettings, now: datetime
) -> bool:
    names = dict(Item.objects.filter(pk__in={c.item_id for c in cases}).values_list("pk", "name"))
    what = names.get(cases[-1].item_id, f"{place.major_class}{place.minor_class}")
    alarm = alarm_raise(
        AlarmInput(
            kind=Alarm.Kind.REPEAT_PLACE,
            key=f"repeat:{place.pk}:{now:%Y%m%d%H%M%S}",
            region_code=place.region_id,
            message="repeat_place",
            params={
                "what": what,
                "place": {"kind": place.place_kind, "name": place.place_name},
                "count": len(cases),
                "days": settings.repeat_days,
            },
            item_id=cases[-1].item_id,
            point=place.point,
        ),
        now=now,
    )
    if alarm is None:
        return False
    RepeatPlace.objects.filter(pk=place.pk).update(alarm=alarm)
    return True


def _supervise(place: RepeatPlace, cases: list[_Closed], now: datetime) -> bool:
    """Hand a new repeat place to the supervision service, once (supervised_at)."""
    path = getattr(django_settings, "ANALYSIS_REPEAT_PLACE_SUPERVISE", "")
    if not path:
        logger.warning(
            "Repeat place %s: the supervision rule is on but ANALYSIS_REPEAT_PLACE_SUPERVISE "
            "names no service; nothing filed.",
            place.pk,
        )
        return False
    service = import_string(path)
    service(place=place, case_ids=[c.id for c in cases], now=now)
    RepeatPlace.objects.filter(pk=place.pk, supervised_at__isnull=True).update(supervised_at=now)
    return True

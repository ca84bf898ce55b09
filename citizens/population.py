"""The reference district's population (520 k persons) for demos and benchmarks.

Deterministic for a seed. For every grid (its share of households drawn around the district's
mean, ~175 households a grid): residential buildings placed inside the grid's boundary with
their footprints (walk-ups of 5–7 floors mostly, some towers), grouped into parcels; their
dwellings (entrance unit × floor × room); households of 1–5 persons (single elderly people,
couples, parents and children, three generations) in most of the dwellings, owner-occupied or
rented from an owner who lives elsewhere; and the key groups (elderly living alone tagged
from the households, disabled and people under care at their usual rates).

ID numbers are valid (GB 11643) and unique, encrypted and hashed like any other
(citizens.idnumbers). Rows are written with COPY on PostgreSQL and bulk_create elsewhere, in
one transaction; then ANALYZE, and the population figures per grid are counted
(citizens.stats), so the population picture has its nightly snapshot from the start.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import shapely
from django.contrib.gis.geos import GEOSGeometry
from django.db import connection, transaction
from django.db.models import Max, Model
from django.utils import timezone
from shapely.geometry import Polygon as ShapelyPolygon

from citizens import idnumbers
from citizens.models import (
    Building,
    BuildingUse,
    Dwelling,
    DwellingUse,
    Occupancy,
    OccupancyRole,
    Organisation,
    Parcel,
    Person,
    PersonKeyGroup,
)
from citizens.services import key_groups_seed
from citizens.stats import figures_rebuild
from config.dbstats import analyze
from grids.models import Level, Region

REFERENCE_PERSONS = 520_000
TODAY = date(2026, 11, 1)
# Household sizes 1–5 (a dense old city centre: many small households).
HOUSEHOLD_SIZES = (1, 2, 3, 4, 5)
HOUSEHOLD_SHARES = (0.24, 0.31, 0.25, 0.13, 0.07)
OWNER_OCCUPIED = 0.72
VACANT = 0.08
DISABLED_RATE = 0.018
UNDER_CARE_RATE = 0.012
ELDERLY_AGE = 60
SHOP_LET = 0.7  # ground-floor shops with a business in them
SHOP_KINDS = (
    ("个体工商户", "便利店"), ("个体工商户", "餐馆"), ("个体工商户", "理发店"),
    ("有限责任公司", "商贸有限公司"), ("个体工商户", "药店"), ("个体工商户", "干洗店"),
)  # fmt: skip
M_PER_DEG_LAT = 111_000.0
SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
    "苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史"
    "顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红梅林玉萍文斌宇浩凯鹏辉"
    "俊晨欣雪琳婷佳子涵一诺梓轩雨桐思远嘉怡"
)
ROADS = (
    "辽宁路", "延安路", "台东一路", "威海路", "华阳路", "登州路", "长春路", "洛阳路",
    "敦化路", "抚顺路", "鞍山路", "福州北路", "哈尔滨路", "内蒙古路", "南京路", "重庆南路",
)  # fmt: skip
# Where ID numbers were issued: mostly the district, then the rest of Qingdao and Shandong.
ISSUING_REGIONS = (
    ("370203", 0.62), ("370202", 0.08), ("370212", 0.05), ("370211", 0.04),
    ("370281", 0.05), ("370283", 0.04), ("370102", 0.03), ("371302", 0.04),
    ("370702", 0.03), ("370602", 0.02),
)  # fmt: skip


@dataclass
class Summary:
    grids: int = 0
    parcels: int = 0
    buildings: int = 0
    dwellings: int = 0
    persons: int = 0
    links: int = 0
    key_group_members: int = 0
    organisations: int = 0
    seconds: float = 0.0

    def lines(self) -> list[str]:
        return [
            f"{self.grids} grids: {self.parcels} parcels, {self.buildings} buildings, "
            f"{self.dwellings} dwellings",
            f"{self.persons} persons, {self.links} dwelling links, "
            f"{self.key_group_members} key-group memberships, {self.organisations} organisations",
            f"done in {self.seconds:.1f} s",
        ]

    @property
    def rows(self) -> int:
        return (
            self.parcels
            + self.buildings
            + self.dwellings
            + self.persons
            + self.links
            + self.key_group_members
            + self.organisations
        )


@dataclass
class _Rows:
    parcels: list[dict[str, Any]] = field(default_factory=list)
    buildings: list[dict[str, Any]] = field(default_factory=list)
    dwellings: list[dict[str, Any]] = field(default_factory=list)
    persons: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    tags: list[dict[str, Any]] = field(default_factory=list)
    organisations: list[dict[str, Any]] = field(default_factory=list)


class PopulationExistsError(Exception):
    """The registry already has persons; the generator fills an empty one."""


def _next_id(model: type[Model]) -> int:
    return (model._default_manager.aggregate(top=Max("pk"))["top"] or 0) + 1


class _Generator:
    def __init__(self, seed: int, households_per_grid: float) -> None:
        self.rnd = random.Random(seed)  # noqa: S311 - demo data, not secrets
        self.np = np.random.default_rng(seed)
        self.households_per_grid = households_per_grid
        self.rows = _Rows()
        self.ids: dict[type[Model], int] = {
            model: _next_id(model)
            for model in (
                Parcel,
                Building,
                Dwelling,
                Person,
                Occupancy,
                PersonKeyGroup,
                Organisation,
            )
        }
        self.sequences: dict[tuple[str, date, str], int] = {}
        self.now = timezone.now()
        self.groups = {group.code: group.pk for group in key_groups_seed()}
        self.landlords: list[int] = []  # owner-occupiers who may own a second flat

    def _id(self, model: type[Model]) -> int:
        value = self.ids[model]
        self.ids[model] = value + 1
        return value

    # --- places ---------------------------------------------------------------------------

    def grid(self, code: str, geom: GEOSGeometry) -> list[tuple[int, int, str]]:
        """Buildings, parcels and dwellings of one grid; returns the homes to fill with
        households: (dwelling id, building id, address)."""
        shape = shapely.from_wkb(bytes(geom.wkb))
        shapely.prepare(shape)
        households = max(1, int(self.np.gamma(6.0, self.households_per_grid / 6.0)))
        wanted = math.ceil(households / (1 - VACANT))
        homes: list[tuple[int, int, str]] = []
        buildings: list[tuple[int, ShapelyPolygon]] = []
        _minx, miny, _maxx, maxy = shape.bounds
        m_per_deg_lon = M_PER_DEG_LAT * math.cos(math.radians((miny + maxy) / 2))
        number = 0
        while len(homes) < wanted:
            number += 1
            tower = self.rnd.random() < 0.12
            floors = self.rnd.randint(18, 30) if tower else self.rnd.choice((5, 6, 6, 6, 7, 7))
            units = self.rnd.randint(1, 2) if tower else self.rnd.randint(2, 5)
            per_floor = self.rnd.choice((2, 3, 4)) if tower else 2
            width_m, depth_m = units * 14.0, 12.0 + (4 if tower else 0)
            footprint = self._place(shape, width_m / m_per_deg_lon, depth_m / M_PER_DEG_LAT)
            building_id = self._id(Building)
            address = f"{self.rnd.choice(ROADS)}{self.rnd.randint(1, 300)}号"
            self.rows.buildings.append(
                {
                    "id": building_id,
                    "code": f"{code}-B{number:03d}",
                    "name": "",
                    "address": address,
                    "parcel_id": None,
                    "footprint": footprint,
                    "floors": floors,
                    "underground_floors": 1 if tower else 0,
                    "use": BuildingUse.RESIDENTIAL if not tower else BuildingUse.MIXED,
                    "grid_id": code,
                }
            )
            buildings.append((building_id, footprint))
            shops = tower or self.rnd.random() < 0.3
            for unit in range(1, units + 1):
                for floor in range(1, floors + 1):
                    for room in range(1, per_floor + 1):
                        dwelling_id = self._id(Dwelling)
                        use = DwellingUse.SHOP if shops and floor == 1 else DwellingUse.HOME
                        self.rows.dwellings.append(
                            {
                                "id": dwelling_id,
                                "building_id": building_id,
                                "unit": str(unit),
                                "floor": floor,
                                "room": f"{floor}{room:02d}",
                                "use": use,
                                "area_m2": round(self.rnd.uniform(38, 125), 2),
                                "grid_id": code,
                            }
                        )
                        if use == DwellingUse.HOME:
                            homes.append((dwelling_id, building_id, address))
                        elif self.rnd.random() < SHOP_LET:
                            self._organisation(code, building_id, dwelling_id)
        self._parcels(code, shape, buildings)
        self.rnd.shuffle(homes)
        return homes[:households]

    def _organisation(self, code: str, building_id: int, dwelling_id: int) -> None:
        org_id = self._id(Organisation)
        kind, suffix = self.rnd.choice(SHOP_KINDS)
        self.rows.organisations.append(
            {
                "id": org_id,
                # 统一社会信用代码: 2 registration kind + 6 region + 10 serial (illustrative).
                "credit_code": f"92{code[:6]}{org_id:010d}",
                "name": f"{self.rnd.choice(SURNAMES)}记{suffix}",
                "kind": kind,
                "building_id": building_id,
                "dwelling_id": dwelling_id,
                "representative": self.rnd.choice(SURNAMES) + self.rnd.choice(GIVEN),
                "phone": "",
                "grid_id": code,
            }
        )

    def _place(self, shape: Any, dx: float, dy: float) -> ShapelyPolygon:
        """A footprint inside the grid (tried a few times; else at a point inside it)."""
        minx, miny, maxx, maxy = shape.bounds
        for _attempt in range(30):
            x = self.rnd.uniform(minx, max(minx, maxx - dx))
            y = self.rnd.uniform(miny, max(miny, maxy - dy))
            box = shapely.box(x, y, x + dx, y + dy)
            if shape.contains(box):
                return box
        x, y = shape.representative_point().coords[0]
        return shapely.box(x - dx / 20, y - dy / 20, x + dx / 20, y + dy / 20)

    def _parcels(self, code: str, shape: Any, buildings: list[tuple[int, ShapelyPolygon]]) -> None:
        """Buildings next to each other (by position) in parcels of 1–6."""
        buildings = sorted(buildings, key=lambda item: (item[1].centroid.x, item[1].centroid.y))
        index, number = 0, 0
        by_id = {row["id"]: row for row in self.rows.buildings[-len(buildings) :]}
        while index < len(buildings):
            size = self.rnd.randint(1, 6)
            group = buildings[index : index + size]
            index += size
            number += 1
            hull = shapely.convex_hull(shapely.union_all([fp for _id, fp in group]))
            area = hull.buffer(0.00008).intersection(shape)
            if area.is_empty or area.geom_type not in ("Polygon", "MultiPolygon"):
                area = hull.buffer(0.00002)
            parcel_id = self._id(Parcel)
            self.rows.parcels.append(
                {
                    "id": parcel_id,
                    "code": f"{code}-P{number:03d}",
                    "name": "",
                    "geom": shapely.multipolygons(shapely.get_parts(area)),
                    "grid_id": code,
                }
            )
            for building_id, _fp in group:
                by_id[building_id]["parcel_id"] = parcel_id

    # --- people ---------------------------------------------------------------------------

    def _person(self, code: str, age: int, sex: str, *, phone: bool = True) -> int:
        born = TODAY - timedelta(days=int(age * 365.25) + self.rnd.randint(0, 364))
        regions, weights = zip(*ISSUING_REGIONS, strict=True)
        region = self.rnd.choices(regions, weights)[0]
        key = (region, born, sex)
        sequence = self.sequences.get(key, self.rnd.randint(0, 60))
        if sequence >= 500:  # every serial of that day used: another region
            region, key = "370203", ("370203", born, sex)
            sequence = self.sequences.get(key, 0)
        self.sequences[key] = sequence + 1
        number = idnumbers.make_number(region, born, sequence, sex)
        encrypted, hashed = idnumbers.protect(number)
        person_id = self._id(Person)
        surname = self.rnd.choice(SURNAMES)
        self.rows.persons.append(
            {
                "id": person_id,
                "name": surname + "".join(self.rnd.choices(GIVEN, k=self.rnd.choice((1, 2)))),
                "id_number_encrypted": encrypted,
                "id_number_hash": hashed,
                "sex": sex,
                "birth_date": born,
                "phone": f"1{self.rnd.choice('3578')}{self.rnd.randint(0, 999_999_999):09d}"
                if phone
                else "",
                "registered_address": "",
                "actual_address": "",
                "grid_id": code,
                "created_at": self.now,
                "updated_at": self.now,
            }
        )
        return person_id

    def household(self, code: str, dwelling_id: int, building_id: int, address: str) -> None:
        size = self.rnd.choices(HOUSEHOLD_SIZES, HOUSEHOLD_SHARES)[0]
        members: list[tuple[int, str]] = []  # (age, sex)
        if size == 1:
            members.append(
                (
                    self.rnd.choice((self._adult_age(), self.rnd.randint(60, 92))),
                    self.rnd.choice("MF"),
                )
            )
        else:
            head_age = self._adult_age()
            members += [(head_age, "M"), (max(20, head_age + self.rnd.randint(-5, 3)), "F")]
            for _child in range(size - 2):
                if size == 5 and len(members) == 4:
                    members.append(
                        (min(95, head_age + self.rnd.randint(24, 32)), self.rnd.choice("MF"))
                    )
                else:
                    members.append(
                        (max(0, head_age - self.rnd.randint(22, 36)), self.rnd.choice("MF"))
                    )
        owner_occupied = self.rnd.random() < OWNER_OCCUPIED
        since = TODAY - timedelta(days=self.rnd.randint(30, 365 * 25))
        ids = [self._person(code, age, sex, phone=age >= 14) for age, sex in members]
        for person_row in self.rows.persons[-len(ids) :]:
            person_row["actual_address"] = address
            person_row["registered_address"] = address if owner_occupied else ""
        for position, person_id in enumerate(ids):
            if position == 0:
                role = OccupancyRole.OWNER if owner_occupied else OccupancyRole.TENANT
            else:
                role = OccupancyRole.RESIDENT
            self._link(person_id, dwelling_id, building_id, code, role, since)
        if owner_occupied:
            self.landlords.append(ids[0])
        elif self.landlords:
            landlord = self.landlords[self.rnd.randrange(len(self.landlords))]
            self._link(landlord, dwelling_id, building_id, code, OccupancyRole.OWNER, since)
        if size == 1 and members[0][0] >= ELDERLY_AGE:
            self._tag(ids[0], "elderly_alone", since)
        for person_id in ids:
            draw = self.rnd.random()
            if draw < DISABLED_RATE:
                self._tag(person_id, "disabled", since)
            elif draw < DISABLED_RATE + UNDER_CARE_RATE:
                self._tag(person_id, "under_care", since)

    def _adult_age(self) -> int:
        return int(min(95, max(20, self.np.normal(47, 15))))

    def _link(
        self, person_id: int, dwelling_id: int, building_id: int, code: str, role: str, since: date
    ) -> None:
        self.rows.links.append(
            {
                "id": self._id(Occupancy),
                "person_id": person_id,
                "dwelling_id": dwelling_id,
                "role": role,
                "since": since,
                "until": None,
                "building_id": building_id,
                "grid_id": code,
            }
        )

    def _tag(self, person_id: int, group: str, since: date) -> None:
        if group in self.groups:
            self.rows.tags.append(
                {
                    "id": self._id(PersonKeyGroup),
                    "person_id": person_id,
                    "group_id": self.groups[group],
                    "since": since,
                    "note": "",
                }
            )


# --- writing ---------------------------------------------------------------------------------

_TABLES: tuple[tuple[type[Model], str], ...] = (
    (Parcel, "parcels"),
    (Building, "buildings"),
    (Dwelling, "dwellings"),
    (Person, "persons"),
    (Occupancy, "links"),
    (PersonKeyGroup, "tags"),
    (Organisation, "organisations"),
)


def _columns(model: type[Model], row: dict[str, Any]) -> list[tuple[str, str]]:
    fields = {f.attname: f.column for f in model._meta.concrete_fields}
    return [(attname, str(fields[attname])) for attname in row]


def _geometry_value(value: Any) -> Any:
    if isinstance(value, shapely.Geometry):
        return shapely.to_wkb(shapely.set_srid(value, 4326), hex=True, include_srid=True)
    return value


def _write_copy(rows: _Rows, progress: Callable[[str], None]) -> None:
    with connection.cursor() as cursor:
        raw = cursor.cursor
        for model, name in _TABLES:
            items = getattr(rows, name)
            if not items:
                continue
            progress(f"COPY {len(items)} {name}")
            columns = _columns(model, items[0])
            column_sql = ", ".join(f'"{column}"' for _a, column in columns)
            with raw.copy(f"COPY {model._meta.db_table} ({column_sql}) FROM STDIN") as copy:
                for item in items:
                    copy.write_row([_geometry_value(item[a]) for a, _c in columns])
            table = model._meta.db_table  # our own table names, not input
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT MAX(id) FROM {table}))",  # noqa: S608
                [table],
            )


def _write_orm(rows: _Rows, progress: Callable[[str], None], batch: int) -> None:
    for model, name in _TABLES:
        items = getattr(rows, name)
        progress(f"INSERT {len(items)} {name}")
        for start in range(0, len(items), batch):
            objects = []
            for item in items[start : start + batch]:
                values = {
                    key: GEOSGeometry(_geometry_value(value))
                    if isinstance(value, shapely.Geometry)
                    else value
                    for key, value in item.items()
                }
                objects.append(model(**values))
            model._default_manager.bulk_create(objects)


DEMO_PERSONS = 20_000


def demo_street_code() -> str:
    """The street of the demo accounts (seed_demo posts them to the street with the lowest
    code and its first community)."""
    street = Region.objects.filter(level=Level.STREET).order_by("code").first()
    if street is None:
        raise ValueError("No streets: run seed_demo first.")
    return street.code


def generate_population(
    *,
    persons: int = REFERENCE_PERSONS,
    seed: int = 1,
    region_prefix: str = "",
    batch: int = 5_000,
    progress: Callable[[str], None] = lambda message: None,
) -> Summary:
    """Fill an empty registry with about `persons` people in the grids under `region_prefix`."""
    started = time.perf_counter()
    if Person.objects.exists():
        raise PopulationExistsError("The registry already has persons; generate into an empty one.")
    grids = list(
        Region.objects.filter(level=Level.GRID, code__startswith=region_prefix)
        .order_by("code")
        .values_list("code", "geom")
    )
    if not grids:
        raise ValueError(f"No grids under {region_prefix or 'the district'}: run seed_demo first.")
    mean_household = sum(s * w for s, w in zip(HOUSEHOLD_SIZES, HOUSEHOLD_SHARES, strict=True))
    generator = _Generator(seed, persons / mean_household / len(grids))
    progress(f"Generating {len(grids)} grids…")
    for code, geom in grids:
        for dwelling_id, building_id, address in generator.grid(code, geom):
            generator.household(code, dwelling_id, building_id, address)
    rows = generator.rows
    progress("Writing…")
    with transaction.atomic():
        if connection.vendor == "postgresql":
            _write_copy(rows, progress)
        else:
            _write_orm(rows, progress, batch)
    progress("ANALYZE, and the population figures per grid…")
    analyze(*(model for model, _name in _TABLES))
    figures_rebuild()
    summary = Summary(
        grids=len(grids),
        parcels=len(rows.parcels),
        buildings=len(rows.buildings),
        dwellings=len(rows.dwellings),
        persons=len(rows.persons),
        links=len(rows.links),
        key_group_members=len(rows.tags),
        organisations=len(rows.organisations),
        seconds=time.perf_counter() - started,
    )
    return summary


__all__ = [
    "DEMO_PERSONS",
    "REFERENCE_PERSONS",
    "PopulationExistsError",
    "Summary",
    "demo_street_code",
    "generate_population",
]

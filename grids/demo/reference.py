"""The reference district's real data (grids/data/) and the demo org chart that goes with it.

Names, codes and the outer boundary are real (see grids/data/SOURCES.md). The departments and
asset classes below are demo data in the shape DOMAIN.md describes; once seeded they live in
the database and are edited in the admin, never read from here at run time.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
DISTRICT_CODE = "370203"
DISTRICT_NAME = "市北区"

# The CSV names communities by their committee (…社区居委会, twice …社区居民委员会); the
# platform names the place, so the committee suffix is dropped: "科技街社区".
_COMMITTEE_SUFFIXES = ("居民委员会", "居委会")


@dataclass(frozen=True)
class StreetRecord:
    code: str
    name: str


@dataclass(frozen=True)
class CommunityRecord:
    code: str
    name: str
    street_code: str


def community_place_name(committee_name: str) -> str:
    """The place, not its residents' committee: 科技街社区居委会 → 科技街社区."""
    for suffix in _COMMITTEE_SUFFIXES:
        if committee_name.endswith(suffix):
            return committee_name.removesuffix(suffix)
    return committee_name


def load_district_boundary() -> BaseGeometry:
    """The real outer boundary of 370203 as a shapely (Multi)Polygon in WGS 84."""
    with (DATA_DIR / f"district_{DISTRICT_CODE}.geojson").open(encoding="utf-8") as handle:
        collection = json.load(handle)
    features = [
        feature
        for feature in collection["features"]
        if feature["properties"].get("code") == DISTRICT_CODE
    ]
    if len(features) != 1:
        raise ValueError(f"expected one feature with code {DISTRICT_CODE}, got {len(features)}")
    boundary = shape(features[0]["geometry"])
    if not boundary.is_valid:
        boundary = shapely.make_valid(boundary)
    return boundary


def load_streets() -> list[StreetRecord]:
    """The 22 streets of 370203, ordered by code."""
    with (DATA_DIR / f"streets_{DISTRICT_CODE}.csv").open(encoding="utf-8", newline="") as handle:
        rows = [
            StreetRecord(code=row["code"], name=row["name"])
            for row in csv.DictReader(handle)
            if row["areaCode"] == DISTRICT_CODE
        ]
    return sorted(rows, key=lambda row: row.code)


def load_communities() -> list[CommunityRecord]:
    """The 137 communities of 370203 with place names (committee suffix dropped), by code."""
    path = DATA_DIR / f"communities_{DISTRICT_CODE}.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [
            CommunityRecord(
                code=row["code"],
                name=community_place_name(row["name"]),
                street_code=row["streetCode"],
            )
            for row in csv.DictReader(handle)
            if row["areaCode"] == DISTRICT_CODE
        ]
    return sorted(rows, key=lambda row: row.code)


@dataclass(frozen=True)
class DepartmentRecord:
    key: str
    code: str
    name: str


# The district's professional departments (专业部门) that cases are dispatched to. The keys
# name them in ASSET_CLASSES below.
DEPARTMENTS: tuple[DepartmentRecord, ...] = (
    DepartmentRecord("city_management", f"{DISTRICT_CODE}-D01", "区城市管理局"),
    DepartmentRecord("housing", f"{DISTRICT_CODE}-D02", "区住房和城乡建设局"),
    DepartmentRecord("market", f"{DISTRICT_CODE}-D03", "区市场监督管理局"),
    DepartmentRecord("environment", f"{DISTRICT_CODE}-D04", "区生态环境分局"),
    DepartmentRecord("greenery", f"{DISTRICT_CODE}-D05", "区园林和林业局"),
    DepartmentRecord("transport", f"{DISTRICT_CODE}-D06", "区交通运输局"),
    DepartmentRecord("water", f"{DISTRICT_CODE}-D07", "区水务局"),
    DepartmentRecord("emergency", f"{DISTRICT_CODE}-D08", "区应急管理局"),
    DepartmentRecord("health", f"{DISTRICT_CODE}-D09", "区卫生健康局"),
    DepartmentRecord("police", f"{DISTRICT_CODE}-D10", "区公安分局"),
    DepartmentRecord("culture", f"{DISTRICT_CODE}-D11", "区文化和旅游局"),
    DepartmentRecord("commerce", f"{DISTRICT_CODE}-D12", "区商务局"),
    DepartmentRecord("natural_resources", f"{DISTRICT_CODE}-D13", "区自然资源局"),
)


def street_office_code(street_code: str) -> str:
    return f"{street_code}-SO"


def street_office_name(street_name: str) -> str:
    return f"{street_name}办事处"


@dataclass(frozen=True)
class AssetClass:
    """A component class (部件小类) with its three responsible departments (by key)."""

    major: str
    minor: str
    name: str
    in_charge: str
    owner: str
    maintenance: str
    # Relative frequency on the street: covers and lamps far outnumber toilets.
    weight: int


# Major classes follow DOMAIN.md §3 (01 public facilities … 04 parks & greenery); 0101 上水井盖
# and 0102 污水井盖 are the standard's codes. The other minor numbers follow the order common in
# deployed systems and are demo values: the district's own catalogue is authoritative.
ASSET_CLASSES: tuple[AssetClass, ...] = (
    AssetClass("01", "01", "上水井盖", "city_management", "water", "water", 12),
    AssetClass("01", "02", "污水井盖", "city_management", "water", "water", 12),
    AssetClass("01", "03", "雨水井盖", "city_management", "water", "city_management", 10),
    AssetClass("01", "04", "雨水箅子", "city_management", "water", "city_management", 10),
    AssetClass("01", "12", "公安井盖", "police", "police", "police", 3),
    AssetClass("01", "18", "路灯", "city_management", "city_management", "city_management", 14),
    AssetClass("02", "03", "公交站亭", "transport", "transport", "city_management", 4),
    AssetClass("02", "07", "交通标志牌", "police", "transport", "transport", 5),
    AssetClass("03", "01", "公共厕所", "city_management", "city_management", "city_management", 2),
    AssetClass("03", "06", "垃圾箱", "city_management", "city_management", "city_management", 14),
    AssetClass("03", "07", "报刊亭", "city_management", "commerce", "commerce", 2),
    AssetClass("04", "02", "行道树", "greenery", "greenery", "greenery", 8),
    AssetClass("04", "06", "城市雕塑", "culture", "culture", "greenery", 1),
    AssetClass("04", "07", "街头座椅", "greenery", "greenery", "greenery", 3),
)

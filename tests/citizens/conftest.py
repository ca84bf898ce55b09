"""A small registry on the box district of tests/conftest.py.

Grid A = 370203001001001 (north-west, lon 120.30–120.31, lat 36.09–36.10), in community
370203001001 of street 370203001. Grid B = 370203002002002 (south-east, street 370203002).

- parcel P-A in grid A with building B-A (dwellings 1-101, 1-102);
- building B-B in grid B (dwelling 1-201), no parcel;
- Alice owns and lives in 1-101 with Bob; Carol rents 1-102, whose owner Dave lives in B-B;
  Erin lives in B-B. Carol is an elderly person living alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from django.contrib.auth.models import Permission
from django.contrib.gis.geos import Polygon

from citizens import idnumbers
from citizens.models import (
    Building,
    Dwelling,
    DwellingUse,
    KeyGroup,
    Organisation,
    Parcel,
    Person,
)
from citizens.services import (
    building_create,
    dwelling_create,
    key_group_tag,
    key_groups_seed,
    occupancy_link,
    parcel_create,
    person_register,
)
from grids.models import Region, Role, User

GRID_A = "370203001001001"
COMMUNITY_A = "370203001001"
GRID_B = "370203002002002"


def rect(x0: float, y0: float, dx: float = 0.0004, dy: float = 0.0002) -> Polygon:
    return Polygon.from_bbox((x0, y0, x0 + dx, y0 + dy))


def id_number(n: int, born: date = date(1980, 5, 17), sex: str = "F") -> str:
    return idnumbers.make_number("370203", born, n, sex)


@dataclass
class Registry:
    regions: dict[str, Region]
    parcel: Parcel
    building_a: Building
    building_b: Building
    d101: Dwelling
    d102: Dwelling
    d201: Dwelling
    persons: dict[str, Person]
    numbers: dict[str, str]
    elderly_alone: KeyGroup
    users: dict[str, User]


@pytest.fixture
def registry(district, make_user) -> Registry:
    groups = {group.code: group for group in key_groups_seed()}
    parcel = parcel_create(code="P-A", name="地块甲", geom=rect(120.301, 36.091, 0.002, 0.002))
    building_a = building_create(
        code="B-A", address="辽宁路1号", footprint=rect(120.3015, 36.0915), floors=6, parcel=parcel
    )
    building_b = building_create(
        code="B-B", address="延安路9号", footprint=rect(120.335, 36.085), floors=4
    )
    d101 = dwelling_create(building=building_a, unit="1", floor=1, room="101", use=DwellingUse.HOME)
    d102 = dwelling_create(building=building_a, unit="1", floor=1, room="102", use=DwellingUse.HOME)
    d201 = dwelling_create(building=building_b, unit="1", floor=2, room="201", use=DwellingUse.HOME)
    numbers = {
        "alice": id_number(1, date(1975, 3, 2), "F"),
        "bob": id_number(2, date(1973, 8, 30), "M"),
        "carol": id_number(3, date(1940, 1, 9), "F"),
        "dave": id_number(4, date(1969, 12, 1), "M"),
        "erin": id_number(5, date(1990, 6, 6), "F"),
    }
    persons = {
        key: person_register(name=key.title(), id_number=number, phone="13812345678")
        for key, number in numbers.items()
    }
    occupancy_link(person=persons["alice"], dwelling=d101, role="owner", since=date(2010, 1, 1))
    occupancy_link(person=persons["bob"], dwelling=d101, role="resident")
    occupancy_link(person=persons["carol"], dwelling=d102, role="tenant")
    occupancy_link(person=persons["dave"], dwelling=d201, role="owner")
    occupancy_link(person=persons["dave"], dwelling=d102, role="owner", lives_here=False)
    occupancy_link(person=persons["erin"], dwelling=d201, role="resident")
    key_group_tag(person=persons["carol"], group=groups["elderly_alone"])
    Organisation.objects.create(
        credit_code="91370203MA3C000001",
        name="甲便利店",
        building=building_a,
        dwelling=d102,
        grid_id=building_a.grid_id,
    )

    whole = Permission.objects.get(codename="view_full_id_number")
    staff_a = make_user(Role.COMMUNITY_STAFF, region=district[COMMUNITY_A], username="staff-a")
    trusted = make_user(Role.COMMUNITY_STAFF, region=district[COMMUNITY_A], username="trusted-a")
    trusted.user_permissions.add(whole)
    foreign = make_user(Role.COMMUNITY_STAFF, region=district["370203002002"], username="staff-b")
    foreign.user_permissions.add(whole)
    users = {
        "staff_a": staff_a,
        "trusted_a": User.objects.get(pk=trusted.pk),  # fresh permission cache
        "foreign": User.objects.get(pk=foreign.pk),
        "inspector_a": make_user(Role.INSPECTOR, region=district[GRID_A], username="insp-a"),
        "leader": make_user(Role.DISTRICT_LEADER, region=district["370203"], username="leader"),
        "auditor": make_user(Role.AUDITOR, region=district["370203"], username="auditor"),
        "citizen": User.objects.create_user(username="citizen", password="pw-123456!"),
    }
    for person in persons.values():
        person.refresh_from_db()
    return Registry(
        regions=district,
        parcel=parcel,
        building_a=building_a,
        building_b=building_b,
        d101=d101,
        d102=d102,
        d201=d201,
        persons=persons,
        numbers=numbers,
        elderly_alone=groups["elderly_alone"],
        users=users,
    )

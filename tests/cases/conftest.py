"""A small world for the closed loop: the box district of tests/conftest.py, one department,
one street office, two catalogue items and one user per role."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.contrib.gis.geos import Point

from cases.models import Case, Domain, Family, FilingCondition, Item, LimitUnit, Status
from cases.services import ReportInput, case_report
from grids.models import Region, Role, Unit, UnitKind, User

GRID = "370203001001001"  # north-west grid of the box district
POINT_IN_GRID = Point(120.305, 36.095, srid=4326)
OTHER_GRID_POINT = Point(120.335, 36.085, srid=4326)  # grid 370203002002002

_request_ids = itertools.count(1)


def rid() -> str:
    return f"req-{next(_request_ids)}"


@dataclass
class World:
    regions: dict[str, Region]
    department: Unit
    street_office: Unit
    item: Item
    natural_item: Item
    users: dict[str, User]

    def report(self, actor: User | None = None, **overrides: object) -> Case:
        data = ReportInput(
            source=overrides.pop("source", "inspector"),
            item_id=overrides.pop("item_id", self.item.pk),
            description=overrides.pop("description", "路边暴露垃圾一堆"),
            point=overrides.pop("point", POINT_IN_GRID),
            address=overrides.pop("address", "辽宁路1号"),
        )
        for key, value in overrides.items():
            setattr(data, key, value)
        return case_report(
            actor=actor if actor is not None else self.users[Role.INSPECTOR],
            data=data,
            request_id=rid(),
        )


@pytest.fixture
def world(district, make_user) -> World:
    department = Unit.objects.create(
        code="370203-D01", name="区城市管理局", kind=UnitKind.DEPARTMENT, region=district["370203"]
    )
    street_office = Unit.objects.create(
        code="370203001-SO",
        name="一号街道办事处",
        kind=UnitKind.STREET_OFFICE,
        region=district["370203001"],
    )
    domain = Domain.objects.create(code="01", name="市容环境")
    item = Item.objects.create(
        domain=domain,
        code="S010201",
        name="暴露垃圾",
        family=Family.EVENT,
        major_class="01",
        minor_class="02",
        default_unit=department,
        default_unit_code=department.code,
        legal_basis="《城市市容和环境卫生管理条例》",
        handling_standard="清理干净",
    )
    FilingCondition.objects.create(
        item=item,
        code="01",
        description="暴露垃圾 1 处",
        closing_condition="清理完毕",
        limit_value=Decimal("4"),
        limit_unit=LimitUnit.WORKING_HOURS,
    )
    natural_item = Item.objects.create(
        domain=domain,
        code="B010101",
        name="上水井盖",
        family=Family.COMPONENT,
        major_class="01",
        minor_class="01",
        legal_basis="-",
        handling_standard="-",
    )
    FilingCondition.objects.create(
        item=natural_item,
        code="01",
        description="井盖缺失",
        closing_condition="补齐",
        limit_value=Decimal("6"),
        limit_unit=LimitUnit.NATURAL_HOURS,
    )
    d = district["370203"]
    users = {
        Role.INSPECTOR: make_user(Role.INSPECTOR, region=district[GRID], username="inspector"),
        Role.INTAKE_OPERATOR: make_user(Role.INTAKE_OPERATOR, region=d, username="intake"),
        Role.SHIFT_SUPERVISOR: make_user(Role.SHIFT_SUPERVISOR, region=d, username="supervisor"),
        Role.DISPATCHER: make_user(Role.DISPATCHER, region=d, username="dispatcher"),
        Role.UNIT_HANDLER: make_user(Role.UNIT_HANDLER, unit=department, username="handler"),
        Role.STREET_OFFICER: make_user(
            Role.STREET_OFFICER, region=district["370203001"], username="street"
        ),
        Role.COMMUNITY_STAFF: make_user(
            Role.COMMUNITY_STAFF, region=district["370203001001"], username="community"
        ),
        Role.DISTRICT_LEADER: make_user(Role.DISTRICT_LEADER, region=d, username="leader"),
        Role.ADMINISTRATOR: make_user(Role.ADMINISTRATOR, region=d, username="admin"),
    }
    return World(district, department, street_office, item, natural_item, users)


def put_in_state(case: Case, status: str, **fields: object) -> Case:
    """Place a case in a state directly, for tests that start mid-loop."""
    values: dict[str, object] = {"status": status, **fields}
    if status == Status.CLOSED:
        values.setdefault("closure_kind", "normal")
    Case.objects.filter(pk=case.pk).update(**values)
    case.refresh_from_db()
    return case

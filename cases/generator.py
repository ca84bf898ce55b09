"""Generated case history: days of the closed loop at the reference district's volume, in bulk.

`generate_cases` (behind `manage.py generate_cases`) writes cases and their events as if every
one had gone through `cases.services`, without calling them: a year at 3,000 reports a day is
about 1.1 M cases and 10 M events, and one service call per step would take days.

- **Paths follow the workflow table.** Each step is checked against `cases.workflow.TRANSITIONS`
  the way `case_transition` checks it (source state, pending request), and the state after it
  is the row's target. The per-action effects (unit, counters, closure kind, requests) mirror
  `cases.handlers`, and the clocks mirror `cases.deadlines` on limits read once (the service
  versions read StageLimit, UrgencyFactor and DeadlineSettings on every call).
- **Cases start at their entry level**, as `case_report` starts them
  (`cases.routing.choose_entry_level` on the items' levels and the entry-level rules, read
  once); the district pushes some of the cases in its own loop down to a street or community.
  Joint handling, urging and supervision are not generated: they write rows beside the case
  (co-handling units, guardian grants, supervisions) and this writes cases and events only.
- **Timelines are cut at now.** Each case's whole path is drawn, then every step after `now` is
  dropped, so the last days hold cases open in every state with their clocks running, and
  reports after `now` never happen.
- **Numbers continue the live sequence.** Per district and day the numbers are taken from
  CaseNumberSequence under its row lock, so live reports made afterwards (or meanwhile) carry on
  without a collision. Event request ids are ``gen-<case number>-<n>``.
- **Writing.** Per day, in one transaction: PostgreSQL gets COPY for both tables (ids for the
  cases are drawn from the sequence first, so events and duplicates can name them); other
  backends (SpatiaLite) get bulk_create in batches. No outbox rows are written: this is history,
  nobody is waiting for those notifications.
- **Reruns.** A range that already holds generated reports is refused unless ``append`` is
  set, which adds more cases to those days (numbers continue).

Staff: the demo accounts are used where they hold posts; what is missing is created in bulk
(``gen-*`` users without a usable password): an inspector per grid, a street officer per
street, a community worker per community, a handler per unit, and a few intake operators,
shift supervisors, dispatchers and a leader per district.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import random
import time as time_module
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.gis.geos import GEOSGeometry
from django.db import connection, connections, transaction
from django.db.models import F
from django.utils import timezone

from cases.catalogue import effective_limit
from cases.deadlines import STAGE_OF_STATUS, stage_limit
from cases.models import (
    LEVELS_UP,
    Case,
    CaseEvent,
    CaseNumberSequence,
    ClosureKind,
    DeadlineSettings,
    EntryLevelRule,
    Family,
    HandlingLevel,
    Item,
    PendingRequest,
    SourceChannel,
    Stage,
    Status,
    Urgency,
)
from cases.partitions import ensure_partitions
from cases.routing import choose_entry_level
from cases.workflow import TRANSITIONS, Action
from cases.worktime import (
    NATURAL_HOURS,
    WORKING_HOURS,
    WorkCalendar,
    load_calendar,
    working_time_between,
)
from cases.worktime import add_limit as _add_limit
from config.dbstats import analyze
from grids.models import GridKind, InspectorType, Level, Post, Region, Role, Unit, UnitKind, User

__all__ = [
    "GENERATED_PREFIX",
    "DayResult",
    "GenerationRefused",
    "GenerationSummary",
    "generate_cases",
    "generated_reports_exist",
]

GENERATED_PREFIX = "gen-"
MAX_PER_DAY = 999_999  # the number's serial has six digits

# --- the mix (local practice, tuned to DOMAIN.md §1 and §4) -------------------------------------

CHANNEL_SHARES: tuple[tuple[str, float], ...] = (
    (SourceChannel.INSPECTOR, 0.55),
    (SourceChannel.HOTLINE_12345, 0.20),
    (SourceChannel.CITIZEN_APP, 0.08),
    (SourceChannel.WECHAT, 0.06),
    (SourceChannel.WEB, 0.03),
    (SourceChannel.POLICE_110, 0.03),
    (SourceChannel.VIDEO, 0.03),
    (SourceChannel.AGENCY, 0.02),
)
SELF_HANDLED_SHARE = 0.10  # of inspector reports
# Reports per hour of the day: inspectors patrol in the daytime, the public calls into the night.
# fmt: off
INSPECTOR_HOURS = (0, 0, 0, 0, 0, 0.2, 1, 4, 9, 10, 10, 9,
                   5, 6, 9, 10, 9, 7, 3, 1, 0.5, 0.3, 0.2, 0)
PUBLIC_HOURS = (1, 0.6, 0.4, 0.3, 0.3, 0.6, 1.5, 3, 5, 6, 6, 5.5,
                4.5, 4.5, 5, 5.5, 5.5, 5, 4.5, 4.5, 4, 3, 2, 1.5)
# fmt: on
URGENCY_SHARES: tuple[tuple[str, float], ...] = (
    (Urgency.NORMAL, 0.85),
    (Urgency.URGENT, 0.12),
    (Urgency.VERY_URGENT, 0.03),
)
# Where the district pushes the cases that entered its own loop (normal urgency): most stay.
LEVEL_SHARES: tuple[tuple[str, float], ...] = (
    (HandlingLevel.DISTRICT, 0.80),
    (HandlingLevel.STREET, 0.12),
    (HandlingLevel.COMMUNITY, 0.08),
)
P_VERIFY = 0.80  # public reports sent to the grid's inspector for verification
P_NOT_FOUND = 0.12  # … where the inspector finds nothing
P_DUPLICATE = 0.03
P_REJECT_PUBLIC = 0.05
P_REJECT_INSPECTOR = 0.015
P_VOID_REGISTERED = 0.008
P_VOID_FILED = 0.004
P_WRONG_DISPATCH = 0.03
P_APPROVE_RETURN = 0.85
P_CLOSE_EXCEPTIONALLY = 0.005
P_SUSPEND = 0.01
P_APPROVE_SUSPENSION = 0.8
P_EXTEND = 0.05
P_SECOND_EXTENSION = 0.10
P_APPROVE_EXTENSION = 0.85
P_LATE = 0.10  # the unit feeds back after the handling due
P_ESCALATE_LATE = 0.5  # a late case handled below the district is escalated by the sweeper
P_CHECK_FAIL = 0.07
MAX_REWORKS = 2
P_RATE = 0.35  # closed public reports rated by phone
FIELD_HOURS = (7, 21)  # units and inspectors act between these local hours; intake round the clock
FIRST_CONDITION_SHARE = 0.7  # the item's first filing condition; the others share the rest

# Staff created where the database has fewer (per district).
COMMAND_STAFF: tuple[tuple[str, int, str], ...] = (
    (Role.INTAKE_OPERATOR, 6, "受理员"),
    (Role.SHIFT_SUPERVISOR, 3, "值班长"),
    (Role.DISPATCHER, 4, "派遣员"),
    (Role.DISTRICT_LEADER, 1, "区领导"),
)

NOTES: dict[str, tuple[str, ...]] = {
    Action.REJECT: ("不属于受理范围", "描述不清，无法核实", "现场核实不存在该问题"),
    Action.VOID: ("不符合立案条件", "重复立案，予以作废"),
    Action.REQUEST_RETURN: ("非本单位职责，申请回退", "派遣错误，申请退回重新派遣"),
    Action.DENY_RETURN: ("经核对属于本单位职责，请予处置",),
    Action.REQUEST_EXTENSION: ("需协调多部门，申请延期", "材料采购中，申请延期"),
    Action.DENY_EXTENSION: ("不符合延期条件，请按时处置",),
    Action.REQUEST_SUSPENSION: ("需纳入工程计划，申请挂账", "季节性原因暂无法处置，申请挂账"),
    Action.DENY_SUSPENSION: ("不符合挂账条件，请继续处置",),
    Action.FEEDBACK: ("已处置完毕", "已清理完毕，现场恢复", "已维修完成"),
    Action.CHECK_FAIL: ("现场仍存在问题，需返工", "处置不彻底，请重新处置"),
    Action.ESCALATE: ("处置超时，自动上报",),
    Action.SELF_HANDLE: ("网格员现场自行处置",),
}
EXCEPTIONAL_NOTES = {
    ClosureKind.ERRONEOUS: "立案错误，按错误案件结案",
    ClosureKind.SPECIAL: "涉及历史遗留问题，按特殊案件结案",
}
DESCRIPTION_DETAILS = ("，请尽快处理", "，影响通行", "，居民反映强烈", "", "，已持续多日")

_T = TypeVar("_T")
_ONE_SECOND = timedelta(seconds=1)
_PUBLIC = frozenset(c for c, _share in CHANNEL_SHARES) - {SourceChannel.INSPECTOR}
_CLOSED = frozenset({Status.CLOSED, Status.REJECTED, Status.DUPLICATE, Status.VOIDED})
_SYSTEM: tuple[int | None, str] = (None, "system")


class GenerationRefused(Exception):
    """The generator will not run: bad arguments, missing seed data, or a range already done."""


class _Cutoff(Exception):
    """The next step would happen after now: the case stays where it is."""


class GeneratorBug(AssertionError):
    """A generated step the workflow table does not allow (a bug here, never bad input)."""


@dataclass(frozen=True)
class DayResult:
    day: date
    cases: int
    events: int


@dataclass
class GenerationSummary:
    first_day: date
    last_day: date
    cases: int = 0
    events: int = 0
    staff_created: int = 0
    seconds: float = 0.0
    statuses: Counter[str] = field(default_factory=Counter)

    def lines(self) -> list[str]:
        rate = self.cases / self.seconds if self.seconds else 0.0
        event_rate = self.events / self.seconds if self.seconds else 0.0
        statuses = ", ".join(f"{s} {n}" for s, n in sorted(self.statuses.items()))
        return [
            f"{self.first_day} … {self.last_day}: {self.cases} cases, {self.events} events",
            f"staff created: {self.staff_created}",
            f"statuses: {statuses}",
            f"done in {self.seconds:.1f} s ({rate:.0f} cases/s, {event_rate:.0f} events/s)",
        ]


# --- reference data, read once --------------------------------------------------------------


@dataclass
class _Staff:
    inspectors: dict[str, list[int]]  # grid code → users
    command: dict[tuple[str, str], list[int]]  # (role, district code) → users
    street_officers: dict[str, list[int]]
    community_staff: dict[str, list[int]]
    handlers: dict[int, list[int]]  # unit id → users
    created: int = 0


@dataclass
class _World:
    tz: ZoneInfo
    calendar: WorkCalendar
    warn_share: Decimal
    stage_limits: dict[str, tuple[Decimal, str]]
    names: dict[str, str]  # region code → name
    grid_codes: list[str]
    grid_parent: list[str]
    grid_geoms: np.ndarray  # prepared shapely geometries
    grid_bounds: np.ndarray
    grid_weights: np.ndarray
    item_ids: list[int]
    item_names: list[str]
    item_units: list[int | None]
    item_levels: list[str]  # each item's entry level
    entry_rules: dict[tuple[int, str], str]  # (item, street or community code) → entry level
    item_conditions: list[list[int]]
    item_weights: np.ndarray
    condition_limits: dict[int, tuple[Decimal, str]]  # as filed: the extension asks as much
    handling: dict[tuple[int, str], tuple[Decimal, str]]  # (condition, urgency) → limit
    departments: list[int]
    street_offices: dict[str, int]  # street code → unit
    unit_names: dict[int, str]
    staff: _Staff = field(init=False)


def _load_world(seed: int) -> _World:
    tz = ZoneInfo(settings.TIME_ZONE or "Asia/Shanghai")
    regions = list(Region.objects.values_list("code", "name", "level", "parent_id", "kind"))
    names = {code: name for code, name, *_ in regions}
    grids = sorted((r for r in regions if r[2] == Level.GRID), key=lambda r: r[0])
    if not grids:
        raise GenerationRefused("No grids: load the district first (manage.py seed_demo).")
    geoms = dict(Region.objects.filter(level=Level.GRID).values_list("code", "geom"))
    grid_codes = [r[0] for r in grids]
    shapes = np.array([shapely.from_wkb(bytes(geoms[code].wkb)) for code in grid_codes])
    shapely.prepare(shapes)
    rng = np.random.default_rng([seed, 1])
    # Busier and quieter grids: area times a lognormal factor; big extended sites are quieter.
    area = shapely.area(shapes)
    kind_factor = np.array([0.4 if r[4] == GridKind.EXTENDED else 1.0 for r in grids])
    grid_weights = area * kind_factor * rng.lognormal(0.0, 0.5, len(grids))

    items = list(
        Item.objects.filter(is_active=True).prefetch_related("conditions").order_by("code")
    )
    items = [item for item in items if item.conditions.all()]
    if not items:
        raise GenerationRefused("No catalogue items: load them first (manage.py seed_catalogue).")
    # A few items make most of the cases (rubbish, roads, street order): Zipf over a shuffle.
    ranks = rng.permutation(len(items)) + 1
    family_factor = np.array([1.5 if item.family == Family.EVENT else 1.0 for item in items])
    item_weights = family_factor / ranks**0.9
    conditions = {
        item.pk: sorted(item.conditions.all(), key=lambda c: (c.order, c.code)) for item in items
    }
    handling: dict[tuple[int, str], tuple[Decimal, str]] = {}
    condition_limits: dict[int, tuple[Decimal, str]] = {}
    for item_conditions in conditions.values():
        for condition in item_conditions:
            condition_limits[condition.pk] = (Decimal(condition.limit_value), condition.limit_unit)
            for urgency in Urgency.values:
                value, unit = effective_limit(condition, urgency)
                handling[(condition.pk, urgency)] = (value, str(unit))
    units = list(Unit.objects.filter(is_active=True).select_related("region").order_by("code"))
    world = _World(
        tz=tz,
        calendar=load_calendar(),
        warn_share=Decimal(str(DeadlineSettings.current().warn_share)),
        stage_limits={stage: stage_limit(stage) for stage in Stage.values if stage != Stage.HANDLE},
        names=names,
        grid_codes=grid_codes,
        grid_parent=[str(r[3]) for r in grids],
        grid_geoms=shapes,
        grid_bounds=shapely.bounds(shapes),
        grid_weights=grid_weights / grid_weights.sum(),
        item_ids=[item.pk for item in items],
        item_names=[item.name for item in items],
        item_units=[item.default_unit_id for item in items],
        item_levels=[item.entry_level for item in items],
        entry_rules={
            (item_id, code): level
            for item_id, code, level in EntryLevelRule.objects.filter(is_active=True).values_list(
                "item_id", "region__code", "entry_level"
            )
        },
        item_conditions=[[c.pk for c in conditions[item.pk]] for item in items],
        item_weights=item_weights / item_weights.sum(),
        condition_limits=condition_limits,
        handling=handling,
        departments=[u.pk for u in units if u.kind == UnitKind.DEPARTMENT],
        street_offices={
            u.region.code: u.pk
            for u in reversed(units)
            if u.kind == UnitKind.STREET_OFFICE and u.region.level == Level.STREET
        },
        unit_names={u.pk: u.name for u in units},
    )
    if not world.departments:
        raise GenerationRefused("No active department to dispatch to: run seed_demo first.")
    world.staff = _ensure_staff(world, units)
    return world


def _ensure_staff(world: _World, units: list[Unit]) -> _Staff:
    """Posts for every place a step needs a person; what is missing is created in bulk."""
    posts = list(
        Post.objects.filter(is_active=True, user__is_active=True).values_list(
            "user_id", "role", "region__code", "unit_id"
        )
    )
    grid_codes = world.grid_codes
    communities = sorted(set(world.grid_parent))
    streets = sorted({code[:9] for code in communities})
    districts = sorted({code[:6] for code in streets})
    have = Counter((role, region or unit) for _user, role, region, unit in posts)
    wanted: list[tuple[str, str, str, str | None, int | None]] = []  # username, label, role, …

    def want(username: str, label: str, role: str, region: str | None, unit: int | None) -> None:
        wanted.append((username, label, role, region, unit))

    for district in districts:
        for role, count, label in COMMAND_STAFF:
            for n in range(have[(role, district)] + 1, count + 1):
                want(f"{GENERATED_PREFIX}{role}-{district}-{n:02d}", label, role, district, None)
    for street in streets:
        if not have[(Role.STREET_OFFICER, street)]:
            want(
                f"{GENERATED_PREFIX}street-{street}",
                "街道工作人员",
                Role.STREET_OFFICER,
                street,
                None,
            )
    for community in communities:
        if not have[(Role.COMMUNITY_STAFF, community)]:
            want(
                f"{GENERATED_PREFIX}community-{community}",
                "社区工作人员",
                Role.COMMUNITY_STAFF,
                community,
                None,
            )
    for grid in grid_codes:
        if not have[(Role.INSPECTOR, grid)]:
            want(f"{GENERATED_PREFIX}inspector-{grid}", "网格员", Role.INSPECTOR, grid, None)
    for unit in units:
        if not have[(Role.UNIT_HANDLER, unit.pk)]:
            want(
                f"{GENERATED_PREFIX}handler-{unit.code}",
                "处置人员",
                Role.UNIT_HANDLER,
                None,
                unit.pk,
            )
    if wanted:
        usernames = [w[0] for w in wanted]
        existing = set(
            User.objects.filter(username__in=usernames).values_list("username", flat=True)
        )
        # One unusable password for all: these accounts are actors in history, not logins.
        unusable = make_password(None)
        User.objects.bulk_create(
            [
                User(username=username, first_name=label, password=unusable)
                for username, label, *_rest in wanted
                if username not in existing
            ],
            batch_size=1000,
        )
        user_ids = dict(User.objects.filter(username__in=usernames).values_list("username", "pk"))
        region_ids = dict(
            Region.objects.filter(code__in={w[3] for w in wanted if w[3]}).values_list("code", "pk")
        )
        Post.objects.bulk_create(
            [
                Post(
                    user_id=user_ids[username],
                    role=role,
                    region_id=region_ids[region] if region else None,
                    unit_id=unit,
                    inspector_type=InspectorType.FULL_TIME if role == Role.INSPECTOR else "",
                )
                for username, _label, role, region, unit in wanted
            ],
            batch_size=1000,
            ignore_conflicts=True,
        )
        posts = list(
            Post.objects.filter(is_active=True, user__is_active=True).values_list(
                "user_id", "role", "region__code", "unit_id"
            )
        )
    staff = _Staff({}, {}, {}, {}, {}, created=len(wanted))
    for user, role, region, unit_id in sorted(posts, key=lambda p: (p[0], p[1], str(p[2:]))):
        if role == Role.INSPECTOR and region:
            staff.inspectors.setdefault(region, []).append(user)
        elif role == Role.STREET_OFFICER and region:
            staff.street_officers.setdefault(region, []).append(user)
        elif role == Role.COMMUNITY_STAFF and region:
            staff.community_staff.setdefault(region, []).append(user)
        elif role == Role.UNIT_HANDLER and unit_id:
            staff.handlers.setdefault(unit_id, []).append(user)
        elif region and len(region) == 6:
            staff.command.setdefault((role, region), []).append(user)
    missing = [g for g in grid_codes if g not in staff.inspectors]
    missing += [s for s in streets if s not in staff.street_officers]
    missing += [c for c in communities if c not in staff.community_staff]
    missing += [
        f"{role}@{d}"
        for d in districts
        for role, *_ in COMMAND_STAFF
        if (role, d) not in staff.command
    ]
    missing += [str(u.pk) for u in units if u.pk not in staff.handlers]
    if missing:
        raise GenerationRefused(
            "Some places have only inactive posts (reactivate or remove them): "
            + ", ".join(missing[:10])
        )
    return staff


# --- one case, walked step by step ------------------------------------------------------------


class _Case:
    """One case while its day is generated: the row's fields and its clocks, plain attributes."""

    # Set once, before the walk.
    id: int
    index: int
    number: str
    source: str
    reporter: tuple[int | None, str]
    item: int
    item_index: int
    condition: int
    urgency: str
    description: str
    address: str
    point: str  # hex EWKB
    grid: str
    grid_index: int
    community: str
    street: str
    district: str
    self_handled: bool
    target_level: str
    original: _Case | None
    reported_at: datetime
    # Changed by the walk.
    last_at: datetime
    status: str
    level: str
    unit: int | None
    pending: str
    pending_data: dict[str, Any]
    duplicate_of: int | None
    verified: bool | None
    version: int
    filed_at: datetime | None
    dispatched_at: datetime | None
    handled_at: datetime | None
    closed_at: datetime | None
    suspended_at: datetime | None
    closure_kind: str
    stage: str
    stage_start: datetime | None
    stage_limit: tuple[Decimal, str]
    stage_warn_unit: str
    stage_due: datetime | None
    stage_warn: datetime | None
    case_due: datetime | None
    case_warn: datetime | None
    reworks: int
    extensions: int
    returns: int
    rating: int | None
    n_events: int
    end_at: datetime | None

    __slots__ = (
        "address",
        "case_due",
        "case_warn",
        "closed_at",
        "closure_kind",
        "community",
        "condition",
        "description",
        "dispatched_at",
        "district",
        "duplicate_of",
        "end_at",
        "extensions",
        "filed_at",
        "grid",
        "grid_index",
        "handled_at",
        "id",
        "index",
        "item",
        "item_index",
        "last_at",
        "level",
        "n_events",
        "number",
        "original",
        "pending",
        "pending_data",
        "point",
        "rating",
        "reported_at",
        "reporter",
        "returns",
        "reworks",
        "self_handled",
        "source",
        "stage",
        "stage_due",
        "stage_limit",
        "stage_start",
        "stage_warn",
        "stage_warn_unit",
        "status",
        "street",
        "suspended_at",
        "target_level",
        "unit",
        "urgency",
        "verified",
        "version",
    )

    def __init__(self) -> None:
        self.status = ""
        self.level = HandlingLevel.DISTRICT
        self.unit = self.duplicate_of = self.rating = None
        self.pending = PendingRequest.NONE
        self.pending_data = {}
        self.original = None
        self.verified = None
        self.version = self.n_events = 0
        self.filed_at = self.dispatched_at = self.handled_at = self.closed_at = None
        self.suspended_at = self.end_at = None
        self.closure_kind = self.stage = self.stage_warn_unit = ""
        self.stage_start = self.stage_due = self.stage_warn = None
        self.case_due = self.case_warn = None
        self.reworks = self.extensions = self.returns = 0


def _known(value: _T | None) -> _T:
    """A value the walk has set by now (a bug here if not)."""
    if value is None:
        raise GeneratorBug("a clock or unit the workflow should have set is missing")
    return value


class _DayGenerator:
    """Walks one day's cases through the workflow; events collect in `events`."""

    def __init__(self, world: _World, rnd: random.Random, cutoff: datetime) -> None:
        self.world = world
        self.rnd = rnd
        self.cutoff = cutoff
        self.events: list[tuple[Any, ...]] = []
        self.calendar = world.calendar

    # -- clocks (cases.deadlines, on limits read once) ----------------------------------------

    def _add(self, start: datetime, value: Decimal, unit: str) -> datetime:
        return _add_limit(start, value, unit, self.calendar)

    def _warn_at(self, start: datetime, due: datetime, unit: str) -> datetime:
        share = self.world.warn_share
        if unit == NATURAL_HOURS:
            return start + (due - start) * float(share)
        hours = Decimal(working_time_between(start, due, self.calendar).total_seconds()) / 3600
        return self._add(start, hours * share, WORKING_HOURS)

    def _set_stage(self, c: _Case, stage: str, start: datetime, limit: tuple[Decimal, str]) -> None:
        # Due and warning are worked out when needed: most stages pass before anyone looks.
        c.stage, c.stage_start, c.stage_limit = stage, start, limit
        c.stage_warn_unit = limit[1]
        c.stage_due = c.stage_warn = None

    def stage_due(self, c: _Case) -> datetime:
        if c.stage_due is None:
            c.stage_due = self._add(_known(c.stage_start), *c.stage_limit)
        return c.stage_due

    def stage_warn(self, c: _Case) -> datetime:
        if c.stage_warn is None:
            start = _known(c.stage_start)
            c.stage_warn = self._warn_at(start, self.stage_due(c), c.stage_warn_unit)
        return c.stage_warn

    def case_warn(self, c: _Case) -> datetime | None:
        if c.case_warn is None and c.case_due is not None:
            c.case_warn = self._warn_at(_known(c.filed_at), c.case_due, WORKING_HOURS)
        return c.case_warn

    def _handling_limit(self, c: _Case) -> tuple[Decimal, str]:
        return self.world.handling[(c.condition, c.urgency)]

    def _apply_clock(self, c: _Case, from_status: str, now: datetime) -> None:
        status = c.status
        if status in _CLOSED:
            c.stage, c.stage_start, c.stage_due, c.stage_warn = "", None, None, None
            return
        if status == Status.SUSPENDED:
            c.stage = Stage.HANDLE
            return
        if status == Status.FILED and from_status == Status.REGISTERED:
            c.filed_at = now
            due = now
            limits = self.world.stage_limits
            for step in (Stage.DISPATCH, Stage.HANDLE, Stage.SEND_CHECK, Stage.CHECK, Stage.CLOSE):
                limit = self._handling_limit(c) if step == Stage.HANDLE else limits[step]
                due = self._add(due, *limit)
            c.case_due, c.case_warn = due, None
        stage = STAGE_OF_STATUS[status]
        if stage == Stage.HANDLE:
            restart = from_status == Status.FILED or (
                status == Status.HANDLING and from_status == Status.CHECKING
            )
            if restart or c.stage != Stage.HANDLE or c.stage_start is None:
                self._set_stage(c, Stage.HANDLE, now, self._handling_limit(c))
            return
        if status != from_status or c.stage != stage:
            self._set_stage(c, stage, now, self.world.stage_limits[stage])

    def _extend(self, c: _Case, value: Decimal, unit: str) -> None:
        if c.stage_start is not None:
            c.stage_due = self._add(self.stage_due(c), value, unit)
            c.stage_warn, c.stage_warn_unit = None, unit
        if c.case_due is not None and c.filed_at is not None:
            c.case_due = self._add(c.case_due, value, unit)
            c.case_warn = None

    def _resume(self, c: _Case, now: datetime) -> timedelta:
        if c.suspended_at is None:
            return timedelta(0)
        slept = working_time_between(c.suspended_at, now, self.calendar)
        hours = Decimal(slept.total_seconds()) / 3600
        if c.stage_start is not None:
            c.stage_warn = self._add(self.stage_warn(c), hours, WORKING_HOURS)
            c.stage_due = self._add(self.stage_due(c), hours, WORKING_HOURS)
        if c.case_due is not None:
            c.case_warn = self._add(_known(self.case_warn(c)), hours, WORKING_HOURS)
            c.case_due = self._add(c.case_due, hours, WORKING_HOURS)
        return slept

    # -- one step ----------------------------------------------------------------------------

    def do(
        self,
        c: _Case,
        action: Action,
        at: datetime,
        actor: tuple[int | None, str],
        *,
        note: str = "",
        payload: Any = None,
        on_site: bool = False,
    ) -> datetime:
        """Take one step at `at` (or a second after the last one), as case_transition would."""
        if at <= c.last_at:
            at = c.last_at + _ONE_SECOND
        if at > self.cutoff:
            raise _Cutoff
        row = TRANSITIONS[action]
        from_status, from_level = c.status, c.level
        if row.creates_case:
            if from_status:
                raise GeneratorBug(f"{action} on an existing case")
        elif from_status not in row.sources:
            raise GeneratorBug(f"{action} is not allowed from {from_status}")
        if row.needs_pending is not None and c.pending != row.needs_pending:
            raise GeneratorBug(f"{action} with pending request {c.pending!r}")
        data = self._effects(c, action, at, payload, note)
        if row.target is not None:
            c.status = row.target
        if row.opens_request:
            c.pending = row.opens_request
        elif row.needs_pending not in (None, PendingRequest.NONE) or (
            row.target is not None and row.target != from_status
        ):
            c.pending, c.pending_data = PendingRequest.NONE, {}
        self._apply_clock(c, from_status, at)
        c.version += 1
        c.n_events += 1
        c.last_at = at
        if c.status in _CLOSED and c.end_at is None:
            c.end_at = at
        creates = row.creates_case
        self.events.append(
            (
                c.id,
                f"{GENERATED_PREFIX}{c.number}-{c.n_events}",
                action.value,
                actor[0],
                actor[1],
                at,
                c.point if on_site or creates else None,
                from_status,
                c.status,
                "" if creates else from_level,
                c.level,
                None if creates else c.unit,
                note,
                data,
                c.version,
            )
        )
        return at

    def _effects(
        self, c: _Case, action: Action, at: datetime, payload: Any, note: str
    ) -> dict[str, Any]:
        """What cases.handlers does for the action; returns what the event records."""
        if action is Action.REPORT or action is Action.SELF_HANDLE:
            if action is Action.SELF_HANDLE:
                c.closure_kind, c.closed_at = ClosureKind.NORMAL, at
            return {"source": c.source, "urgency": c.urgency}
        if action is Action.DISPATCH:
            c.unit, c.dispatched_at = payload, at
            return {"unit_id": payload, "unit_name": self.world.unit_names[payload]}
        if action is Action.FEEDBACK:
            c.handled_at = at
        elif action is Action.VERIFY:
            c.verified = payload
            return {"confirmed": payload}
        elif action is Action.MARK_DUPLICATE:
            c.duplicate_of = payload.id
            return {"original_case_id": payload.id, "original_number": payload.number}
        elif action is Action.CHECK_FAIL:
            c.reworks += 1
            c.handled_at = None
            return {"rework": c.reworks}
        elif action is Action.CLOSE:
            overdue = c.case_due is not None and at > c.case_due
            c.closure_kind = ClosureKind.OVERDUE if overdue else ClosureKind.NORMAL
            c.closed_at = at
            return {"closure_kind": c.closure_kind}
        elif action is Action.CLOSE_EXCEPTIONALLY:
            c.closure_kind, c.closed_at = payload, at
            return {"closure_kind": payload}
        elif action is Action.REQUEST_EXTENSION:
            value, unit = payload
            c.pending_data = {"value": str(value), "unit": unit, "reason": note}
            return {"value": str(value), "unit": unit}
        elif action is Action.APPROVE_EXTENSION:
            value, unit = Decimal(c.pending_data["value"]), c.pending_data["unit"]
            c.extensions += 1
            self._extend(c, value, unit)
            due = self.stage_due(c)
            return {"value": str(value), "unit": unit, "stage_due_at": due.isoformat()}
        elif action is Action.REQUEST_RETURN or action is Action.REQUEST_SUSPENSION:
            c.pending_data = {"reason": note}
        elif action is Action.APPROVE_RETURN:
            returned_from = c.unit
            c.returns += 1
            c.unit = c.dispatched_at = None
            return {"returned_by_unit_id": returned_from}
        elif action is Action.APPROVE_SUSPENSION:
            c.suspended_at = at
        elif action is Action.RESUME:
            slept = self._resume(c, at)
            c.suspended_at = None
            return {"suspended_working_seconds": int(slept.total_seconds())}
        elif action is Action.ESCALATE or action is Action.PUSH_DOWN:
            index = LEVELS_UP.index(c.level) + (1 if action is Action.ESCALATE else -1)
            from_level, c.level = c.level, LEVELS_UP[index]
            return {"from_level": from_level, "to_level": c.level}
        elif action is Action.RATE:
            c.rating = payload
            return {"rating": payload}
        return {}

    # -- who acts ----------------------------------------------------------------------------

    def inspector(self, c: _Case) -> tuple[int | None, str]:
        return self.rnd.choice(self.world.staff.inspectors[c.grid]), Role.INSPECTOR

    def command(self, c: _Case, role: str) -> tuple[int | None, str]:
        """The command-centre role at the case's level; street and community staff stand in."""
        staff = self.world.staff
        if c.level == HandlingLevel.STREET:
            return self.rnd.choice(staff.street_officers[c.street]), Role.STREET_OFFICER
        if c.level == HandlingLevel.COMMUNITY:
            return self.rnd.choice(staff.community_staff[c.community]), Role.COMMUNITY_STAFF
        return self.rnd.choice(staff.command[(role, c.district)]), role

    def district_role(self, c: _Case, role: str) -> tuple[int | None, str]:
        return self.rnd.choice(self.world.staff.command[(role, c.district)]), role

    def handler(self, unit: int) -> tuple[int | None, str]:
        return self.rnd.choice(self.world.staff.handlers[unit]), Role.UNIT_HANDLER

    def note(self, action: Action) -> str:
        return self.rnd.choice(NOTES[action])

    # -- how long things take ----------------------------------------------------------------

    def daytime(self, at: datetime) -> datetime:
        """Units and inspectors work by day: a step due at night happens the next morning."""
        local = at.astimezone(self.world.tz)
        if FIELD_HOURS[0] <= local.hour < FIELD_HOURS[1]:
            return at
        morning = local.date() if local.hour < FIELD_HOURS[0] else local.date() + timedelta(days=1)
        start = datetime.combine(morning, time(FIELD_HOURS[0]), tzinfo=self.world.tz)
        return (start + timedelta(seconds=self.rnd.uniform(0, 7200))).astimezone(UTC)

    def command_delay(self) -> timedelta:
        return timedelta(seconds=60 + min(21600.0, self.rnd.lognormvariate(6.4, 0.9)))

    def on_site_delay(self) -> timedelta:
        # Median about 20 minutes: some 15 % miss the 30-minute limit.
        return timedelta(seconds=300 + self.rnd.lognormvariate(6.8, 0.5))

    def unit_delay(self) -> timedelta:
        return timedelta(seconds=120 + min(86400.0, self.rnd.lognormvariate(7.5, 0.8)))

    # -- the whole path ----------------------------------------------------------------------

    def run(self, c: _Case) -> None:
        with contextlib.suppress(_Cutoff):
            self._walk(c)

    def _walk(self, c: _Case) -> None:
        r = self.rnd.random
        t = c.reported_at
        if c.self_handled:
            self.do(c, Action.SELF_HANDLE, t, c.reporter, note=self.note(Action.SELF_HANDLE))
            return
        t = self.do(c, Action.REPORT, t, c.reporter)
        public = c.source in _PUBLIC
        if public and r() < P_VERIFY:
            t = self.do(
                c,
                Action.SEND_VERIFY,
                t + self.command_delay(),
                self.command(c, Role.INTAKE_OPERATOR),
            )
            confirmed = r() >= P_NOT_FOUND
            t = self.do(
                c,
                Action.VERIFY,
                self.daytime(t + self.on_site_delay()),
                self.inspector(c),
                payload=confirmed,
                on_site=True,
            )
            if not confirmed:
                intake = self.command(c, Role.INTAKE_OPERATOR)
                self.do(
                    c, Action.REJECT, t + self.command_delay(), intake, note=NOTES[Action.REJECT][2]
                )
                return
        t += self.command_delay()
        intake = self.command(c, Role.INTAKE_OPERATOR)
        original = c.original
        if original is not None and (original.end_at is None or original.end_at > t):
            self.do(c, Action.MARK_DUPLICATE, t, intake, payload=original)
            return
        if r() < (P_REJECT_PUBLIC if public else P_REJECT_INSPECTOR):
            self.do(c, Action.REJECT, t, intake, note=self.note(Action.REJECT))
            return
        t = self.do(c, Action.REGISTER, t, intake)
        if r() < P_VOID_REGISTERED:
            supervisor = self.command(c, Role.SHIFT_SUPERVISOR)
            self.do(
                c, Action.VOID, t + self.command_delay(), supervisor, note=self.note(Action.VOID)
            )
            return
        t = self.do(
            c, Action.FILE, t + self.command_delay(), self.command(c, Role.SHIFT_SUPERVISOR)
        )
        if r() < P_VOID_FILED:
            supervisor = self.command(c, Role.SHIFT_SUPERVISOR)
            self.do(
                c, Action.VOID, t + self.command_delay(), supervisor, note=self.note(Action.VOID)
            )
            return
        # Cases start at their entry level; the district pushes some of its own down.
        while c.level != c.target_level:
            t = self.do(
                c, Action.PUSH_DOWN, t + self.command_delay(), self.command(c, Role.DISPATCHER)
            )
        unit = self._right_unit(c)
        wrong = self._wrong_unit(unit) if r() < P_WRONG_DISPATCH else None
        dispatcher = self.command(c, Role.DISPATCHER)
        if wrong is not None:
            t = self.do(c, Action.DISPATCH, t + self.command_delay(), dispatcher, payload=wrong)
            t = self.do(
                c,
                Action.REQUEST_RETURN,
                self.daytime(t + self.unit_delay()),
                self.handler(wrong),
                note=self.note(Action.REQUEST_RETURN),
            )
            dispatcher = self.command(c, Role.DISPATCHER)
            if r() < P_APPROVE_RETURN:
                t = self.do(c, Action.APPROVE_RETURN, t + self.command_delay(), dispatcher)
                t = self.do(c, Action.DISPATCH, t + self.command_delay(), dispatcher, payload=unit)
            else:
                t = self.do(
                    c,
                    Action.DENY_RETURN,
                    t + self.command_delay(),
                    dispatcher,
                    note=self.note(Action.DENY_RETURN),
                )
        else:
            t = self.do(c, Action.DISPATCH, t + self.command_delay(), dispatcher, payload=unit)
        t = self.do(
            c, Action.SIGN_FOR, self.daytime(t + self.unit_delay()), self.handler(_known(c.unit))
        )
        if r() < P_CLOSE_EXCEPTIONALLY:
            kind = ClosureKind.SPECIAL if r() < 0.5 else ClosureKind.ERRONEOUS
            supervisor = self.command(c, Role.SHIFT_SUPERVISOR)
            at = t + self.unit_delay() * 3
            self.do(
                c,
                Action.CLOSE_EXCEPTIONALLY,
                at,
                supervisor,
                note=EXCEPTIONAL_NOTES[kind],
                payload=kind,
            )
            return
        t = self._requests(c, t)
        while True:
            t = self._handle(c, t)
            t = self.do(
                c,
                Action.SEND_CHECK,
                t + self.command_delay(),
                self.command(c, Role.INTAKE_OPERATOR),
            )
            at = self.daytime(t + self.on_site_delay())
            if c.reworks < MAX_REWORKS and r() < P_CHECK_FAIL:
                note = self.note(Action.CHECK_FAIL)
                t = self.do(c, Action.CHECK_FAIL, at, self.inspector(c), note=note, on_site=True)
                continue
            t = self.do(c, Action.CHECK_PASS, at, self.inspector(c), on_site=True)
            break
        t = self.do(
            c, Action.CLOSE, t + self.command_delay(), self.command(c, Role.SHIFT_SUPERVISOR)
        )
        if public and r() < P_RATE:
            rating = self.rnd.choices((5, 4, 3, 2, 1), (55, 25, 10, 5, 5))[0]
            at = t + timedelta(seconds=600 + self.rnd.lognormvariate(9.5, 0.8))
            self.do(c, Action.RATE, at, self.district_role(c, Role.INTAKE_OPERATOR), payload=rating)

    def _requests(self, c: _Case, t: datetime) -> datetime:
        """Suspension and extensions, asked for while handling."""
        r = self.rnd.random
        if r() < P_SUSPEND:
            handler = self.handler(_known(c.unit))
            t = self.do(
                c,
                Action.REQUEST_SUSPENSION,
                self.daytime(t + self.unit_delay()),
                handler,
                note=self.note(Action.REQUEST_SUSPENSION),
            )
            supervisor = self.command(c, Role.SHIFT_SUPERVISOR)
            if r() < P_APPROVE_SUSPENSION:
                t = self.do(c, Action.APPROVE_SUSPENSION, t + self.command_delay(), supervisor)
                slept = timedelta(days=min(120.0, self.rnd.lognormvariate(2.3, 0.9)))
                t = self.do(c, Action.RESUME, t + slept, self.command(c, Role.SHIFT_SUPERVISOR))
            else:
                note = self.note(Action.DENY_SUSPENSION)
                t = self.do(
                    c, Action.DENY_SUSPENSION, t + self.command_delay(), supervisor, note=note
                )
        if r() < P_EXTEND:
            for _ in range(2):
                start, due = _known(c.stage_start), self.stage_due(c)
                at = self.daytime(max(t, start + (due - start) * self.rnd.uniform(0.5, 0.9)))
                limit = self.world.condition_limits[c.condition]
                note = self.note(Action.REQUEST_EXTENSION)
                t = self.do(
                    c,
                    Action.REQUEST_EXTENSION,
                    at,
                    self.handler(_known(c.unit)),
                    note=note,
                    payload=limit,
                )
                first = c.extensions == 0
                approver = (
                    self.command(c, Role.SHIFT_SUPERVISOR)
                    if first
                    else self.district_role(c, Role.DISTRICT_LEADER)
                )
                if r() >= P_APPROVE_EXTENSION:
                    note = self.note(Action.DENY_EXTENSION)
                    t = self.do(
                        c, Action.DENY_EXTENSION, t + self.command_delay(), approver, note=note
                    )
                    break
                t = self.do(c, Action.APPROVE_EXTENSION, t + self.command_delay(), approver)
                if r() >= P_SECOND_EXTENSION:
                    break
        return t

    def _handle(self, c: _Case, t: datetime) -> datetime:
        """The unit works until it feeds back, mostly within the limit; late ones may escalate."""
        r = self.rnd.random
        start, due = _known(c.stage_start), self.stage_due(c)
        late = r() < P_LATE
        share = 1.0 + self.rnd.expovariate(2.0) if late else self.rnd.uniform(0.1, 0.95)
        at = self.daytime(max(start + (due - start) * share, t + timedelta(minutes=5)))
        if late and c.level != HandlingLevel.DISTRICT and r() < P_ESCALATE_LATE:
            swept = due + timedelta(seconds=self.rnd.uniform(30, 900))
            if t < swept < at:
                t = self.do(c, Action.ESCALATE, swept, _SYSTEM, note=self.note(Action.ESCALATE))
        return self.do(
            c, Action.FEEDBACK, at, self.handler(_known(c.unit)), note=self.note(Action.FEEDBACK)
        )

    def _right_unit(self, c: _Case) -> int:
        world = self.world
        if c.level in (HandlingLevel.STREET, HandlingLevel.COMMUNITY):
            office = world.street_offices.get(c.street)
            if office is not None:
                return office
        unit = world.item_units[c.item_index]
        if unit is None or unit not in world.unit_names:
            return world.departments[0]
        return unit

    def _wrong_unit(self, unit: int) -> int | None:
        others = [d for d in self.world.departments if d != unit]
        return self.rnd.choice(others) if others else None


# --- a day --------------------------------------------------------------------------------------


def _day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return start, end


def _shares(pairs: tuple[tuple[str, float], ...]) -> tuple[list[str], np.ndarray]:
    values = [value for value, _share in pairs]
    weights = np.array([share for _value, share in pairs], dtype=float)
    return values, weights / weights.sum()


def _hour_weights(hours: tuple[float, ...]) -> np.ndarray:
    weights = np.array(hours, dtype=float)
    return weights / weights.sum()


_CHANNELS, _CHANNEL_P = _shares(CHANNEL_SHARES)
_URGENCIES, _URGENCY_P = _shares(URGENCY_SHARES)
_LEVELS, _LEVEL_P = _shares(LEVEL_SHARES)
_INSPECTOR_HOUR_P = _hour_weights(INSPECTOR_HOURS)
_PUBLIC_HOUR_P = _hour_weights(PUBLIC_HOURS)


def _random_points(world: _World, grids: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A uniform random point inside each given grid (rejection sampling on the bounding box)."""
    bounds = world.grid_bounds[grids]
    x = np.empty(len(grids))
    y = np.empty(len(grids))
    todo = np.arange(len(grids))
    for _attempt in range(100):
        if not len(todo):
            break
        b = bounds[todo]
        x[todo] = b[:, 0] + rng.random(len(todo)) * (b[:, 2] - b[:, 0])
        y[todo] = b[:, 1] + rng.random(len(todo)) * (b[:, 3] - b[:, 1])
        inside = shapely.contains_xy(world.grid_geoms[grids[todo]], x[todo], y[todo])
        todo = todo[~inside]
    if len(todo):  # pathological slivers: a point that is surely inside
        surface = shapely.point_on_surface(world.grid_geoms[grids[todo]])
        x[todo], y[todo] = shapely.get_x(surface), shapely.get_y(surface)
    return np.column_stack([x, y])


def _hex_points(xy: np.ndarray) -> list[str]:
    points = shapely.set_srid(shapely.points(xy), 4326)
    return list(shapely.to_wkb(points, hex=True, include_srid=True))


def _jitter_inside(world: _World, grid_index: int, x: float, y: float, rnd: random.Random) -> str:
    """A point within about 20 m of (x, y) in the same grid: the same problem, reported again."""
    for _attempt in range(5):
        jx, jy = x + rnd.uniform(-2e-4, 2e-4), y + rnd.uniform(-1.6e-4, 1.6e-4)
        if shapely.contains_xy(world.grid_geoms[grid_index], jx, jy):
            x, y = jx, jy
            break
    return _hex_points(np.array([[x, y]]))[0]


@dataclass
class _DayCases:
    rows: list[dict[str, Any]]
    events: list[tuple[Any, ...]]
    statuses: Counter[str]


def _generate_day(
    world: _World, day: date, per_day: int, seed: int, cutoff: datetime, reserver: _Reserver
) -> _DayCases:
    rng = np.random.default_rng([seed, 2, day.toordinal()])
    rnd = random.Random(f"{seed}-{day.isoformat()}")  # noqa: S311 - demo data, not secrets
    day_start, day_end = _day_bounds(day, world.tz)
    n = per_day
    channel = rng.choice(len(_CHANNELS), size=n, p=_CHANNEL_P)
    inspector = channel == _CHANNELS.index(SourceChannel.INSPECTOR)
    self_handled = inspector & (rng.random(n) < SELF_HANDLED_SHARE)
    hour = np.where(
        inspector,
        rng.choice(24, size=n, p=_INSPECTOR_HOUR_P),
        rng.choice(24, size=n, p=_PUBLIC_HOUR_P),
    )
    day_seconds = (day_end - day_start).total_seconds()
    offset = np.minimum((hour * 3600 + rng.random(n) * 3600) * day_seconds / 86400, day_seconds - 1)
    order = np.argsort(offset, kind="stable")
    offset = offset[order]
    keep = int(np.searchsorted(offset, (cutoff - day_start).total_seconds(), side="right"))
    order, offset = order[:keep], offset[:keep]
    channel, self_handled = channel[order], self_handled[order]
    n = keep
    grids = rng.choice(len(world.grid_codes), size=n, p=world.grid_weights)
    items = rng.choice(len(world.item_ids), size=n, p=world.item_weights)
    urgency = rng.choice(len(_URGENCIES), size=n, p=_URGENCY_P)
    level = rng.choice(len(_LEVELS), size=n, p=_LEVEL_P)
    duplicate = rng.random(n) < P_DUPLICATE
    xy = _random_points(world, grids, rng)
    points = _hex_points(xy)

    generator = _DayGenerator(world, rnd, cutoff)
    cases: list[_Case] = []
    districts = [world.grid_codes[g][:6] for g in grids]
    numbers = reserver.numbers(day, Counter(districts))
    ids = reserver.ids(n)
    for i in range(n):
        c = _Case()
        g = int(grids[i])
        c.id = ids[i]
        c.reported_at = c.last_at = day_start + timedelta(seconds=float(offset[i]))
        c.last_at -= _ONE_SECOND
        c.self_handled = bool(self_handled[i])
        c.source = SourceChannel.SELF_HANDLED if c.self_handled else _CHANNELS[channel[i]]
        c.urgency = _URGENCIES[urgency[i]]
        c.original = None
        if duplicate[i] and not c.self_handled and i:
            c.original = _pick_original(cases, c.reported_at, districts[i], rnd)
        if c.original is not None:
            o = c.original
            g, c.item_index, c.item, c.condition = o.grid_index, o.item_index, o.item, o.condition
            c.urgency = o.urgency
            c.point = _jitter_inside(world, g, xy[o.index][0], xy[o.index][1], rnd)
        else:
            c.item_index = int(items[i])
            c.item = world.item_ids[c.item_index]
            conditions = world.item_conditions[c.item_index]
            c.condition = conditions[0]
            if len(conditions) > 1 and rnd.random() > FIRST_CONDITION_SHARE:
                c.condition = rnd.choice(conditions)
            c.point = points[i]
        c.grid_index, c.index = g, i
        c.grid = world.grid_codes[g]
        c.community, c.street, c.district = c.grid[:12], c.grid[:9], c.grid[:6]
        prefix, serials = numbers[c.district]
        c.number = f"{prefix}{next(serials):06d}"
        if c.source == SourceChannel.INSPECTOR or c.self_handled:
            c.reporter = generator.inspector(c)
        elif c.source in (SourceChannel.HOTLINE_12345, SourceChannel.POLICE_110):
            c.reporter = generator.district_role(c, Role.INTAKE_OPERATOR)
        else:
            c.reporter = _SYSTEM
        # Where the case starts: the services' rule (cases.routing) on the data read once.
        rules = world.entry_rules
        item_level = (
            rules.get((c.item, c.community))
            or rules.get((c.item, c.street))
            or world.item_levels[c.item_index]
        )
        c.level = choose_entry_level(
            item_level=item_level,
            urgency=c.urgency,
            self_handled=c.self_handled,
            reporter_role=c.reporter[1],
        )
        pushed = c.level == HandlingLevel.DISTRICT and c.urgency == Urgency.NORMAL
        c.target_level = _LEVELS[level[i]] if pushed else c.level
        name = world.item_names[c.item_index]
        c.description = f"{name}{rnd.choice(DESCRIPTION_DETAILS)}"
        place = world.names.get(c.street, "") + world.names.get(c.community, "")
        c.address = f"{place}{rnd.randint(1, 300)}号附近"
        generator.run(c)
        cases.append(c)
    rows = [_case_values(c, generator) for c in cases]
    return _DayCases(rows, generator.events, Counter(c.status for c in cases))


def _pick_original(
    earlier: list[_Case], at: datetime, district: str, rnd: random.Random
) -> _Case | None:
    """An earlier case of the day, in the same district (its numbers are counted already), still
    open a while after `at`, and not itself a copy."""
    margin = at + timedelta(hours=1)
    for _attempt in range(20):
        o = earlier[rnd.randrange(max(0, len(earlier) - 300), len(earlier))]
        if o.self_handled or o.original is not None or o.status == Status.DUPLICATE:
            continue
        if o.district != district:
            continue
        if o.end_at is None or o.end_at > margin:
            return o
    return None


# --- writing ----------------------------------------------------------------------------------


def _case_values(c: _Case, gen: _DayGenerator) -> dict[str, Any]:
    is_open = c.status not in _CLOSED
    stage_due: datetime | None
    stage_warn: datetime | None
    if c.stage_start is not None and is_open:
        stage_due, stage_warn = gen.stage_due(c), gen.stage_warn(c)
    else:
        stage_due = stage_warn = None
    return {
        "id": c.id,
        "number": c.number,
        "source": c.source,
        "reporter_id": c.reporter[0],
        "reporter_contact_id": None,
        "item_id": c.item,
        "condition_id": c.condition,
        "urgency": c.urgency,
        "description": c.description,
        "point": c.point,
        "address": c.address[:255],
        "district_id": c.district,
        "street_id": c.street,
        "community_id": c.community,
        "grid_id": c.grid,
        "handling_level": c.level,
        "handling_unit_id": c.unit,
        "status": c.status,
        "closure_kind": c.closure_kind,
        "pending_request": c.pending,
        "pending_request_data": c.pending_data,
        "duplicate_of_id": c.duplicate_of,
        "verified": c.verified,
        "version": c.version,
        "reported_at": c.reported_at,
        "filed_at": c.filed_at,
        "dispatched_at": c.dispatched_at,
        "handled_at": c.handled_at,
        "closed_at": c.closed_at,
        "stage": c.stage if is_open else "",
        "stage_started_at": c.stage_start if is_open else None,
        "stage_warn_at": stage_warn,
        "stage_due_at": stage_due,
        # cases.deadlines.first_sweep_at: the sweep looks at a running clock from its warning.
        "sweep_at": None if c.status == Status.SUSPENDED else (stage_warn or stage_due),
        "case_warn_at": gen.case_warn(c),
        "case_due_at": c.case_due,
        "suspended_at": c.suspended_at,
        "reworks_count": c.reworks,
        "extensions_count": c.extensions,
        "returns_count": c.returns,
        "rating": c.rating,
        "rating_comment": "",
        "created_at": c.reported_at,
        "updated_at": c.last_at,
    }


EVENT_COLUMNS = (
    "case_id",
    "request_id",
    "action",
    "actor_id",
    "actor_role",
    "created_at",
    "point",
    "from_status",
    "to_status",
    "from_level",
    "to_level",
    "handling_unit_id",
    "note",
    "data",
    "version",
)


class _Reserver:
    """Numbers and ids, taken inside the day's transaction."""

    def numbers(self, day: date, counts: Counter[str]) -> dict[str, tuple[str, Iterator[int]]]:
        """Per district: the number prefix and the serials this day's cases take, in order."""
        out: dict[str, tuple[str, Iterator[int]]] = {}
        for district_code, count in sorted(counts.items()):
            CaseNumberSequence.objects.get_or_create(district_code=district_code, day=day)
            seq = CaseNumberSequence.objects.select_for_update().get(
                district_code=district_code, day=day
            )
            first = seq.last + 1
            if seq.last + count > MAX_PER_DAY:
                raise GenerationRefused(f"{district_code} {day}: more than {MAX_PER_DAY} numbers.")
            CaseNumberSequence.objects.filter(pk=seq.pk).update(last=F("last") + count)
            out[district_code] = (
                f"{district_code}-{day:%Y%m%d}-",
                iter(range(first, first + count)),
            )
        return out

    def ids(self, n: int) -> list[int]:
        table = Case._meta.db_table
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [table, n],
                )
                return [row[0] for row in cursor.fetchall()]
            # SQLite: the sequence rows above took the write lock, so nobody inserts meanwhile.
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
            top = cursor.fetchone()[0]
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            top = max(top, row[0] if row else 0)
            return list(range(top + 1, top + n + 1))


def _json(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")) if value else "{}"


class _CopyWriter:
    """PostgreSQL: COPY both tables (the point as hex EWKB, JSON as text)."""

    def __init__(self) -> None:
        self.case_fields = [(f.attname, f.column, f) for f in Case._meta.concrete_fields]
        self.json_fields = {
            f.attname for f in Case._meta.concrete_fields if f.get_internal_type() == "JSONField"
        }
        event_fields = {f.attname for f in CaseEvent._meta.concrete_fields} - {"id"}
        if event_fields != set(EVENT_COLUMNS):
            raise GeneratorBug(f"CaseEvent changed: {sorted(event_fields ^ set(EVENT_COLUMNS))}")

    def write(self, cases: list[dict[str, Any]], events: list[tuple[Any, ...]], batch: int) -> None:
        columns = ", ".join(f'"{column}"' for _a, column, _f in self.case_fields)
        event_column = {f.attname: f.column for f in CaseEvent._meta.concrete_fields}
        event_columns = ", ".join(f'"{event_column[a]}"' for a in EVENT_COLUMNS)
        with connection.cursor() as cursor:
            raw = cursor.cursor
            with raw.copy(f"COPY {Case._meta.db_table} ({columns}) FROM STDIN") as copy:
                for values in cases:
                    copy.write_row(
                        [
                            _json(values[a])
                            if a in self.json_fields
                            else values[a]
                            if a in values
                            else f.get_default()
                            for a, _c, f in self.case_fields
                        ]
                    )
            with raw.copy(f"COPY {CaseEvent._meta.db_table} ({event_columns}) FROM STDIN") as copy:
                for event in events:
                    row = list(event)
                    row[13] = _json(row[13])
                    copy.write_row(row)


class _OrmWriter:
    """Any other backend (SpatiaLite): bulk_create in batches."""

    def write(self, cases: list[dict[str, Any]], events: list[tuple[Any, ...]], batch: int) -> None:
        geometries: dict[str, GEOSGeometry] = {}

        def point(hex_point: str | None) -> GEOSGeometry | None:
            if hex_point is None:
                return None
            if hex_point not in geometries:
                geometries[hex_point] = GEOSGeometry(hex_point)
            return geometries[hex_point]

        Case.objects.bulk_create(
            [Case(**{**values, "point": point(values["point"])}) for values in cases],
            batch_size=batch,
        )
        CaseEvent.objects.bulk_create(
            [
                CaseEvent(
                    **{**dict(zip(EVENT_COLUMNS, event, strict=True)), "point": point(event[6])}
                )
                for event in events
            ],
            batch_size=batch,
        )
        if cases:
            # bulk_create stamps auto_now(_add) with the wall clock; history keeps its own times.
            ids = [values["id"] for values in cases]
            events_table = CaseEvent._meta.db_table
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {Case._meta.db_table} SET created_at = reported_at, "  # noqa: S608
                    f"updated_at = (SELECT MAX(e.created_at) FROM {events_table} e "
                    f"WHERE e.case_id = {Case._meta.db_table}.id) WHERE id BETWEEN %s AND %s",
                    [min(ids), max(ids)],
                )


# --- the entry point ----------------------------------------------------------------------------


def generated_reports_exist(first_day: date, last_day: date) -> bool:
    """Whether generated reports already lie in these (local) days."""
    tz = ZoneInfo(settings.TIME_ZONE or "Asia/Shanghai")
    start, _end = _day_bounds(first_day, tz)
    _start, end = _day_bounds(last_day, tz)
    return CaseEvent.objects.filter(
        action__in=[Action.REPORT, Action.SELF_HANDLE],
        created_at__gte=start,
        created_at__lt=end,
        request_id__startswith=GENERATED_PREFIX,
    ).exists()


def generate_cases(
    *,
    days: int,
    per_day: int,
    end_date: date | None = None,
    seed: int = 0,
    batch_size: int = 5000,
    append: bool = False,
    workers: int | None = 1,
    now: datetime | None = None,
    on_day: Callable[[DayResult], None] | None = None,
) -> GenerationSummary:
    """Write `days` days of history ending on `end_date` (default: today), `per_day` reports a
    day (fewer today: nothing is reported after `now`). One transaction per day.

    `workers` > 1 (PostgreSQL only, outside a transaction) writes that many days at once from
    forked processes, each on its own connection: the database's index upkeep then runs on
    several cores. None picks: the number of CPUs (at most 4) where that works, else 1. A
    failure stops the run; the days already written stay (each is whole).
    """
    started = time_module.perf_counter()
    now = now if now is not None else timezone.now()
    tz = ZoneInfo(settings.TIME_ZONE or "Asia/Shanghai")
    today = now.astimezone(tz).date()
    end_date = end_date or today
    parallel_ok = connection.vendor == "postgresql" and not connection.in_atomic_block
    if workers is None:
        workers = min(4, os.cpu_count() or 1) if parallel_ok else 1
    if days < 1 or per_day < 1 or per_day > MAX_PER_DAY or batch_size < 1 or workers < 1:
        raise GenerationRefused(f"days, batch, workers ≥ 1; 1 ≤ per-day ≤ {MAX_PER_DAY}.")
    if end_date > today:
        raise GenerationRefused(f"The end date {end_date} is after today ({today}).")
    if workers > 1 and not parallel_ok:
        raise GenerationRefused(
            "Parallel workers need PostgreSQL and no open transaction (they cannot see "
            "uncommitted rows); use one worker."
        )
    first_day = end_date - timedelta(days=days - 1)
    if not append and generated_reports_exist(first_day, end_date):
        raise GenerationRefused(
            f"Generated cases already exist between {first_day} and {end_date}. Use --append to "
            "add more to those days, or choose another range."
        )
    # The events' months exist before the days are written (their rows would otherwise wait
    # in the DEFAULT partition); a case reported on the last day may act until now.
    ensure_partitions(CaseEvent._meta.db_table, first_day, max(end_date, today))
    world = _load_world(seed)
    summary = GenerationSummary(first_day, end_date, staff_created=world.staff.created)
    job = _Job(world, per_day, seed, now, batch_size)
    all_days = [first_day + timedelta(days=n) for n in range(days)]
    results = map(job.write_day, all_days) if workers == 1 else _in_workers(job, all_days, workers)
    for result, statuses in results:
        summary.statuses.update(statuses)
        summary.cases += result.cases
        summary.events += result.events
        if on_day is not None:
            on_day(result)
    # Fresh statistics, so the planner knows the tables are no longer small.
    analyze(Case, CaseEvent, User, Post)
    summary.seconds = time_module.perf_counter() - started
    return summary


@dataclass
class _Job:
    world: _World
    per_day: int
    seed: int
    now: datetime
    batch_size: int

    def write_day(self, day: date) -> tuple[DayResult, Counter[str]]:
        writer = _CopyWriter() if connection.vendor == "postgresql" else _OrmWriter()
        with transaction.atomic():
            generated = _generate_day(
                self.world, day, self.per_day, self.seed, self.now, _Reserver()
            )
            writer.write(generated.rows, generated.events, self.batch_size)
        return DayResult(day, len(generated.rows), len(generated.events)), generated.statuses


_worker_job: _Job | None = None


def _write_day_in_worker(day: date) -> tuple[DayResult, Counter[str]]:
    if _worker_job is None:  # pragma: no cover - set before the fork
        raise GeneratorBug("worker started without a job")
    return _worker_job.write_day(day)


def _in_workers(
    job: _Job, days: list[date], workers: int
) -> Iterator[tuple[DayResult, Counter[str]]]:
    """Days written by forked processes; the reference data is inherited, not pickled."""
    global _worker_job
    # Forked children must open their own connections, never share the parent's socket.
    connections.close_all()
    _worker_job = job
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            yield from pool.imap_unordered(_write_day_in_worker, days)
    finally:
        _worker_job = None

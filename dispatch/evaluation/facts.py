"""From one case's history to its evaluation facts: a pure replay, no database.

The events do not carry the stage deadlines, so the replay runs the stage clock again the way
cases.deadlines does (same stage limits, same calendar, the approved extensions' recorded due,
the resumed cases' recorded sleep) and judges each action against the deadline of the stage it
ended. Every fact is dated by the local day of the event that settles it; a task still open
past its deadline is dated by the deadline's day until an event settles it (docs/evaluation.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from cases.deadlines import stage_to_start
from cases.models import CLOSED_STATUSES, ClosureKind, LimitUnit, SourceChannel, Stage, Status
from cases.workflow import Action
from cases.worktime import WorkCalendar, add_limit, working_time_between
from dispatch.evaluation.definitions import GROUP_ROLES, Metric
from dispatch.models import Group

PUBLIC_SOURCES = frozenset(
    {
        SourceChannel.HOTLINE_12345,
        SourceChannel.POLICE_110,
        SourceChannel.CITIZEN_APP,
        SourceChannel.WECHAT,
        SourceChannel.WEB,
        SourceChannel.AGENCY,
        SourceChannel.VIDEO,
    }
)
INTAKE_ACTIONS = frozenset(
    {
        Action.SEND_VERIFY,
        Action.REGISTER,
        Action.REJECT,
        Action.MARK_DUPLICATE,
        Action.SEND_CHECK,
    }
)
# Pressure on the handling unit (urged: 催办, supervised: 督办, by a person or the sweep).
PRESSURE: dict[str, Metric] = {
    Action.URGE: Metric.UNIT_URGED,
    Action.SUPERVISE: Metric.UNIT_SUPERVISED,
}
# Stage runs judged for timeliness: the stage, the action that ends it on time, the group.
TIMED_STAGES: dict[tuple[str, str], tuple[Metric, str]] = {
    (Stage.REGISTER, Action.SEND_VERIFY): (Metric.INTAKE_SEND_VERIFY, Group.INTAKE),
    (Stage.VERIFY, Action.VERIFY): (Metric.INSPECTOR_VERIFY, Group.INSPECTOR),
    (Stage.FILE, Action.FILE): (Metric.SUPERVISOR_FILE, Group.SUPERVISOR),
    (Stage.DISPATCH, Action.DISPATCH): (Metric.DISPATCHER_DISPATCH, Group.DISPATCHER),
    (Stage.SEND_CHECK, Action.SEND_CHECK): (Metric.INTAKE_SEND_CHECK, Group.INTAKE),
    (Stage.CHECK, Action.CHECK_PASS): (Metric.INSPECTOR_CHECK, Group.INSPECTOR),
    (Stage.CHECK, Action.CHECK_FAIL): (Metric.INSPECTOR_CHECK, Group.INSPECTOR),
    (Stage.CLOSE, Action.CLOSE): (Metric.SUPERVISOR_CLOSE, Group.SUPERVISOR),
}


@dataclass(frozen=True)
class CaseRow:
    id: int
    source: str
    status: str
    grid: str
    community: str
    street: str
    handling_unit_id: int | None
    condition_id: int
    urgency: str
    case_due_at: datetime | None
    closed_at: datetime | None
    closure_kind: str


@dataclass(frozen=True)
class EventRow:
    action: str
    at: datetime
    actor_id: int | None
    actor_role: str
    from_status: str
    to_status: str
    unit_id: int | None
    data: Mapping[str, Any]


@dataclass(frozen=True)
class Fact:
    case_id: int
    day: date
    metric: str
    group: str
    subject: str
    hit: bool
    value: int = 0


@dataclass
class Clock:
    """What the replay needs to know about time limits, read once per rebuild."""

    calendar: WorkCalendar
    stage_limits: Mapping[str, tuple[Decimal, str]]
    handling_limit: Callable[[int, str], tuple[Decimal, str]]
    local_day: Callable[[datetime], date]
    # grid code → the inspectors posted there (for the miss rate)
    grid_inspectors: Mapping[str, Sequence[int]] = field(default_factory=dict)


@dataclass
class _Run:
    """One run of a stage clock."""

    stage: str
    start: datetime
    limit: tuple[Decimal, str]
    unit_id: int | None
    due_at: datetime | None = None

    def due(self, clock: Clock) -> datetime:
        if self.due_at is None:
            self.due_at = add_limit(self.start, self.limit[0], self.limit[1], clock.calendar)
        return self.due_at


class _Replay:
    def __init__(self, case: CaseRow, clock: Clock, now: datetime) -> None:
        self.case = case
        self.clock = clock
        self.now = now
        self.facts: list[Fact] = []
        self.run: _Run | None = None
        self.reporter: tuple[int, str] | None = None  # inspector who reported, role
        self.report_settled = False
        self.filer: int | None = None
        self.filing_settled = False
        self.open_dispatches: list[int] = []  # dispatcher ids awaiting feedback or return
        self.reworked = False
        self.extended = False
        self.unit_id: int | None = None
        self.suspended_at: datetime | None = None
        self.pressed: set[tuple[str, int]] = set()  # (urge or supervise, unit) counted

    # -- output -----------------------------------------------------------------------------

    def add(
        self, at: datetime, metric: str, group: str, subject: object, hit: bool, value: int = 0
    ) -> None:
        self.facts.append(
            Fact(
                case_id=self.case.id,
                day=self.clock.local_day(at),
                metric=str(metric),
                group=str(group),
                subject=str(subject),
                hit=hit,
                value=value,
            )
        )

    # -- the clock ----------------------------------------------------------------------------

    def _start(self, stage: str, at: datetime) -> None:
        if stage == Stage.HANDLE:
            limit = self.clock.handling_limit(self.case.condition_id, self.case.urgency)
        else:
            limit = self.clock.stage_limits[stage]
        self.run = _Run(stage, at, limit, self.unit_id)

    def _end(self, event: EventRow) -> None:
        run = self.run
        self.run = None
        if run is None:
            return
        timed = TIMED_STAGES.get((run.stage, event.action))
        if timed is not None:
            metric, group = timed
            if event.actor_id is not None and event.actor_role == GROUP_ROLES[group]:
                self.add(event.at, metric, group, event.actor_id, event.at <= run.due(self.clock))
        if run.stage == Stage.HANDLE and event.action == Action.FEEDBACK and run.unit_id:
            on_time = event.at <= run.due(self.clock)
            self.add(event.at, Metric.UNIT_HANDLED, Group.UNIT, run.unit_id, True)
            self.add(event.at, Metric.UNIT_HANDLING_ON_TIME, Group.UNIT, run.unit_id, on_time)

    def _clock(self, event: EventRow) -> None:
        """cases.deadlines.apply_clock, on the replayed run."""
        run = self.run
        if event.action == Action.APPROVE_EXTENSION and run is not None:
            recorded = event.data.get("stage_due_at")
            if recorded:
                run.due_at = datetime.fromisoformat(str(recorded))
            else:
                value, unit = Decimal(str(event.data["value"])), str(event.data["unit"])
                run.due_at = add_limit(run.due(self.clock), value, unit, self.clock.calendar)
        if event.action == Action.APPROVE_SUSPENSION:
            self.suspended_at = event.at
        if event.action == Action.RESUME and run is not None:
            # As cases.deadlines.resume: the working time slept, to the microsecond (the
            # event records it in whole seconds only).
            if self.suspended_at is not None:
                seconds = working_time_between(
                    self.suspended_at, event.at, self.clock.calendar
                ).total_seconds()
            else:
                seconds = int(event.data.get("suspended_working_seconds", 0))
            slept = Decimal(seconds) / 3600
            run.due_at = add_limit(
                run.due(self.clock), slept, LimitUnit.WORKING_HOURS, self.clock.calendar
            )
            self.suspended_at = None
        status = event.to_status
        if status in CLOSED_STATUSES:
            self._end(event)
            return
        stage = stage_to_start(
            status=status,
            from_status=event.from_status,
            running_stage=run.stage if run is not None else None,
        )
        if stage is not None:
            self._end(event)
            self._start(stage, event.at)

    # -- one event ----------------------------------------------------------------------------

    def step(self, event: EventRow) -> None:
        action, at, actor = event.action, event.at, event.actor_id
        case = self.case
        if action in (Action.REPORT, Action.SELF_HANDLE):
            public = case.source in PUBLIC_SOURCES
            self.add(at, Metric.REGION_PUBLIC, Group.STREET, case.street, public)
            self.add(at, Metric.REGION_PUBLIC, Group.COMMUNITY, case.community, public)
            if actor is not None and event.actor_role == GROUP_ROLES[Group.INSPECTOR]:
                self.reporter = (actor, event.actor_role)
            if action == Action.SELF_HANDLE and self.reporter is not None:
                self._settle_report(at, valid=True)
        elif action in INTAKE_ACTIONS and event.actor_role == GROUP_ROLES[Group.INTAKE] and actor:
            self.add(at, Metric.INTAKE_VOLUME, Group.INTAKE, actor, True)

        if action == Action.FILE:
            self._settle_report(at, valid=True)
            public = case.source in PUBLIC_SOURCES
            for inspector in self.clock.grid_inspectors.get(case.grid, ()):
                self.add(at, Metric.INSPECTOR_PUBLIC_FIRST, Group.INSPECTOR, inspector, public)
            if actor is not None and event.actor_role == GROUP_ROLES[Group.SUPERVISOR]:
                self.filer = actor
        elif action in (Action.REJECT, Action.MARK_DUPLICATE):
            self._settle_report(at, valid=False)
        elif action == Action.VOID:
            self._settle_report(at, valid=False)
            self._settle_filing(at, accurate=False)
        elif action == Action.CLOSE:
            self._settle_filing(at, accurate=True)
        elif action == Action.CLOSE_EXCEPTIONALLY:
            kind = event.data.get("closure_kind", "")
            self._settle_filing(at, accurate=kind != ClosureKind.ERRONEOUS)
            self._settle_dispatches(at, accurate=True)
        elif action == Action.DISPATCH:
            if event.unit_id is not None:
                self.add(at, Metric.UNIT_VOLUME, Group.UNIT, event.unit_id, True)
            if actor is not None and event.actor_role == GROUP_ROLES[Group.DISPATCHER]:
                self.add(at, Metric.DISPATCHER_VOLUME, Group.DISPATCHER, actor, True)
                self.open_dispatches.append(actor)
        elif action == Action.APPROVE_RETURN:
            self._settle_dispatches(at, accurate=False)
        elif action == Action.FEEDBACK:
            self._settle_dispatches(at, accurate=True)
        elif action == Action.CHECK_FAIL:
            self.reworked = True
        elif action == Action.APPROVE_EXTENSION:
            self.extended = True
        elif action == Action.RATE:
            self._rate(event)
        elif action in PRESSURE and event.unit_id is not None:
            # A case counts once per unit against it, however often it was urged.
            key = (action, event.unit_id)
            if key not in self.pressed:
                self.pressed.add(key)
                self.add(at, PRESSURE[action], Group.UNIT, event.unit_id, True)

        self.unit_id = event.unit_id
        self._clock(event)

    def _settle_report(self, at: datetime, *, valid: bool) -> None:
        if self.reporter is None or self.report_settled:
            return
        self.report_settled = True
        self.add(at, Metric.INSPECTOR_VALID_REPORT, Group.INSPECTOR, self.reporter[0], valid)

    def _settle_filing(self, at: datetime, *, accurate: bool) -> None:
        if self.filer is None or self.filing_settled:
            return
        self.filing_settled = True
        self.add(at, Metric.SUPERVISOR_FILE_ACCURATE, Group.SUPERVISOR, self.filer, accurate)

    def _settle_dispatches(self, at: datetime, *, accurate: bool) -> None:
        for dispatcher in self.open_dispatches:
            self.add(at, Metric.DISPATCHER_ACCURATE, Group.DISPATCHER, dispatcher, accurate)
        self.open_dispatches = []

    def _rate(self, event: EventRow) -> None:
        rating = event.data.get("rating")
        if not isinstance(rating, int) or isinstance(rating, bool):
            return
        case = self.case
        unit = case.handling_unit_id
        if unit is not None:
            self.add(event.at, Metric.UNIT_SATISFACTION, Group.UNIT, unit, True, rating)
        self.add(event.at, Metric.REGION_SATISFACTION, Group.STREET, case.street, True, rating)
        self.add(
            event.at, Metric.REGION_SATISFACTION, Group.COMMUNITY, case.community, True, rating
        )

    # -- after the last event -------------------------------------------------------------------

    def finish(self) -> list[Fact]:
        case, now = self.case, self.now
        run = self.run
        # A handling task past its deadline with no feedback yet: overdue, dated by the deadline.
        if (
            run is not None
            and run.stage == Stage.HANDLE
            and run.unit_id
            and case.status != Status.SUSPENDED
        ):
            due = run.due(self.clock)
            if due <= now:
                self.add(due, Metric.UNIT_HANDLED, Group.UNIT, run.unit_id, False)
                self.add(due, Metric.UNIT_HANDLING_ON_TIME, Group.UNIT, run.unit_id, False)
        self._closing()
        return self.facts

    def _closing(self) -> None:
        """Cases due to close: filed cases closed, or open past their whole-case deadline."""
        case = self.case
        if case.case_due_at is None:
            return
        closed = case.status == Status.CLOSED and case.closed_at is not None
        at: datetime
        if closed and case.closed_at is not None:
            at = case.closed_at
        elif case.status not in CLOSED_STATUSES and case.status != Status.SUSPENDED:
            if case.case_due_at > self.now:
                return
            at = case.case_due_at
        else:
            return  # voided after filing: not due to close
        on_time = closed and at <= case.case_due_at
        for group, code in ((Group.STREET, case.street), (Group.COMMUNITY, case.community)):
            self.add(at, Metric.REGION_CLOSING, group, code, closed)
            self.add(at, Metric.REGION_CLOSE_ON_TIME, group, code, on_time)
        unit = case.handling_unit_id
        if unit is not None:
            self.add(at, Metric.UNIT_CLOSING, Group.UNIT, unit, closed)
            self.add(at, Metric.UNIT_REWORK, Group.UNIT, unit, self.reworked)
            self.add(at, Metric.UNIT_EXTENSION, Group.UNIT, unit, self.extended)


def case_facts(
    case: CaseRow, events: Sequence[EventRow], *, clock: Clock, now: datetime
) -> list[Fact]:
    """Every evaluation fact one case yields, from its ordered events, as of `now`."""
    replay = _Replay(case, clock, now)
    for event in events:
        replay.step(event)
    return replay.finish()


def replayed_stage_due(
    case: CaseRow, events: Sequence[EventRow], *, clock: Clock
) -> tuple[str, datetime] | None:
    """The stage and due instant the replay holds after the events: what Case.stage and
    Case.stage_due_at say for an open case (the check that the replay agrees with
    cases.deadlines)."""
    replay = _Replay(case, clock, events[-1].at if events else datetime.min.replace(tzinfo=UTC))
    for event in events:
        replay.step(event)
    if replay.run is None:
        return None
    return replay.run.stage, replay.run.due(clock)

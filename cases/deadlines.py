"""The clocks on a case: which stage runs, when it warns and when it is due.

All arithmetic goes through cases.worktime.add_limit, the one pure function of
(start, limit, calendar). This module only decides *which* limit applies when.

- Intake, filing, dispatch, sending the check task and closing run on the stage limits in
  StageLimit (data, editable); verification and check on site too (30 minutes by default).
- Handling runs from dispatch on the item's filing-condition limit shortened by the urgency
  factor; signing for does not restart it; a failed check (rework) restarts it in full;
  an approved extension moves it (and the whole-case due) on by the extension.
- The whole-case clock starts at filing: the chain dispatch → handle → send check → check →
  close, each added with add_limit.
- Suspension (挂账) stops both clocks; resuming moves both on by the working time slept.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from cases.catalogue import effective_limit
from cases.models import (
    CLOSED_STATUSES,
    Case,
    DeadlineSettings,
    LimitUnit,
    Stage,
    Status,
)
from cases.tables import tables
from cases.worktime import (
    WorkCalendar,
    add_limit,
    load_calendar,
    remaining,
    working_time_between,
)

# Defaults used when the table holds no row for a stage (local practice, DOMAIN.md §3).
DEFAULT_STAGE_LIMITS: dict[str, tuple[Decimal, str]] = {
    Stage.REGISTER: (Decimal("1"), LimitUnit.WORKING_HOURS),
    Stage.VERIFY: (Decimal("0.5"), LimitUnit.NATURAL_HOURS),
    Stage.FILE: (Decimal("1"), LimitUnit.WORKING_HOURS),
    Stage.DISPATCH: (Decimal("1"), LimitUnit.WORKING_HOURS),
    Stage.SEND_CHECK: (Decimal("1"), LimitUnit.WORKING_HOURS),
    Stage.CHECK: (Decimal("0.5"), LimitUnit.NATURAL_HOURS),
    Stage.CLOSE: (Decimal("1"), LimitUnit.WORKING_HOURS),
}

STAGE_OF_STATUS: dict[str, str] = {
    Status.REPORTED: Stage.REGISTER,
    Status.VERIFYING: Stage.VERIFY,
    Status.REGISTERED: Stage.FILE,
    Status.FILED: Stage.DISPATCH,
    Status.DISPATCHED: Stage.HANDLE,
    Status.HANDLING: Stage.HANDLE,
    Status.HANDLED: Stage.SEND_CHECK,
    Status.CHECKING: Stage.CHECK,
    Status.CHECK_PASSED: Stage.CLOSE,
}


def stage_limits() -> dict[str, tuple[Decimal, str]]:
    """Every stage's limit (the table's rows over the defaults; cached, cases.tables)."""
    return {**DEFAULT_STAGE_LIMITS, **tables().stage_limits}


def stage_limit(stage: str) -> tuple[Decimal, str]:
    return stage_limits()[stage]


def handling_limit(case: Case) -> tuple[Decimal, str]:
    """The item's limit for the case's filing condition, shortened by urgency."""
    value, unit = effective_limit(case.condition, case.urgency)
    return value, str(unit)


def _warn_share() -> Decimal:
    share = tables().warn_share
    if share is None:
        return Decimal(str(DeadlineSettings._meta.get_field("warn_share").default))
    return share


def _warn_at(start: datetime, due: datetime, unit: str, calendar: WorkCalendar) -> datetime:
    """The instant the warn share of the time from start to due has passed, in the same time
    (working or natural) the limit is counted in."""
    share = _warn_share()
    if unit == LimitUnit.NATURAL_HOURS:
        return start + (due - start) * float(share)
    hours = Decimal(working_time_between(start, due, calendar).total_seconds()) / 3600
    return add_limit(start, hours * share, LimitUnit.WORKING_HOURS, calendar)


def _set_stage(case: Case, stage: str, start: datetime, value: Decimal, unit: str) -> None:
    calendar = load_calendar()
    due = add_limit(start, value, unit, calendar)
    case.stage = stage
    case.stage_started_at = start
    case.stage_due_at = due
    case.stage_warn_at = _warn_at(start, due, unit, calendar)


def _clear_stage(case: Case) -> None:
    case.stage = ""
    case.stage_started_at = case.stage_warn_at = case.stage_due_at = None


def _set_case_clock(case: Case, filed_at: datetime) -> None:
    calendar = load_calendar()
    limits = stage_limits()
    limits[Stage.HANDLE] = handling_limit(case)
    due = filed_at
    for stage in (Stage.DISPATCH, Stage.HANDLE, Stage.SEND_CHECK, Stage.CHECK, Stage.CLOSE):
        value, unit = limits[stage]
        due = add_limit(due, value, unit, calendar)
    case.case_due_at = due
    case.case_warn_at = _warn_at(filed_at, due, LimitUnit.WORKING_HOURS, calendar)


def clock_state(case: Case) -> tuple[object, ...]:
    """What the deadline sweep's next look depends on: state, level and the stage clock."""
    return (
        case.status,
        case.handling_level,
        case.stage_started_at,
        case.stage_warn_at,
        case.stage_due_at,
    )


def apply_clock(
    case: Case,
    *,
    from_status: str,
    now: datetime,
    action: str = "",
    before: tuple[object, ...] | None = None,
) -> None:
    """Set the stage clock (and, at filing, the case clock) for the state the case is now in,
    and the instant the deadline sweep must look at the case next.

    `before` is clock_state() before the action: when the action left it as it was (urging,
    supervising, joint handling, a request), the sweep's next instant stands as it is.
    """
    _apply_stage_clock(case, from_status=from_status, now=now)
    if before is not None and clock_state(case) == before:
        return
    case.sweep_at = first_sweep_at(case)


def first_sweep_at(case: Case) -> datetime | None:
    """When the sweep must first look at the case's running clock: its warning instant.

    After any transition the sweep looks again, even at an instant already past whose card
    was issued: it finds the card, issues what is missing (a red card at a new level) and
    moves on. A suspended or closed case has nothing to sweep.
    """
    if case.status == Status.SUSPENDED or case.stage_started_at is None:
        return None
    return case.stage_warn_at or case.stage_due_at


def _apply_stage_clock(case: Case, *, from_status: str, now: datetime) -> None:
    status = case.status
    if status in (Status.CLOSED, Status.REJECTED, Status.DUPLICATE, Status.VOIDED):
        _clear_stage(case)
        return
    if status == Status.SUSPENDED:
        # Both clocks stop; the instants stay on the row so resume can move them on.
        case.stage = Stage.HANDLE
        return
    if status == Status.FILED and from_status == Status.REGISTERED:
        case.filed_at = now
        _set_case_clock(case, now)
    running = case.stage if case.stage_due_at is not None else None
    stage = stage_to_start(status=status, from_status=from_status, running_stage=running)
    if stage == Stage.HANDLE:
        value, unit = handling_limit(case)
        _set_stage(case, Stage.HANDLE, now, value, unit)
    elif stage is not None:
        value, unit = stage_limit(stage)
        _set_stage(case, stage, now, value, unit)


def stage_to_start(*, status: str, from_status: str, running_stage: str | None) -> str | None:
    """The stage whose clock starts afresh when a case moves from_status → status while
    running_stage's clock runs (None: no clock runs); None when the running clock carries on.

    Signing for, requests and level changes keep the running handling clock; dispatch and
    rework start it afresh. Any other stage starts with each change of state. The replay of
    the evaluation (dispatch.evaluation.facts) asks the same question of past events.
    """
    if status in CLOSED_STATUSES or status == Status.SUSPENDED:
        return None
    stage = STAGE_OF_STATUS[status]
    if stage == Stage.HANDLE:
        restart = from_status == Status.FILED or (
            status == Status.HANDLING and from_status == Status.CHECKING
        )
        return stage if restart or running_stage != Stage.HANDLE else None
    return stage if status != from_status or running_stage != stage else None


def extend(case: Case, *, value: Decimal, unit: str) -> None:
    """An approved extension moves the handling due and the whole-case due on."""
    calendar = load_calendar()
    if case.stage_due_at is not None and case.stage_started_at is not None:
        case.stage_due_at = add_limit(case.stage_due_at, value, unit, calendar)
        case.stage_warn_at = _warn_at(case.stage_started_at, case.stage_due_at, unit, calendar)
    if case.case_due_at is not None and case.filed_at is not None:
        case.case_due_at = add_limit(case.case_due_at, value, unit, calendar)
        case.case_warn_at = _warn_at(
            case.filed_at, case.case_due_at, LimitUnit.WORKING_HOURS, calendar
        )


def resume(case: Case, *, now: datetime) -> timedelta:
    """Move both clocks on by the working time the case was suspended; returns that time."""
    calendar = load_calendar()
    if case.suspended_at is None:
        return timedelta(0)
    slept = working_time_between(case.suspended_at, now, calendar)
    hours = Decimal(slept.total_seconds()) / 3600
    for name in ("stage_warn_at", "stage_due_at", "case_warn_at", "case_due_at"):
        instant = getattr(case, name)
        if instant is not None:
            setattr(case, name, add_limit(instant, hours, LimitUnit.WORKING_HOURS, calendar))
    return slept


def stage_time_left(
    cases: list[Case], *, now: datetime, calendar: WorkCalendar | None = None
) -> dict[int, timedelta]:
    """Time left on each case's running stage, in the time its limit counts in (working
    hours for most stages, natural hours where the limit says so); negative once overdue.

    For lists: the stage limits are read once; a handling stage counts in its filing
    condition's unit (select_related("condition") spares a query per case). A case with no
    running stage clock, or a suspended one, has no entry.
    """
    calendar = calendar or load_calendar()
    limits = stage_limits()
    left: dict[int, timedelta] = {}
    for case in cases:
        if case.stage_due_at is None or case.status == Status.SUSPENDED:
            continue
        if case.status in CLOSED_STATUSES:
            continue
        if case.stage == Stage.HANDLE:
            unit = str(case.condition.limit_unit)
        else:
            unit = limits.get(case.stage, (Decimal(1), LimitUnit.WORKING_HOURS))[1]
        if now <= case.stage_due_at:
            left[case.pk] = remaining(now, case.stage_due_at, unit, calendar)
        else:
            left[case.pk] = -remaining(case.stage_due_at, now, unit, calendar)
    return left

"""Per-action rules: validate the payload, change the case, say what the event records.

Called by services.case_transition inside its transaction, after the guards; never directly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from cases import deadlines
from cases.errors import ActionNotAllowed, InvalidInput, NotPermitted
from cases.models import LEVELS_UP, Case, ClosureKind, HandlingLevel, LimitUnit, Status
from cases.workflow import Action, Transition
from grids.emergency import grid_inspector_ids
from grids.models import Role, Unit, User


@dataclass(frozen=True)
class Standing:
    """The role an actor takes an action in, and the post that gives it."""

    role: str
    post_id: int | None = None


@dataclass(frozen=True)
class ActionContext:
    """What a per-action rule sees: the locked case and the request, after the guards."""

    case: Case
    row: Transition
    payload: dict[str, Any]
    standing: Standing
    note: str
    now: datetime


# --- per-action handlers: validate the payload, change the case, say what to record ---------


Handler = Callable[[ActionContext], dict[str, Any]]


def _noop(ctx: ActionContext) -> dict[str, Any]:
    return {}


def _send_verify(ctx: ActionContext) -> dict[str, Any]:
    """Without a payload every inspector of the grid hears of the task; with inspector_id
    (the command centre picked the nearest on duty) that inspector does. Only an inspector
    of the case's grid can verify it, so only one of them can be named."""
    inspector_id = ctx.payload.get("inspector_id")
    if inspector_id is None:
        return {}
    if (
        not isinstance(inspector_id, int)
        or isinstance(inspector_id, bool)
        or inspector_id not in grid_inspector_ids(ctx.case.grid_id)
    ):
        raise InvalidInput(
            _("Name an inspector of the case's grid."),
            field_errors={"inspector_id": [_("Not an active inspector of this grid.")]},
        )
    inspector = User.objects.get(pk=inspector_id)
    return {
        "inspector_id": inspector.pk,
        "inspector": inspector.get_full_name() or inspector.get_username(),
    }


def _verify(ctx: ActionContext) -> dict[str, Any]:
    case, payload = ctx.case, ctx.payload
    confirmed = payload.get("confirmed")
    if not isinstance(confirmed, bool):
        raise InvalidInput(
            _("Say whether the problem was found on site."),
            field_errors={"confirmed": [_("true or false")]},
        )
    case.verified = confirmed
    return {"confirmed": confirmed}


def _mark_duplicate(ctx: ActionContext) -> dict[str, Any]:
    case, payload = ctx.case, ctx.payload
    original_id = payload.get("original_case_id")
    original = (
        Case.objects.filter(pk=original_id).exclude(pk=case.pk).first()
        if isinstance(original_id, int)
        else None
    )
    if original is None or not original.is_open or original.status == Status.DUPLICATE:
        raise InvalidInput(
            _("Name the open case this one duplicates."),
            field_errors={"original_case_id": [_("An open case's id is required.")]},
        )
    case.duplicate_of = original
    return {"original_case_id": original.pk, "original_number": original.number}


def _dispatch(ctx: ActionContext) -> dict[str, Any]:
    case, payload, now = ctx.case, ctx.payload, ctx.now
    unit_id = payload.get("unit_id")
    unit = (
        Unit.objects.select_related("region").filter(pk=unit_id, is_active=True).first()
        if isinstance(unit_id, int)
        else None
    )
    if unit is None:
        raise InvalidInput(
            _("Choose an active unit to dispatch to."),
            field_errors={"unit_id": [_("An active unit's id is required.")]},
        )
    case.handling_unit = unit
    case.dispatched_at = now
    return {"unit_id": unit.pk, "unit_name": unit.name}


def _feedback(ctx: ActionContext) -> dict[str, Any]:
    case, now = ctx.case, ctx.now
    # The row requires a note (how it was handled); case_transition checked it.
    case.handled_at = now
    return {}


def _request_extension(ctx: ActionContext) -> dict[str, Any]:
    case, payload, note = ctx.case, ctx.payload, ctx.note
    value, unit = _limit_from(payload)
    case.pending_request_data = {"value": str(value), "unit": unit, "reason": note}
    return {"value": str(value), "unit": unit}


def _limit_from(payload: dict) -> tuple[Decimal, str]:
    errors: dict[str, list[str]] = {}
    try:
        value = Decimal(str(payload.get("value")))
        if not value.is_finite() or value <= 0 or value > 1000:
            raise ValueError
    except (ArithmeticError, ValueError):
        errors["value"] = [_("A positive number of at most 1000.")]
        value = Decimal(0)
    unit = payload.get("unit")
    if unit not in LimitUnit.values:
        errors["unit"] = [_("working_hours, working_days or natural_hours.")]
    if errors:
        raise InvalidInput(_("The extension needs a length."), field_errors=errors)
    return value, str(unit)


def _approve_extension(ctx: ActionContext) -> dict[str, Any]:
    case, standing = ctx.case, ctx.standing
    # A second or later extension needs higher approval than the shift supervisor.
    if case.extensions_count >= 1 and standing.role != Role.DISTRICT_LEADER:
        raise NotPermitted(_("A second extension needs a district leader's approval."))
    requested = case.pending_request_data
    value, unit = Decimal(requested["value"]), requested["unit"]
    case.extensions_count += 1
    deadlines.extend(case, value=value, unit=unit)
    return {"value": str(value), "unit": unit, "stage_due_at": case.stage_due_at.isoformat()}


def _approve_return(ctx: ActionContext) -> dict[str, Any]:
    case = ctx.case
    returned_from = case.handling_unit
    case.returns_count += 1
    case.handling_unit = None
    case.dispatched_at = None
    return {"returned_by_unit_id": returned_from.pk if returned_from else None}


def _request_with_reason(ctx: ActionContext) -> dict[str, Any]:
    case, note = ctx.case, ctx.note
    case.pending_request_data = {"reason": note}
    return {}


def _approve_suspension(ctx: ActionContext) -> dict[str, Any]:
    case, now = ctx.case, ctx.now
    case.suspended_at = now
    return {}


def _resume(ctx: ActionContext) -> dict[str, Any]:
    case, now = ctx.case, ctx.now
    slept = deadlines.resume(case, now=now)
    case.suspended_at = None
    return {"suspended_working_seconds": int(slept.total_seconds())}


def _check_fail(ctx: ActionContext) -> dict[str, Any]:
    case = ctx.case
    case.reworks_count += 1
    case.handled_at = None
    return {"rework": case.reworks_count}


def _close(ctx: ActionContext) -> dict[str, Any]:
    case, now = ctx.case, ctx.now
    overdue = case.case_due_at is not None and now > case.case_due_at
    case.closure_kind = ClosureKind.OVERDUE if overdue else ClosureKind.NORMAL
    case.closed_at = now
    return {"closure_kind": case.closure_kind}


def _close_exceptionally(ctx: ActionContext) -> dict[str, Any]:
    case, payload, now = ctx.case, ctx.payload, ctx.now
    kind = payload.get("closure_kind")
    if kind not in (ClosureKind.ERRONEOUS, ClosureKind.SPECIAL):
        raise InvalidInput(
            _("Choose erroneous or special."),
            field_errors={"closure_kind": [_("erroneous or special")]},
        )
    case.closure_kind = kind
    case.closed_at = now
    return {"closure_kind": kind}


def _escalate(ctx: ActionContext) -> dict[str, Any]:
    case = ctx.case
    index = LEVELS_UP.index(case.handling_level)
    if index + 1 >= len(LEVELS_UP):
        raise ActionNotAllowed(_("The case is already at the district, the top level."))
    case.handling_level = LEVELS_UP[index + 1]
    return {"from_level": LEVELS_UP[index], "to_level": case.handling_level}


def _push_down(ctx: ActionContext) -> dict[str, Any]:
    case = ctx.case
    index = LEVELS_UP.index(case.handling_level)
    # The grid loop is the inspector's self-handling; pushed-down work stops at the community.
    if index <= LEVELS_UP.index(HandlingLevel.COMMUNITY):
        raise ActionNotAllowed(_("Cases are not pushed below the community."))
    case.handling_level = LEVELS_UP[index - 1]
    return {"from_level": LEVELS_UP[index], "to_level": case.handling_level}


def _rate(ctx: ActionContext) -> dict[str, Any]:
    case, payload = ctx.case, ctx.payload
    if case.rating is not None:
        raise ActionNotAllowed(_("The case has been rated already."))
    rating = payload.get("rating")
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise InvalidInput(
            _("Rate from 1 to 5."), field_errors={"rating": [_("An integer from 1 to 5.")]}
        )
    case.rating = rating
    case.rating_comment = str(payload.get("comment", ""))[:1000]
    return {"rating": rating}


HANDLERS: dict[Action, Handler] = {
    Action.SEND_VERIFY: _send_verify,
    Action.VERIFY: _verify,
    Action.REGISTER: _noop,
    Action.REJECT: _noop,
    Action.MARK_DUPLICATE: _mark_duplicate,
    Action.FILE: _noop,
    Action.VOID: _noop,
    Action.DISPATCH: _dispatch,
    Action.SIGN_FOR: _noop,
    Action.FEEDBACK: _feedback,
    Action.REQUEST_RETURN: _request_with_reason,
    Action.APPROVE_RETURN: _approve_return,
    Action.DENY_RETURN: _noop,
    Action.REQUEST_EXTENSION: _request_extension,
    Action.APPROVE_EXTENSION: _approve_extension,
    Action.DENY_EXTENSION: _noop,
    Action.REQUEST_SUSPENSION: _request_with_reason,
    Action.APPROVE_SUSPENSION: _approve_suspension,
    Action.DENY_SUSPENSION: _noop,
    Action.RESUME: _resume,
    Action.SEND_CHECK: _noop,
    Action.CHECK_PASS: _noop,
    Action.CHECK_FAIL: _check_fail,
    Action.CLOSE: _close,
    Action.CLOSE_EXCEPTIONALLY: _close_exceptionally,
    Action.ESCALATE: _escalate,
    Action.PUSH_DOWN: _push_down,
    Action.RATE: _rate,
}

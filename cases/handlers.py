"""Per-action rules: the guards beyond the table, and what each action does.

- `PRECHECKS`: what must hold for the action to be possible at all, besides the table's state,
  pending request and standing (the level guards, a second extension's higher approval, a
  co-handling unit's part). services.actions_available and services.case_transition both ask
  them, so an action is offered exactly when taking it would pass every guard.
- `HANDLERS`: validate the payload, change the case, say what the event records. Called by
  services.case_transition inside its transaction, after the guards; never directly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.gis.geos import Point
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import deadlines
from cases.errors import ActionNotAllowed, InvalidInput, NotPermitted
from cases.models import (
    LEVELS_UP,
    OPEN_STATUSES,
    Case,
    CaseEvent,
    ClosureKind,
    CoHandling,
    HandlingLevel,
    Item,
    LimitUnit,
    Status,
    Supervision,
)
from cases.selectors import case_qs_for_user
from cases.workflow import Action, Transition
from grids.emergency import grid_inspector_ids
from grids.models import Post, Role, Unit, User
from grids.selectors import LocateError, locate, unit_member_ids

CO_HANDLE_PERM = "cases.co_handle_case"
SYSTEM_ROLE = "system"
# How far ahead a supervision may be due.
MAX_SUPERVISION_DAYS = 366


@dataclass(frozen=True)
class Standing:
    """The role an actor takes an action in, the post that gives it, and for a co-handling
    unit's handler the unit they act for."""

    role: str
    post_id: int | None = None
    unit_id: int | None = None


@dataclass
class ActionContext:
    """What a per-action rule sees: the locked case and the request, after the guards.

    A rule that must point at the action's event (a supervision) registers a callable in
    `after_event`; the service calls it once the event is written.
    """

    case: Case
    row: Transition
    payload: dict[str, Any]
    standing: Standing
    note: str
    now: datetime
    actor: AbstractBaseUser | None = None
    after_event: list[Callable[[CaseEvent], None]] = field(default_factory=list)


# --- prechecks: the guards beyond the table ---------------------------------------------------


Precheck = Callable[[Case, Standing], None]


def _not_at_the_top(case: Case, standing: Standing) -> None:
    if LEVELS_UP.index(case.handling_level) + 1 >= len(LEVELS_UP):
        raise ActionNotAllowed(_("The case is already at the district, the top level."))


def _above_the_community(case: Case, standing: Standing) -> None:
    # The grid loop is the inspector's self-handling; pushed-down work stops at the community.
    if LEVELS_UP.index(case.handling_level) <= LEVELS_UP.index(HandlingLevel.COMMUNITY):
        raise ActionNotAllowed(_("Cases are not pushed below the community."))


def _higher_approval_for_a_second_extension(case: Case, standing: Standing) -> None:
    if case.extensions_count >= 1 and standing.role != Role.DISTRICT_LEADER:
        raise NotPermitted(_("A second extension needs a district leader's approval."))


def _not_rated_yet(case: Case, standing: Standing) -> None:
    if case.rating is not None:
        raise ActionNotAllowed(_("The case has been rated already."))


def _has_co_handlers(case: Case, standing: Standing) -> None:
    if not active_co_handlings(case).exists():
        raise ActionNotAllowed(_("No unit co-handles the case."))


def _own_part(case: Case, standing: Standing) -> CoHandling:
    part = (
        active_co_handlings(case).select_related("unit").filter(unit_id=standing.unit_id).first()
        if standing.unit_id is not None
        else None
    )
    if part is None:
        raise NotPermitted(_("Your unit does not co-handle this case."))
    return part


def _part_not_signed(case: Case, standing: Standing) -> None:
    if _own_part(case, standing).signed_at is not None:
        raise ActionNotAllowed(_("Your unit has signed for its part already."))


def _part_signed_not_fed_back(case: Case, standing: Standing) -> None:
    part = _own_part(case, standing)
    if part.signed_at is None:
        raise ActionNotAllowed(_("Sign for your unit's part first."))
    if part.fed_back_at is not None:
        raise ActionNotAllowed(_("Your unit has fed back its part already."))


def _not_under_supervision(case: Case, standing: Standing) -> None:
    # The sweep supervises once per red card, whatever a person did; a person once at a time.
    if standing.role == SYSTEM_ROLE:
        return
    open_manual = (
        Supervision.objects.filter(case=case, kind=Supervision.Kind.MANUAL, settled_at__isnull=True)
        .order_by("-created_at")
        .first()
    )
    if open_manual is not None:
        due = (
            timezone.localtime(open_manual.due_at).strftime("%Y-%m-%d")
            if open_manual.due_at
            else "—"
        )
        raise ActionNotAllowed(
            _("The case is under supervision already (due %(due)s).") % {"due": due}
        )


def _an_open_case_to_name(case: Case, standing: Standing) -> None:
    """A duplicate needs an original: some other open case where the actor stands (the
    candidates nearby, or any open case whose number they could give)."""
    others = Case.objects.filter(status__in=sorted(OPEN_STATUSES)).exclude(pk=case.pk)
    region_code = (
        Post.objects.filter(pk=standing.post_id).values_list("region__code", flat=True).first()
        if standing.post_id is not None and standing.role != Role.DISTRICT_LEADER
        else None
    )
    if region_code:
        others = others.filter(grid__code__startswith=region_code)
    if not others.exists():
        raise ActionNotAllowed(_("There is no other open case to name as the original."))


PRECHECKS: dict[Action, Precheck] = {
    Action.MARK_DUPLICATE: _an_open_case_to_name,
    Action.ESCALATE: _not_at_the_top,
    Action.PUSH_DOWN: _above_the_community,
    Action.APPROVE_EXTENSION: _higher_approval_for_a_second_extension,
    Action.RATE: _not_rated_yet,
    Action.REMOVE_CO_HANDLER: _has_co_handlers,
    Action.CO_SIGN_FOR: _part_not_signed,
    Action.CO_FEEDBACK: _part_signed_not_fed_back,
    Action.SUPERVISE: _not_under_supervision,
}


def active_co_handlings(case: Case) -> Any:
    """The case's co-handling units now (a queryset of CoHandling)."""
    return CoHandling.objects.filter(case=case, removed_at__isnull=True)


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
    """The original is named by id (a candidate the hint offered) or by its case number (what
    people see and say on the phone); either way an open case the actor can see."""
    case, payload = ctx.case, ctx.payload
    original_id = payload.get("original_case_id")
    number = payload.get("original_case_number")
    field = "original_case_id"
    originals = Case.objects.exclude(pk=case.pk)
    if ctx.actor is not None:
        originals = case_qs_for_user(ctx.actor).exclude(pk=case.pk)
    if isinstance(number, str) and number.strip():  # typed: it wins over a picked candidate
        field = "original_case_number"
        original = originals.filter(number=number.strip()).first()
    elif isinstance(original_id, int) and not isinstance(original_id, bool):
        original = originals.filter(pk=original_id).first()
    else:
        original = None
    if original is None or not original.is_open or original.status == Status.DUPLICATE:
        message = _("Name the open case this one duplicates.")
        raise InvalidInput(
            message,
            field_errors={field: [_("Pick a candidate or give an open case's number.")]},
        )
    case.duplicate_of = original
    return {"original_case_id": original.pk, "original_number": original.number}


# What registering may correct, as the event records it.
MAX_ADDRESS = 255
MAX_DESCRIPTION = 4000


def _register(ctx: ActionContext) -> dict[str, Any]:
    """Register, correcting what the report got wrong: the item, the place, the address, the
    description. Only what differs is changed, and the event records each change as
    [before, after]; a new place is located again and must stay in the actor's region."""
    case, payload = ctx.case, ctx.payload
    corrections: dict[str, list[Any]] = {}
    item_id = payload.get("item_id")
    if item_id is not None and item_id != case.item_id:
        item = (
            Item.objects.filter(pk=item_id, is_active=True).first()
            if isinstance(item_id, int) and not isinstance(item_id, bool)
            else None
        )
        condition = item.conditions.order_by("order", "code").first() if item else None
        if item is None or condition is None:
            raise InvalidInput(
                _("Unknown or inactive catalogue item."),
                field_errors={"item_id": [_("Pick an item from the catalogue.")]},
            )
        corrections["item"] = [
            {"code": case.item.code, "name": case.item.name},
            {"code": item.code, "name": item.name},
        ]
        case.item, case.condition = item, condition
    for name, limit in (("address", MAX_ADDRESS), ("description", MAX_DESCRIPTION)):
        value = payload.get(name)
        if value is None:
            continue
        if not isinstance(value, str) or len(value.strip()) > limit:
            raise InvalidInput(
                _("The correction has errors."),
                field_errors={name: [_("At most %(n)d characters.") % {"n": limit}]},
            )
        value = value.strip()
        if name == "description" and not value:
            raise InvalidInput(
                _("The correction has errors."),
                field_errors={name: [_("Describe the problem.")]},
            )
        if value != getattr(case, name):
            corrections[name] = [getattr(case, name), value]
            setattr(case, name, value)
    point = _point_from(payload.get("point"))
    if point is not None and (point.x, point.y) != (case.point.x, case.point.y):
        location = _relocate(point, ctx)
        corrections["point"] = [
            {"lon": case.point.x, "lat": case.point.y, "grid": case.grid_id},
            {"lon": point.x, "lat": point.y, "grid": location.grid.code},
        ]
        case.point = point
        case.district_id = location.district.code
        case.street_id = location.street.code
        case.community_id = location.community.code
        case.grid_id = location.grid.code
    return {"corrections": corrections} if corrections else {}


def _point_from(value: Any) -> Point | None:
    if value is None:
        return None
    try:
        lon, lat = float(value["lon"]), float(value["lat"])
    except (TypeError, KeyError, ValueError):
        lon = lat = float("nan")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidInput(
            _("The correction has errors."),
            field_errors={"point": [_("A point as {lon, lat} in WGS84.")]},
        )
    return Point(lon, lat, srid=4326)


def _relocate(point: Point, ctx: ActionContext) -> Any:
    """The grid chain at the corrected place, which must lie where the actor stands."""
    try:
        location = locate(point)
    except LocateError as exc:
        raise InvalidInput(str(exc), field_errors={"point": [str(exc)]}) from exc
    post = (
        Post.objects.select_related("region").filter(pk=ctx.standing.post_id).first()
        if ctx.standing.post_id is not None
        else None
    )
    if ctx.standing.role != Role.DISTRICT_LEADER and (
        post is None or post.region is None or not location.grid.code.startswith(post.region.code)
    ):
        message = _("The new place lies outside your region.")
        raise InvalidInput(message, field_errors={"point": [message]})
    return location


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
    case = ctx.case
    # A second or later extension's higher approval: PRECHECKS checked it.
    requested = case.pending_request_data
    value, unit = Decimal(requested["value"]), requested["unit"]
    case.extensions_count += 1
    deadlines.extend(case, value=value, unit=unit)
    # A stage without a clock (a suspended case's) has no due time to report.
    due = case.stage_due_at
    return {"value": str(value), "unit": unit, "stage_due_at": due.isoformat() if due else None}


def _approve_return(ctx: ActionContext) -> dict[str, Any]:
    case = ctx.case
    returned_from = case.handling_unit
    case.returns_count += 1
    case.handling_unit = None
    case.dispatched_at = None
    # Joint handling belonged to the dispatch the unit returned: it ends with it.
    released = [_release(part, case, ctx.now) for part in active_co_handlings(case)]
    data: dict[str, Any] = {"returned_by_unit_id": returned_from.pk if returned_from else None}
    if released:
        data["co_handlers_released"] = released
    return data


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
    index = LEVELS_UP.index(case.handling_level)  # below the top: PRECHECKS checked it
    case.handling_level = LEVELS_UP[index + 1]
    return {"from_level": LEVELS_UP[index], "to_level": case.handling_level}


def _push_down(ctx: ActionContext) -> dict[str, Any]:
    case = ctx.case
    index = LEVELS_UP.index(case.handling_level)  # above the community: PRECHECKS checked it
    case.handling_level = LEVELS_UP[index - 1]
    return {"from_level": LEVELS_UP[index], "to_level": case.handling_level}


def _rate(ctx: ActionContext) -> dict[str, Any]:
    case, payload = ctx.case, ctx.payload
    rating = payload.get("rating")
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise InvalidInput(
            _("Rate from 1 to 5."), field_errors={"rating": [_("An integer from 1 to 5.")]}
        )
    case.rating = rating
    case.rating_comment = str(payload.get("comment", ""))[:1000]
    return {"rating": rating}


# --- joint handling (联办) ----------------------------------------------------------------------


def _unit_from(payload: dict[str, Any], candidates: Any, message: str) -> Unit:
    unit_id = payload.get("unit_id")
    unit = (
        candidates.filter(pk=unit_id).first()
        if isinstance(unit_id, int) and not isinstance(unit_id, bool)
        else None
    )
    if unit is None:
        raise InvalidInput(message, field_errors={"unit_id": [message]})
    return unit


def co_unit_candidates(case: Case) -> Any:
    """Units that may be added to co-handle the case: active, neither lead nor co-handling."""
    lead = [case.handling_unit_id] if case.handling_unit_id is not None else []
    return (
        Unit.objects.filter(is_active=True)
        .exclude(pk__in=lead)
        .exclude(pk__in=active_co_handlings(case).values("unit_id"))
    )


def _grant(case: Case, unit_id: int) -> None:
    from guardian.shortcuts import assign_perm

    members = User.objects.filter(pk__in=sorted(unit_member_ids([unit_id])))
    if members.exists():
        assign_perm(CO_HANDLE_PERM, members, case)


def _release(part: CoHandling, case: Case, now: datetime) -> int:
    """End a unit's co-handling and withdraw its members' grant, unless they still act for
    another unit co-handling the same case. Returns the unit's id."""
    from guardian.shortcuts import remove_perm

    part.removed_at = now
    part.save(update_fields=["removed_at"])
    still = unit_member_ids(list(active_co_handlings(case).values_list("unit_id", flat=True)))
    leaving = unit_member_ids([part.unit_id]) - still
    if leaving:
        remove_perm(CO_HANDLE_PERM, User.objects.filter(pk__in=sorted(leaving)), case)
    return part.unit_id


def _add_co_handler(ctx: ActionContext) -> dict[str, Any]:
    case = ctx.case
    unit = _unit_from(
        ctx.payload,
        co_unit_candidates(case),
        _("Choose an active unit that is neither the lead unit nor co-handling already."),
    )
    try:
        with transaction.atomic():
            CoHandling.objects.create(
                case=case,
                unit=unit,
                added_at=ctx.now,
                added_by_id=ctx.actor.pk if ctx.actor is not None else None,
            )
    except IntegrityError:
        # Added by someone else a moment ago (SQLite has no row lock to make us wait).
        message = _("The unit co-handles the case already.")
        raise InvalidInput(message, field_errors={"unit_id": [message]}) from None
    _grant(case, unit.pk)
    return {"unit_id": unit.pk, "unit_name": unit.name}


def _remove_co_handler(ctx: ActionContext) -> dict[str, Any]:
    case = ctx.case
    unit = _unit_from(
        ctx.payload,
        Unit.objects.filter(pk__in=active_co_handlings(case).values("unit_id")),
        _("Choose a unit that co-handles the case."),
    )
    _release(active_co_handlings(case).get(unit=unit), case, ctx.now)
    return {"unit_id": unit.pk, "unit_name": unit.name}


def _co_sign_for(ctx: ActionContext) -> dict[str, Any]:
    part = _own_part(ctx.case, ctx.standing)  # not signed yet: PRECHECKS checked it
    part.signed_at = ctx.now
    part.save(update_fields=["signed_at"])
    return {"unit_id": part.unit_id, "unit_name": part.unit.name}


def _co_feedback(ctx: ActionContext) -> dict[str, Any]:
    part = _own_part(ctx.case, ctx.standing)
    part.fed_back_at = ctx.now
    part.feedback_note = ctx.note
    part.save(update_fields=["fed_back_at", "feedback_note"])
    return {"unit_id": part.unit_id, "unit_name": part.unit.name}


# --- pressure (催办, 督办) ------------------------------------------------------------------------


def _urge(ctx: ActionContext) -> dict[str, Any]:
    # The note says why; the event (with the handling unit) is the record evaluation counts.
    unit = ctx.case.handling_unit
    return {"unit_id": unit.pk, "unit_name": unit.name} if unit is not None else {}


def _due_from(payload: dict[str, Any], now: datetime) -> datetime:
    """The end of the local day `due_date` names (today or later, within a year of `now`)."""
    raw = payload.get("due_date")
    today = timezone.localdate(now)
    try:
        day = date.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        day = None
    message = ""
    if day is None:
        message = _("A date as YYYY-MM-DD.")
    elif day < today:
        message = _("Today or a later day.")
    elif day > today + timedelta(days=MAX_SUPERVISION_DAYS):
        message = _("At most a year ahead.")
    if day is None or message:
        raise InvalidInput(
            _("The supervision needs a due date."), field_errors={"due_date": [message]}
        )
    # The last second of that day, local time: "by the 8th" reads as the 8th everywhere.
    end_of_day = datetime.combine(day, time(23, 59, 59))
    return timezone.make_aware(end_of_day, timezone.get_current_timezone())


def _supervise(ctx: ActionContext) -> dict[str, Any]:
    case, payload, now = ctx.case, ctx.payload, ctx.now
    automatic = ctx.standing.role == SYSTEM_ROLE
    if automatic:
        # The deadline sweep, once an overdue case passed its grace (dispatch.sweeper).
        due_at = None
        escalation_id = payload.get("escalation_event_id")
        from_level = str(payload.get("from_level") or case.handling_level)
        stage = str(payload.get("stage") or case.stage)
    else:
        due_at = _due_from(payload, now)
        escalation_id, from_level, stage = None, case.handling_level, case.stage
    supervision = Supervision(
        case=case,
        kind=Supervision.Kind.AUTOMATIC if automatic else Supervision.Kind.MANUAL,
        created_by_id=ctx.actor.pk if ctx.actor is not None else None,
        stage=stage,
        handling_unit=case.handling_unit,
        from_level=from_level,
        to_level=case.handling_level,
        escalated=escalation_id is not None,
        escalation_event_id=escalation_id if isinstance(escalation_id, int) else None,
        note=ctx.note,
        due_at=due_at,
        created_at=now,
    )

    def save(event: CaseEvent) -> None:
        supervision.event = event
        supervision.save(force_insert=True)

    ctx.after_event.append(save)
    data: dict[str, Any] = {"kind": supervision.kind}
    if due_at is not None:
        data["due_at"] = due_at.isoformat()
    if automatic:
        data.update({"from_level": from_level, "stage": stage})
    return data


HANDLERS: dict[Action, Handler] = {
    Action.SEND_VERIFY: _send_verify,
    Action.VERIFY: _verify,
    Action.REGISTER: _register,
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
    Action.ADD_CO_HANDLER: _add_co_handler,
    Action.REMOVE_CO_HANDLER: _remove_co_handler,
    Action.CO_SIGN_FOR: _co_sign_for,
    Action.CO_FEEDBACK: _co_feedback,
    Action.URGE: _urge,
    Action.SUPERVISE: _supervise,
}

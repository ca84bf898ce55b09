"""The only code that changes a case.

`case_report` and `case_transition` each run as one transaction: lock and re-read the row,
guard (state, role and jurisdiction, expected version), write, append a CaseEvent, recompute
the clocks, and add outbox rows. A retry carrying the same request id returns the first
result and writes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.gis.geos import Point
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import deadlines
from cases.errors import (
    ActionNotAllowed,
    CaseError,
    CaseNotFound,
    InvalidInput,
    NotPermitted,
    OutsideDistrict,
    RequestIdReused,
    VersionConflict,
)
from cases.handlers import HANDLERS, ActionContext, Standing
from cases.models import (
    Attachment,
    Case,
    CaseEvent,
    CaseNumberSequence,
    ClosureKind,
    Contact,
    FilingCondition,
    HandlingLevel,
    Item,
    Outbox,
    PendingRequest,
    SourceChannel,
    Status,
    Urgency,
)
from cases.selectors import case_filter_for
from cases.workflow import (
    COMMAND_ROLES,
    LEVEL_STAND_INS,
    TRANSITIONS,
    Action,
    Scope,
    Transition,
)
from grids.models import Post, Role, UnitKind
from grids.selectors import LocateError, OutsideDistrictError, jurisdiction_for_user, locate

logger = logging.getLogger(__name__)

# Channels through which the public reports: no post needed, any point in the district.
PUBLIC_CHANNELS = frozenset(
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
STAFF_REPORT_ROLES = frozenset(
    {Role.INSPECTOR, Role.INTAKE_OPERATOR, Role.COMMUNITY_STAFF, Role.STREET_OFFICER}
)
MAX_DESCRIPTION = 4000


# --- the actor's standing -------------------------------------------------------------------


SYSTEM = Standing(role="system")


def _posts(actor: AbstractBaseUser) -> list[Post]:
    return list(
        Post.objects.filter(user=actor, is_active=True).select_related("region", "unit__region")
    )


def _covers(post: Post, case: Case) -> bool:
    return post.region is not None and case.grid_id.startswith(post.region.code)


def _standing_for(actor: AbstractBaseUser | None, case: Case, row: Transition) -> Standing:
    """The actor's standing for this row on this case, or NotPermitted saying why."""
    if actor is None:
        # The deadline sweeper escalates overdue cases; nothing else runs without a person.
        if row.action is Action.ESCALATE:
            return SYSTEM
        raise NotPermitted(_("This action needs a person."))
    posts = _posts(actor)
    for post in posts:
        if _post_qualifies(post, actor, case, row):
            return Standing(role=post.role, post_id=post.pk)
    # Satisfaction is the public's say: a citizen rates what they reported, staff do not rate
    # their own reports.
    if (
        row.scope is Scope.REPORTER
        and case.reporter_id == actor.pk
        and case.source in PUBLIC_CHANNELS
    ):
        return Standing(role="reporter")
    if row.scope is Scope.UNIT and _is_co_handler(actor, case):
        return Standing(role=Role.UNIT_HANDLER)
    roles = ", ".join(sorted(str(Role(r).label) for r in row.roles))
    raise NotPermitted(
        _("Only %(roles)s standing for this case may “%(action)s”.")
        % {"roles": roles, "action": row.label}
    )


def _post_qualifies(post: Post, actor: AbstractBaseUser, case: Case, row: Transition) -> bool:
    role = post.role
    level = case.handling_level
    if row.scope is Scope.COMMAND:
        if role == Role.DISTRICT_LEADER and role in row.roles:
            return True
        at_level = post.region is not None and post.region.level == level and _covers(post, case)
        if not at_level:
            return False
        if role in row.roles:
            return True
        # Street officers and community staff run their level's loop: they stand in for the
        # command-centre roles there.
        return role in LEVEL_STAND_INS.get(level, frozenset()) and bool(row.roles & COMMAND_ROLES)
    if row.scope is Scope.GRID:
        return (
            role == Role.INSPECTOR and post.region is not None and post.region.code == case.grid_id
        )
    if row.scope is Scope.UNIT:
        if case.handling_unit_id is None:
            return False
        if role == Role.UNIT_HANDLER:
            return post.unit_id == case.handling_unit_id
        if role == Role.STREET_OFFICER and post.region is not None:
            unit = case.handling_unit
            return unit.kind == UnitKind.STREET_OFFICE and unit.region.code == post.region.code
        return False
    if row.scope is Scope.LEVEL:
        if role not in row.roles or post.region is None or not _covers(post, case):
            return False
        if level == HandlingLevel.GRID:
            return role == Role.INSPECTOR and post.region.code == case.grid_id
        return post.region.level == level
    if row.scope is Scope.REPORTER:
        return role in row.roles and _covers(post, case)
    return False


def _is_co_handler(actor: AbstractBaseUser, case: Case) -> bool:
    return actor.has_perm("cases.co_handle_case", case)


def actions_available(*, case: Case, actor: AbstractBaseUser) -> list[Transition]:
    """The rows the actor could take on the case now (state, pending request, standing)."""
    available = []
    for row in TRANSITIONS.values():
        if row.creates_case or case.status not in row.sources:
            continue
        if not _pending_ok(case, row):
            continue
        try:
            _standing_for(actor, case, row)
        except NotPermitted:
            continue
        available.append(row)
    return available


def _pending_ok(case: Case, row: Transition) -> bool:
    if row.needs_pending is None:
        return True
    return case.pending_request == row.needs_pending


# --- helpers ----------------------------------------------------------------------------------


def _now(now: datetime | None) -> datetime:
    return now if now is not None else timezone.now()


def _require_note(row: Transition, note: str) -> None:
    if row.note_required and not note.strip():
        raise InvalidInput(
            _("A reason is required for “%(action)s”.") % {"action": row.label},
            field_errors={"note": [_("This field is required.")]},
        )


def _next_number(district_code: str, at: datetime) -> str:
    day = timezone.localtime(at).date()
    # The counter row is created once per day; the update under the row lock hands out
    # numbers without gaps or repeats across concurrent reports.
    CaseNumberSequence.objects.get_or_create(district_code=district_code, day=day)
    seq = CaseNumberSequence.objects.select_for_update().get(district_code=district_code, day=day)
    seq.last = F("last") + 1
    seq.save(update_fields=["last"])
    seq.refresh_from_db(fields=["last"])
    return f"{district_code}-{day:%Y%m%d}-{seq.last:06d}"


def _claim_attachments(
    ids: Sequence[int], *, actor: AbstractBaseUser | None, case: Case, event: CaseEvent
) -> None:
    if not ids:
        return
    ids = list(dict.fromkeys(ids))
    claimable = Attachment.objects.select_for_update().filter(pk__in=ids, event__isnull=True)
    if actor is not None:
        claimable = claimable.filter(uploaded_by=actor)
    found = {a.pk for a in claimable}
    missing = [i for i in ids if i not in found]
    if missing:
        raise InvalidInput(
            _("Unknown or already used photos: %(ids)s.") % {"ids": ", ".join(map(str, missing))},
            field_errors={"attachments": [_("Upload the photos first, then refer to them once.")]},
        )
    Attachment.objects.filter(pk__in=found).update(case=case, event=event)


def _existing_event(request_id: str) -> CaseEvent | None:
    return CaseEvent.objects.filter(request_id=request_id).select_related("case").first()


def _replay(
    request_id: str, *, case_id: int | None, action: str, actor: AbstractBaseUser | None
) -> Case | None:
    """The first result when this request id was seen before; an error if it meant else."""
    event = _existing_event(request_id)
    if event is None:
        return None
    same_actor = (actor is None and event.actor_id is None) or (
        actor is not None and event.actor_id == actor.pk
    )
    same_case = case_id is None or event.case_id == case_id
    if not (same_actor and same_case and event.action == action):
        raise RequestIdReused(
            _("Request id %(id)s was already used for another action.") % {"id": request_id}
        )
    return Case.objects.get(pk=event.case_id)


def _validate_request_id(request_id: str) -> str:
    request_id = (request_id or "").strip()
    if not request_id or len(request_id) > 64:
        raise InvalidInput(
            _("A request id (1–64 characters) is required."),
            field_errors={"request_id": [_("1–64 characters.")]},
        )
    return request_id


# --- report -----------------------------------------------------------------------------------


@dataclass
class ReportInput:
    source: str
    item_id: int
    description: str
    point: Point
    condition_id: int | None = None
    urgency: str = Urgency.NORMAL
    address: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    attachment_ids: Sequence[int] = field(default_factory=tuple)


def case_report(
    *,
    actor: AbstractBaseUser | None,
    data: ReportInput,
    request_id: str,
    self_handled: bool = False,
    note: str = "",
    now: datetime | None = None,
) -> Case:
    """A case enters: located, numbered, on the intake clock (or closed, when self-handled)."""
    request_id = _validate_request_id(request_id)
    action = Action.SELF_HANDLE if self_handled else Action.REPORT
    replay = _replay(request_id, case_id=None, action=action, actor=actor)
    if replay is not None:
        return replay
    now = _now(now)
    item, condition = _validate_report(data)
    try:
        location = locate(data.point)
    except OutsideDistrictError as exc:
        raise OutsideDistrict(str(exc), field_errors={"point": [str(exc)]}) from exc
    except LocateError as exc:
        raise InvalidInput(str(exc), field_errors={"point": [str(exc)]}) from exc
    standing = _report_standing(actor, data.source, location.grid.code, self_handled)
    try:
        with transaction.atomic():
            return _write_report(
                actor=actor,
                data=data,
                item=item,
                condition=condition,
                location=location,
                standing=standing,
                request_id=request_id,
                self_handled=self_handled,
                note=note,
                now=now,
            )
    except IntegrityError:
        # A concurrent retry with the same request id won the race: return its result.
        replay = _replay(request_id, case_id=None, action=action, actor=actor)
        if replay is None:
            raise
        return replay


def _validate_report(data: ReportInput) -> tuple[Item, FilingCondition]:
    errors: dict[str, list[str]] = {}
    if data.source not in SourceChannel.values:
        errors["source"] = [_("Unknown source channel.")]
    if data.urgency not in Urgency.values:
        errors["urgency"] = [_("Unknown urgency.")]
    description = (data.description or "").strip()
    if not description:
        errors["description"] = [_("Describe the problem.")]
    elif len(description) > MAX_DESCRIPTION:
        errors["description"] = [_("At most %(n)d characters.") % {"n": MAX_DESCRIPTION}]
    item = Item.objects.filter(pk=data.item_id, is_active=True).first()
    condition = None
    if item is None:
        errors["item"] = [_("Unknown or inactive catalogue item.")]
    elif data.condition_id is None:
        condition = item.conditions.order_by("order", "code").first()
    else:
        condition = item.conditions.filter(pk=data.condition_id).first()
        if condition is None:
            errors["condition"] = [_("This filing condition does not belong to the item.")]
    if item is not None and condition is None and "condition" not in errors:
        errors["condition"] = [_("The item has no filing condition.")]
    if errors:
        raise InvalidInput(_("The report has errors."), field_errors=errors)
    if item is None or condition is None:  # pragma: no cover - the checks above raised
        raise InvalidInput(_("The report has errors."))
    return item, condition


def _report_standing(
    actor: AbstractBaseUser | None, source: str, grid_code: str, self_handled: bool
) -> Standing:
    if self_handled or source in (SourceChannel.INSPECTOR, SourceChannel.SELF_HANDLED):
        if actor is None:
            raise NotPermitted(_("Inspector reports need an inspector."))
        for post in _posts(actor):
            if post.role == Role.INSPECTOR and post.region and post.region.code == grid_code:
                return Standing(role=Role.INSPECTOR, post_id=post.pk)
        raise NotPermitted(
            _(
                "Inspectors report and self-handle in their own grids; "
                "the point is in grid %(grid)s."
            )
            % {"grid": grid_code}
        )
    if source in PUBLIC_CHANNELS:
        if actor is None:
            return SYSTEM
        for post in _posts(actor):
            if (
                post.role in STAFF_REPORT_ROLES
                and post.region
                and grid_code.startswith(post.region.code)
            ):
                return Standing(role=post.role, post_id=post.pk)
        # A citizen or an agency's account: no post needed.
        return Standing(role="citizen")
    raise InvalidInput(_("Unknown source channel."), field_errors={"source": [_("Unknown.")]})


def _write_report(
    *,
    actor: AbstractBaseUser | None,
    data: ReportInput,
    item: Item,
    condition: FilingCondition,
    location: Any,
    standing: Standing,
    request_id: str,
    self_handled: bool,
    note: str,
    now: datetime,
) -> Case:
    contact = None
    if data.contact_name.strip() or data.contact_phone.strip():
        contact = Contact.objects.create(
            name=data.contact_name.strip()[:100], phone=data.contact_phone.strip()[:30]
        )
    status = Status.CLOSED if self_handled else Status.REPORTED
    case = Case(
        number=_next_number(location.district.code, now),
        source=SourceChannel.SELF_HANDLED if self_handled else data.source,
        reporter=actor,
        reporter_contact=contact,
        item=item,
        condition=condition,
        urgency=data.urgency,
        description=data.description.strip(),
        point=Point(data.point.x, data.point.y, srid=4326),
        address=data.address.strip()[:255],
        district_id=location.district.code,
        street_id=location.street.code,
        community_id=location.community.code,
        grid_id=location.grid.code,
        # Every case enters the district command centre's loop; it pushes work down.
        # Self-handled cases stay in the grid they were fixed in.
        handling_level=HandlingLevel.GRID if self_handled else HandlingLevel.DISTRICT,
        status=status,
        closure_kind=ClosureKind.NORMAL if self_handled else "",
        reported_at=now,
        closed_at=now if self_handled else None,
        version=1,
    )
    deadlines.apply_clock(case, from_status="", now=now)
    case.save(force_insert=True)
    event = CaseEvent.objects.create(
        case=case,
        request_id=request_id,
        action=Action.SELF_HANDLE if self_handled else Action.REPORT,
        actor=actor,
        actor_role=standing.role,
        created_at=now,
        point=case.point,
        from_status="",
        to_status=status,
        to_level=case.handling_level,
        note=note.strip(),
        data={"source": case.source, "urgency": case.urgency},
        version=case.version,
    )
    _claim_attachments(data.attachment_ids, actor=actor, case=case, event=event)
    _add_outbox(case, event, now)
    return case


# --- transitions ------------------------------------------------------------------------------


def case_transition(
    *,
    case_id: int,
    action: str,
    actor: AbstractBaseUser | None,
    request_id: str,
    expected_version: int | None = None,
    payload: dict[str, Any] | None = None,
    note: str = "",
    point: Point | None = None,
    attachment_ids: Iterable[int] = (),
    now: datetime | None = None,
) -> Case:
    """Take one action on a case. Returns the case as it stands after the action."""
    request_id = _validate_request_id(request_id)
    try:
        row = TRANSITIONS[Action(action)]
    except ValueError:
        raise InvalidInput(
            _("Unknown action %(action)s.") % {"action": action},
            field_errors={"action": [_("Unknown action.")]},
        ) from None
    if row.creates_case:
        raise InvalidInput(
            _("%(action)s creates a case: use case_report.") % {"action": action},
            field_errors={"action": [_("Not an action on an existing case.")]},
        )
    replay = _replay(request_id, case_id=case_id, action=row.action, actor=actor)
    if replay is not None:
        return replay
    now = _now(now)
    payload = dict(payload or {})
    try:
        with transaction.atomic():
            return _transition_locked(
                case_id=case_id,
                row=row,
                actor=actor,
                request_id=request_id,
                expected_version=expected_version,
                payload=payload,
                note=note.strip(),
                point=point,
                attachment_ids=list(attachment_ids),
                now=now,
            )
    except IntegrityError:
        replay = _replay(request_id, case_id=case_id, action=row.action, actor=actor)
        if replay is None:
            raise
        return replay


def _transition_locked(
    *,
    case_id: int,
    row: Transition,
    actor: AbstractBaseUser | None,
    request_id: str,
    expected_version: int | None,
    payload: dict[str, Any],
    note: str,
    point: Point | None,
    attachment_ids: list[int],
    now: datetime,
) -> Case:
    # 1. Lock and re-read, inside the actor's view: a case outside it does not exist for them.
    qs = Case.objects.select_for_update(of=("self",)).select_related(
        "item", "condition", "handling_unit__region"
    )
    if actor is not None:
        qs = qs.filter(case_filter_for(actor, jurisdiction_for_user(actor)))
    case = qs.filter(pk=case_id).first()
    if case is None:
        raise CaseNotFound(_("No case %(id)s in your jurisdiction.") % {"id": case_id})
    # 2. Guard.
    if expected_version is not None and expected_version != case.version:
        raise VersionConflict(
            _("The case has changed since you loaded it: it is at version %(v)d now.")
            % {"v": case.version},
            current_version=case.version,
        )
    if case.status not in row.sources:
        raise ActionNotAllowed(
            _("Cannot “%(action)s”: the case is %(status)s.")
            % {"action": row.label, "status": Status(case.status).label},
            status=case.status,
        )
    if not _pending_ok(case, row):
        if row.needs_pending == PendingRequest.NONE:
            message = _("A %(kind)s request is waiting for approval.") % {
                "kind": PendingRequest(case.pending_request).label
            }
        else:
            message = _("There is no %(kind)s request to decide.") % {
                "kind": PendingRequest(row.needs_pending).label
            }
        raise ActionNotAllowed(message, pending_request=case.pending_request)
    standing = _standing_for(actor, case, row)
    _require_note(row, note)
    # 3. Write.
    from_status, from_level = case.status, case.handling_level
    data = HANDLERS[row.action](ActionContext(case, row, payload, standing, note, now))
    if row.target is not None:
        case.status = row.target
    if row.opens_request:
        case.pending_request = row.opens_request
    elif row.needs_pending not in (None, PendingRequest.NONE) or (
        row.target is not None and row.target != from_status
    ):
        # Deciding a request closes it; so does any change of state (it made it moot).
        case.pending_request = PendingRequest.NONE
        case.pending_request_data = {}
    # 5. Clocks.
    deadlines.apply_clock(case, from_status=from_status, now=now, action=row.action)
    old_version = case.version
    case.version = old_version + 1
    case.updated_at = now
    # The version in the WHERE clause is the guard for backends whose SELECT ... FOR UPDATE is
    # a no-op (SQLite): whoever writes second finds no row and gets a conflict.
    updated = Case.objects.filter(pk=case.pk, version=old_version).update(
        **{name: getattr(case, name) for name in _WRITABLE_ATTNAMES}
    )
    if updated != 1:
        current = Case.objects.filter(pk=case.pk).values_list("version", flat=True).first()
        raise VersionConflict(
            _("The case changed while you acted: it is at version %(v)s now.") % {"v": current},
            current_version=current or 0,
        )
    # 4. Audit.
    event = CaseEvent.objects.create(
        case=case,
        request_id=request_id,
        action=row.action,
        actor=actor,
        actor_role=standing.role,
        created_at=now,
        point=point,
        from_status=from_status,
        to_status=case.status,
        from_level=from_level,
        to_level=case.handling_level,
        handling_unit=case.handling_unit,
        note=note,
        data=data,
        version=case.version,
    )
    _claim_attachments(attachment_ids, actor=actor, case=case, event=event)
    # 6. Notifications, delivered after commit by the command centre.
    _add_outbox(case, event, now)
    return case


# Everything a transition may change; number, reported_at and created_at never change.
_WRITABLE_ATTNAMES = [
    f.attname
    for f in Case._meta.concrete_fields
    if f.name not in {"id", "number", "created_at", "reported_at"}
]


# --- outbox -----------------------------------------------------------------------------------


def _command_region(case: Case) -> str:
    return {
        HandlingLevel.DISTRICT: case.district_id,
        HandlingLevel.STREET: case.street_id,
        HandlingLevel.COMMUNITY: case.community_id,
        HandlingLevel.GRID: case.grid_id,
    }[case.handling_level]


def _recipients(case: Case, action: str, data: dict[str, Any]) -> dict[str, Any] | None:
    """Who hears about an action, as data the deliverer resolves later."""
    command = _command_region(case)
    if action == Action.SEND_VERIFY and data.get("inspector_id"):
        return {"users": [data["inspector_id"]]}
    by_action: dict[str, dict[str, Any]] = {
        Action.REPORT: {"roles": [Role.INTAKE_OPERATOR], "region": command},
        Action.SEND_VERIFY: {"roles": [Role.INSPECTOR], "region": case.grid_id},
        Action.VERIFY: {"roles": [Role.INTAKE_OPERATOR], "region": command},
        Action.REGISTER: {"roles": [Role.SHIFT_SUPERVISOR], "region": command},
        Action.FILE: {"roles": [Role.DISPATCHER], "region": command},
        Action.REQUEST_RETURN: {
            "roles": [Role.DISPATCHER, Role.SHIFT_SUPERVISOR],
            "region": command,
        },
        Action.REQUEST_EXTENSION: {"roles": [Role.SHIFT_SUPERVISOR], "region": command},
        Action.REQUEST_SUSPENSION: {"roles": [Role.SHIFT_SUPERVISOR], "region": command},
        Action.APPROVE_RETURN: {"roles": [Role.DISPATCHER], "region": command},
        Action.FEEDBACK: {"roles": [Role.INTAKE_OPERATOR], "region": command},
        Action.SEND_CHECK: {"roles": [Role.INSPECTOR], "region": case.grid_id},
        Action.CHECK_PASS: {"roles": [Role.SHIFT_SUPERVISOR], "region": command},
        Action.ESCALATE: {"roles": list(COMMAND_ROLES), "region": command},
        Action.PUSH_DOWN: {"roles": list(COMMAND_ROLES), "region": command},
    }
    if action in by_action:
        return by_action[action]
    unit_actions = {
        Action.DISPATCH,
        Action.DENY_RETURN,
        Action.APPROVE_EXTENSION,
        Action.DENY_EXTENSION,
        Action.APPROVE_SUSPENSION,
        Action.DENY_SUSPENSION,
        Action.RESUME,
        Action.CHECK_FAIL,
    }
    if action in unit_actions and case.handling_unit_id:
        return {"unit": case.handling_unit_id}
    if action in (Action.CLOSE, Action.CLOSE_EXCEPTIONALLY, Action.REJECT) and (
        case.reporter_id or case.reporter_contact_id
    ):
        return {
            "users": [case.reporter_id] if case.reporter_id else [],
            "contact": case.reporter_contact_id,
        }
    return None


def _add_outbox(case: Case, event: CaseEvent, now: datetime) -> None:
    recipients = _recipients(case, event.action, event.data or {})
    if recipients is None:
        return
    Outbox.objects.create(
        case=case,
        event=event,
        topic=f"case.{event.action}",
        recipients=recipients,
        payload={
            "case_id": case.pk,
            "number": case.number,
            "status": case.status,
            "item": case.item.name,
            "address": case.address,
            "stage_due_at": case.stage_due_at.isoformat() if case.stage_due_at else None,
        },
        created_at=now,
        next_attempt_at=now,
    )


# --- exceptions (guardian) --------------------------------------------------------------------


def case_grant_co_handler(*, case_id: int, actor: AbstractBaseUser, user: AbstractBaseUser) -> None:
    """Let another user (a co-handling unit's handler, a delegate) see and act as the unit."""
    from guardian.shortcuts import assign_perm

    _guard_exception_grant(case_id, actor)
    assign_perm("cases.co_handle_case", user, Case.objects.get(pk=case_id))


def case_revoke_co_handler(
    *, case_id: int, actor: AbstractBaseUser, user: AbstractBaseUser
) -> None:
    from guardian.shortcuts import remove_perm

    _guard_exception_grant(case_id, actor)
    remove_perm("cases.co_handle_case", user, Case.objects.get(pk=case_id))


def _guard_exception_grant(case_id: int, actor: AbstractBaseUser) -> None:
    case = (
        Case.objects.filter(case_filter_for(actor, jurisdiction_for_user(actor)))
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise CaseNotFound(_("No case %(id)s in your jurisdiction.") % {"id": case_id})
    row = TRANSITIONS[Action.DISPATCH]
    _standing_for(actor, case, row)


__all__ = [
    "CaseError",
    "ReportInput",
    "actions_available",
    "case_grant_co_handler",
    "case_report",
    "case_revoke_co_handler",
    "case_transition",
]

"""The only code that changes a case.

`case_report` and `case_transition` each run as one transaction: lock and re-read the row,
guard (state, role and jurisdiction, expected version), write, append a CaseEvent, recompute
the clocks, and add outbox rows. A retry carrying the same request id returns the first
result and writes nothing.

The guards are one function, `_guard` (the table's state, pending request and standing, then
the action's precheck in cases.handlers): `actions_available` asks it to offer only the
actions that would succeed, `case_transition` asks it under the row lock.

A report starts at its entry level (cases.routing): the item's level in the place, except
that a self-handled case stays in the grid, an urgent one goes to the district, a district
intake operator may keep it at the district, and community staff or a street officer start
what they report at their own level when the item may be handled there.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.geos import Point
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import deadlines
from cases.assets import asset_for_report
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
from cases.handlers import (
    HANDLERS,
    PRECHECKS,
    SYSTEM_ROLE,
    ActionContext,
    Standing,
    active_co_handlings,
)
from cases.models import (
    CLOSED_STATUSES,
    LEVELS_UP,
    Attachment,
    Case,
    CaseEvent,
    CaseNumberSequence,
    ClosureKind,
    CoHandling,
    Contact,
    FilingCondition,
    HandlingLevel,
    Item,
    PendingRequest,
    RequestType,
    SourceChannel,
    Status,
    Supervision,
    Urgency,
)
from cases.outbox import outbox_row
from cases.partitions import event_key
from cases.routing import choose_entry_level, item_entry_level
from cases.selectors import case_filter_for
from cases.workflow import (
    COMMAND_ROLES,
    LEVEL_STAND_INS,
    TRANSITIONS,
    Action,
    Audience,
    Scope,
    Transition,
)
from grids.models import Asset, Level, Post, Role, UnitKind
from grids.selectors import (
    LocateError,
    OutsideDistrictError,
    active_posts,
    jurisdiction_for_user,
    locate,
)

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


SYSTEM = Standing(role=SYSTEM_ROLE)


def _posts(actor: AbstractBaseUser) -> list[Post]:
    return active_posts(actor)


def _covers(post: Post, case: Case) -> bool:
    return post.region is not None and case.grid_id.startswith(post.region.code)


def _standing_for(
    actor: AbstractBaseUser | None,
    case: Case,
    row: Transition,
    posts: list[Post] | None = None,
) -> Standing:
    """The actor's standing for this row on this case, or NotPermitted saying why."""
    if actor is None:
        # The deadline sweep escalates and supervises overdue cases; nothing else runs
        # without a person.
        if row.system:
            return SYSTEM
        raise NotPermitted(_("This action needs a person."))
    if posts is None:
        posts = _posts(actor)
    if row.scope is Scope.CO_UNIT:
        standing = _co_unit_standing(posts, case, row)
        if standing is not None:
            return standing
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
    roles = ", ".join(sorted(str(Role(r).label) for r in row.roles))
    raise NotPermitted(
        _("Only %(roles)s standing for this case may “%(action)s”.")
        % {"roles": roles, "action": row.label}
    )


def _level_rank(level: str) -> int:
    return LEVELS_UP.index(level)


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
    if row.scope is Scope.ABOVE:
        if role not in row.roles:
            return False
        if role == Role.DISTRICT_LEADER:
            return True
        return (
            post.region is not None
            and post.region.level != Level.GRID
            and _covers(post, case)
            and _level_rank(post.region.level) >= _level_rank(level)
        )
    if row.scope is Scope.GRID:
        return (
            role == Role.INSPECTOR and post.region is not None and post.region.code == case.grid_id
        )
    if row.scope is Scope.UNIT:
        if case.handling_unit_id is None:
            return False
        return _acts_for_unit(post, case.handling_unit)
    if row.scope is Scope.LEVEL:
        if role not in row.roles or post.region is None or not _covers(post, case):
            return False
        if level == HandlingLevel.GRID:
            return role == Role.INSPECTOR and post.region.code == case.grid_id
        return post.region.level == level
    if row.scope is Scope.REPORTER:
        return role in row.roles and _covers(post, case)
    return False


def _acts_for_unit(post: Post, unit: Any) -> bool:
    """A unit's handler, or a street officer for their street's office."""
    if post.role == Role.UNIT_HANDLER:
        return post.unit_id == unit.pk
    if post.role == Role.STREET_OFFICER and post.region is not None:
        return unit.kind == UnitKind.STREET_OFFICE and unit.region.code == post.region.code
    return False


def _co_unit_standing(posts: list[Post], case: Case, row: Transition) -> Standing | None:
    """A handler of a unit co-handling the case, acting for that unit."""
    if not any(post.role in row.roles or post.role == Role.STREET_OFFICER for post in posts):
        return None
    parts = active_co_handlings(case).select_related("unit__region")
    for part in parts:
        for post in posts:
            if _acts_for_unit(post, part.unit):
                return Standing(role=post.role, post_id=post.pk, unit_id=part.unit_id)
    return None


def _guard(
    actor: AbstractBaseUser | None,
    case: Case,
    row: Transition,
    posts: list[Post] | None = None,
) -> Standing:
    """Every guard an action passes before it is taken: the state, the pending request, the
    actor's standing and the action's own precheck. Raises the error that says why not."""
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
                "kind": PendingRequest(row.needs_pending or "").label
            }
        raise ActionNotAllowed(message, pending_request=case.pending_request)
    standing = _standing_for(actor, case, row, posts)
    precheck = PRECHECKS.get(row.action)
    if precheck is not None:
        precheck(case, standing)
    return standing


def actions_available(*, case: Case, actor: AbstractBaseUser) -> list[Transition]:
    """The rows the actor could take on the case now: those that pass every guard."""
    posts = _posts(actor)
    available = []
    for row in TRANSITIONS.values():
        if row.creates_case or case.status not in row.sources:
            continue
        try:
            _guard(actor, case, row, posts)
        except (NotPermitted, ActionNotAllowed):
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
    # One statement hands out the day's next number: the upsert creates the day's counter row
    # or bumps it under its row lock, without gaps or repeats across concurrent reports
    # (PostgreSQL, and SQLite since 3.35).
    table = connection.ops.quote_name(CaseNumberSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (district_code, day, last) VALUES (%s, %s, 1) "  # noqa: S608
            f"ON CONFLICT (district_code, day) DO UPDATE SET last = {table}.last + 1 "
            "RETURNING last",
            [district_code, connection.ops.adapt_datefield_value(day)],
        )
        (last,) = cursor.fetchone()
    return f"{district_code}-{day:%Y%m%d}-{last:06d}"


def _claim_attachments(
    ids: Sequence[int], *, actor: AbstractBaseUser | None, case: Case, event: CaseEvent
) -> list[Attachment]:
    """Attach the uploaded photos to the event; returns them, in the order of their ids."""
    if not ids:
        return []
    ids = list(dict.fromkeys(ids))
    claimable = Attachment.objects.select_for_update().filter(pk__in=ids, event__isnull=True)
    if actor is not None:
        claimable = claimable.filter(uploaded_by=actor)
    claimed = sorted(claimable, key=lambda a: a.pk)
    found = {a.pk for a in claimed}
    missing = [i for i in ids if i not in found]
    if missing:
        raise InvalidInput(
            _("Unknown or already used photos: %(ids)s.") % {"ids": ", ".join(map(str, missing))},
            field_errors={"attachments": [_("Upload the photos first, then refer to them once.")]},
        )
    Attachment.objects.filter(pk__in=found).update(case=case, event=event)
    for attachment in claimed:
        attachment.case, attachment.event = case, event
    return claimed


def _existing_event(request_id: str) -> CaseEvent | None:
    events = CaseEvent.objects.filter(request_id=request_id)
    # PostgreSQL: the request-id key table says which month (partition) holds the event.
    at = event_key(request_id)
    if at is None:
        return None
    if at is not False:
        events = events.filter(created_at=at)
    return events.select_related("case").first()


def _replay(
    request_id: str,
    *,
    case_id: int | None,
    action: str,
    actor: AbstractBaseUser | None,
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


# --- what a write already knows --------------------------------------------------------------


@dataclass
class Known:
    """What a write knows of the case it returns, so that answering with the case reads no
    more than it must (the API's render_case asks `known_parts`)."""

    # The whole timeline, when the write knows it (a new case: its one event, with its photos).
    timeline: list[CaseEvent] | None = None
    # False when the case is known to have no co-handlers, or no supervisions.
    co_handlers: bool = True
    supervisions: bool = True


def known_parts(case: Case) -> Known:
    """What the write that returned this case knew of it (nothing, for a case read anew)."""
    known = case.__dict__.get("_known")
    return known if isinstance(known, Known) else Known()


def _with_prefetched_attachments(event: CaseEvent, attachments: list[Attachment]) -> CaseEvent:
    """The event as case_events reads it, its photos already in hand."""
    photos = event.attachments.all()
    photos._result_cache = attachments  # type: ignore[attr-defined]
    photos._prefetch_done = True  # type: ignore[attr-defined]
    event._prefetched_objects_cache = {"attachments": photos}  # type: ignore[attr-defined]
    return event


# --- report -----------------------------------------------------------------------------------


@dataclass
class ReportInput:
    source: str
    item_id: int
    description: str
    point: Point
    condition_id: int | None = None
    urgency: str = Urgency.NORMAL
    request_type: str = RequestType.PROBLEM
    address: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    attachment_ids: Sequence[int] = field(default_factory=tuple)
    # The city component the report is about (grids.Asset id), if the reporter named one.
    asset_id: int | None = None
    # "district": a district intake operator keeps the case at the district; "": the entry
    # level decides.
    handling_level: str = ""
    # Which line or platform of the channel it came through (one of the one window's 14
    # hotlines and 6 web platforms); kept on the case and recorded on the report's event.
    sub_channel: str = ""


@dataclass(frozen=True)
class Reported:
    case: Case
    # False for a retry (the request id was seen, or a concurrent copy wrote first): the case
    # is the first request's, and nothing was written.
    created: bool


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
    return case_report_result(
        actor=actor,
        data=data,
        request_id=request_id,
        self_handled=self_handled,
        note=note,
        now=now,
    ).case


def case_report_result(
    *,
    actor: AbstractBaseUser | None,
    data: ReportInput,
    request_id: str,
    self_handled: bool = False,
    note: str = "",
    now: datetime | None = None,
) -> Reported:
    """case_report, saying whether this call wrote the case or answers a retry.

    A retry is found where it fails: the request id is unique on the events, so a copy of a
    report already written fails at its event (or earlier, at a guard, when things changed
    since) and then answers as a replay (created=False), or says the request id meant another
    action. Copies racing each other (a handheld resending before the first answer came) write
    one case the same way. A first try pays no look-up for it.
    """
    request_id = _validate_request_id(request_id)
    action = Action.SELF_HANDLE if self_handled else Action.REPORT
    try:
        case = _report(
            actor=actor,
            data=data,
            request_id=request_id,
            self_handled=self_handled,
            note=note,
            now=_now(now),
        )
    except (IntegrityError, CaseError):
        replay = _replay(request_id, case_id=None, action=action, actor=actor)
        if replay is None:
            raise
        return Reported(replay, created=False)
    return Reported(case, created=True)


def _report(
    *,
    actor: AbstractBaseUser | None,
    data: ReportInput,
    request_id: str,
    self_handled: bool,
    note: str,
    now: datetime,
) -> Case:
    item, condition = _validate_report(data)
    try:
        location = locate(data.point)
    except OutsideDistrictError as exc:
        raise OutsideDistrict(str(exc), field_errors={"point": [str(exc)]}) from exc
    except LocateError as exc:
        raise InvalidInput(str(exc), field_errors={"point": [str(exc)]}) from exc
    asset = (
        asset_for_report(
            asset_id=data.asset_id,
            item=item,
            point=data.point,
            district_code=location.district.code,
        )
        if data.asset_id is not None
        else None
    )
    standing = _report_standing(actor, data.source, location.grid.code, self_handled)
    keep_at_district = data.handling_level == HandlingLevel.DISTRICT
    if keep_at_district and not _is_district_intake(actor, location.grid.code):
        message = _("Only the district's intake operators keep a case at the district.")
        raise NotPermitted(message, field_errors={"handling_level": [message]})
    level = choose_entry_level(
        item_level=item_entry_level(
            item, street_code=location.street.code, community_code=location.community.code
        ),
        urgency=data.urgency,
        self_handled=self_handled,
        reporter_role=standing.role,
        keep_at_district=keep_at_district,
    )
    with transaction.atomic():
        return _write_report(
            actor=actor,
            data=data,
            item=item,
            condition=condition,
            asset=asset,
            location=location,
            standing=standing,
            level=level,
            request_id=request_id,
            self_handled=self_handled,
            note=note,
            now=now,
        )


def _validate_report(data: ReportInput) -> tuple[Item, FilingCondition]:
    errors: dict[str, list[str]] = {}
    if data.source not in SourceChannel.values:
        errors["source"] = [_("Unknown source channel.")]
    if data.urgency not in Urgency.values:
        errors["urgency"] = [_("Unknown urgency.")]
    if data.request_type not in RequestType.values:
        errors["request_type"] = [_("Unknown request type.")]
    description = (data.description or "").strip()
    if not description:
        errors["description"] = [_("Describe the problem.")]
    elif len(description) > MAX_DESCRIPTION:
        errors["description"] = [_("At most %(n)d characters.") % {"n": MAX_DESCRIPTION}]
    # The item and its condition in one query; the item alone only when that finds nothing.
    conditions = FilingCondition.objects.select_related("item").filter(
        item_id=data.item_id, item__is_active=True
    )
    if data.condition_id is None:
        condition = conditions.order_by("order", "code").first()
    else:
        condition = conditions.filter(pk=data.condition_id).first()
    item = (
        condition.item
        if condition is not None
        else Item.objects.filter(pk=data.item_id, is_active=True).first()
    )
    if item is None:
        errors["item"] = [_("Unknown or inactive catalogue item.")]
    elif condition is None and data.condition_id is not None:
        errors["condition"] = [_("This filing condition does not belong to the item.")]
    if item is not None and condition is None and "condition" not in errors:
        errors["condition"] = [_("The item has no filing condition.")]
    if data.handling_level not in ("", HandlingLevel.DISTRICT):
        errors["handling_level"] = [
            _("Only “district” (keep the case at the district), or leave it out.")
        ]
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


def district_intake_codes(actor: AbstractBaseUser | AnonymousUser | None) -> list[str]:
    """The districts where this person is an intake operator: the only people who may keep a
    report at the district (handling_level) instead of letting it enter lower down."""
    if actor is None:
        return []
    return [
        post.region.code
        for post in active_posts(actor)
        if post.role == Role.INTAKE_OPERATOR
        and post.region is not None
        and post.region.level == Level.DISTRICT
    ]


def _is_district_intake(actor: AbstractBaseUser | None, grid_code: str) -> bool:
    """An intake operator posted at a district that covers the point."""
    return any(grid_code.startswith(code) for code in district_intake_codes(actor))


def _write_report(
    *,
    actor: AbstractBaseUser | None,
    data: ReportInput,
    item: Item,
    condition: FilingCondition,
    asset: Asset | None,
    location: Any,
    standing: Standing,
    level: str,
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
        sub_channel=data.sub_channel.strip()[:50],
        reporter=actor,
        reporter_contact=contact,
        item=item,
        condition=condition,
        urgency=data.urgency,
        request_type=data.request_type,
        description=data.description.strip(),
        point=Point(data.point.x, data.point.y, srid=4326),
        address=data.address.strip()[:255],
        asset=asset,
        district_id=location.district.code,
        street_id=location.street.code,
        community_id=location.community.code,
        grid_id=location.grid.code,
        # The loop that handles it: its entry level (self-handled: the grid it was fixed in).
        handling_level=level,
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
        data={
            "source": case.source,
            "urgency": case.urgency,
            **({"sub_channel": case.sub_channel} if case.sub_channel else {}),
            **({"asset": asset.code} if asset is not None else {}),
        },
        version=case.version,
    )
    photos = _claim_attachments(data.attachment_ids, actor=actor, case=case, event=event)
    _notify(case, TRANSITIONS[Action(event.action)], event, now)
    # The answer needs nothing read again: the places are those located, the timeline is
    # this one event, and a case this new has no co-handlers or supervisions.
    case.grid, case.community = location.grid, location.community
    case.street, case.district = location.street, location.district
    case.__dict__["_known"] = Known(
        timeline=[_with_prefetched_attachments(event, photos)],
        co_handlers=False,
        supervisions=False,
    )
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
    except (IntegrityError, CaseError):
        # A retry is found where it fails: a copy of this request that wrote first has
        # committed by the time this one holds the row lock, so this one meets a changed
        # version, a state the action no longer applies to, or the unique request id of the
        # first one's event. It answers as the replay does (a first try pays no look-up).
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
    qs = (
        Case.objects.select_for_update(of=("self",))
        .select_related("item", "condition", "handling_unit__region")
        .defer("handling_unit__region__geom")
        # Whether the answer must read co-handlers and supervisions, and a stage change must
        # settle supervisions: most cases have none.
        .annotate(
            _any_co_handler=Exists(CoHandling.objects.filter(case_id=OuterRef("pk"))),
            _any_supervision=Exists(Supervision.objects.filter(case_id=OuterRef("pk"))),
            _open_supervision=Exists(
                Supervision.objects.filter(case_id=OuterRef("pk"), settled_at__isnull=True)
            ),
        )
    )
    if actor is not None:
        view = case_filter_for(actor, jurisdiction_for_user(actor))
        if row.scope is Scope.REPORTER and view:  # an empty Q is everything already
            # The reporter rates their own report: a citizen holds no post, so their case is
            # outside every staff view (citizens.reports reads it for them).
            view |= Q(reporter_id=actor.pk)
        qs = qs.filter(view)
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
    standing = _guard(actor, case, row)
    _require_note(row, note)
    # 3. Write.
    from_status, from_level = case.status, case.handling_level
    stage_before = (case.stage, case.stage_started_at)
    clock_before = deadlines.clock_state(case)
    context = ActionContext(case, row, payload, standing, note, now, actor=actor)
    data = HANDLERS[row.action](context)
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
    deadlines.apply_clock(
        case, from_status=from_status, now=now, action=row.action, before=clock_before
    )
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
    stage_ended = (
        case.status in CLOSED_STATUSES or (case.stage, case.stage_started_at) != stage_before
    )
    if stage_ended and case._open_supervision:  # type: ignore[attr-defined]
        # The stage a supervision pressed on has ended: the supervision is settled.
        Supervision.objects.filter(case=case, settled_at__isnull=True).update(settled_at=now)
    for after_event in context.after_event:
        after_event(event)
    _claim_attachments(attachment_ids, actor=actor, case=case, event=event)
    # 6. Notifications, delivered after commit by the command centre.
    _notify(case, row, event, now)
    case.__dict__["_known"] = Known(
        co_handlers=case._any_co_handler or row.action in _ADDS_CO_HANDLER,  # type: ignore[attr-defined]
        supervisions=case._any_supervision or row.action in _ADDS_SUPERVISION,  # type: ignore[attr-defined]
    )
    return case


# The actions whose handlers add a co-handler or a supervision (cases.handlers).
_ADDS_CO_HANDLER = frozenset({Action.ADD_CO_HANDLER})
_ADDS_SUPERVISION = frozenset({Action.SUPERVISE})


# Everything a transition may change; number, reported_at and created_at never change.
_WRITABLE_ATTNAMES = [
    f.attname
    for f in Case._meta.concrete_fields
    if f.name not in {"id", "number", "created_at", "reported_at"}
]


# --- outbox ---------------------------------------------------------------------------------


def _notify(case: Case, row: Transition, event: CaseEvent, now: datetime) -> None:
    """Tell the row's audience, at the case's level as it stands after the action; and a
    citizen who reported through their account, when the row has a word for them."""
    from cases.intake import CITIZEN_CHANNELS  # intake builds on this module

    rows = []
    if row.audience:
        rows.append(
            outbox_row(
                case, topic=row.topic, audiences=row.audience, now=now, event=event, data=event.data
            )
        )
    if (
        row.reporter_notice is not None
        and case.reporter_id is not None
        and case.source in CITIZEN_CHANNELS
    ):
        rows.append(
            outbox_row(
                case,
                topic=row.reporter_topic,
                audiences=(Audience.REPORTER,),
                now=now,
                event=event,
                data=event.data,
            )
        )
    for outbox in rows:
        if outbox is not None:
            outbox.save(force_insert=True)


__all__ = [
    "CaseError",
    "Known",
    "ReportInput",
    "actions_available",
    "case_report",
    "case_report_result",
    "case_transition",
    "known_parts",
]

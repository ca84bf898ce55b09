"""Reports and actions as they arrive through the API, and the reporter's contact.

- `case_report_submit`: a staff report, with photos uploaded in the same request; a retry
  with the same request id uploads nothing and returns the first case.
- `case_act_submit`: an action on a case, with photos uploaded in the same request.
- `case_intake`: the one-window intake (一口受理) from every channel: the hotline operator,
  a citizen's app account, another agency's system with its key. Says where the case was
  located and which open cases it may duplicate.
- `contact_read`: the reporter's contact, masked or whole, for the roles that may see it;
  every read is logged.

The case itself is written by cases.services; nothing here changes a case directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.gis.geos import Point
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.attachments import attachment_upload
from cases.errors import CaseNotFound, InvalidInput, NotPermitted
from cases.models import (
    AgencyKey,
    Case,
    CaseEvent,
    CoHandling,
    ContactAccessLog,
    Item,
    PendingRequest,
    SourceChannel,
    Status,
)
from cases.selectors import case_get_for_user, case_qs_for_user, duplicate_candidates
from cases.services import PUBLIC_CHANNELS, ReportInput, case_report_result, case_transition
from cases.tables import place_names
from grids.geo import distance_m
from grids.models import Region, Role
from grids.selectors import active_posts, jurisdiction_for_user

# Channels a citizen's own account may report through (not the hotline or 110: those are
# operators' and agencies' channels).
CITIZEN_CHANNELS = frozenset({SourceChannel.CITIZEN_APP, SourceChannel.WEB, SourceChannel.WECHAT})
# Roles that may see a reporter's contact (masked in the case, whole on request with a
# reason), in a post whose region covers the case; district leaders' posts cover the district.
CONTACT_READER_ROLES = frozenset(
    {Role.INTAKE_OPERATOR, Role.SHIFT_SUPERVISOR, Role.DISTRICT_LEADER}
)
# Who takes calls and walk-ins at a desk (the intake desk page, its link in the nav): the roles
# that report through the public channels for their region; inspectors report from the field.
INTAKE_DESK_ROLES = frozenset({Role.INTAKE_OPERATOR, Role.STREET_OFFICER, Role.COMMUNITY_STAFF})
# The lines and platforms of each channel the desk suggests (the one window merged 14 hotlines
# and 6 web platforms); a deployment names its own in settings.INTAKE_SUB_CHANNELS.
SUB_CHANNELS: dict[str, tuple[Any, ...]] = {
    SourceChannel.HOTLINE_12345: (
        gettext_lazy("12345 citizen hotline"),
        gettext_lazy("12319 urban construction hotline"),
        gettext_lazy("12369 environment hotline"),
        gettext_lazy("12315 consumer hotline"),
        gettext_lazy("District mayor's hotline"),
    ),
    SourceChannel.WEB: (
        gettext_lazy("District government website"),
        gettext_lazy("Leaders' message board"),
        gettext_lazy("City government service platform"),
    ),
    SourceChannel.WECHAT: (
        gettext_lazy("WeChat official account"),
        gettext_lazy("WeChat mini program"),
    ),
}
# What a unit's queue holds: the case is with the unit (or waits on a request the unit made).
QUEUE_STATUSES = (Status.DISPATCHED, Status.HANDLING, Status.SUSPENDED, Status.HANDLED)


def may_take_calls(user: AbstractBaseUser | Any) -> bool:
    """Whether the user works an intake desk (the nav links it)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(jurisdiction_for_user(user).roles & INTAKE_DESK_ROLES)


def sub_channels() -> dict[str, list[str]]:
    configured = getattr(settings, "INTAKE_SUB_CHANNELS", None) or SUB_CHANNELS
    return {channel: [str(name) for name in names] for channel, names in configured.items()}


def _request_id_seen(request_id: str) -> bool:
    return CaseEvent.objects.filter(request_id=request_id.strip()).exists()


def _upload(actor: AbstractBaseUser, photos: Sequence[Any]) -> list[int]:
    return [attachment_upload(actor=actor, data=photo).pk for photo in photos]


# --- reports and actions ----------------------------------------------------------------------


@dataclass(frozen=True)
class ReportOutcome:
    case: Case
    # False when the request id had been seen: the case is the first request's.
    created: bool


def case_report_submit(
    *,
    actor: AbstractBaseUser,
    data: ReportInput,
    request_id: str,
    self_handled: bool = False,
    note: str = "",
    photos: Sequence[Any] = (),
) -> ReportOutcome:
    """Upload the photos sent with a report, then report with them.

    A request id seen before is a retry: nothing is uploaded and case_report returns the first
    case (or refuses a request id that meant something else). When the report itself fails,
    the photos stay as unclaimed attachments; a corrected retry reuses them by content.
    """
    if photos and not (request_id.strip() and _request_id_seen(request_id)):
        data = replace(data, attachment_ids=[*data.attachment_ids, *_upload(actor, photos)])
    # Concurrent copies of one request make one case; only the copy that wrote it says
    # "created", the others answer as a retry does.
    result = case_report_result(
        actor=actor, data=data, request_id=request_id, self_handled=self_handled, note=note
    )
    return ReportOutcome(case=result.case, created=result.created)


def case_act_submit(
    *,
    actor: AbstractBaseUser,
    case_id: int,
    action: str,
    request_id: str,
    expected_version: int,
    payload: dict[str, Any] | None = None,
    note: str = "",
    point: Point | None = None,
    attachment_ids: Sequence[int] = (),
    photos: Sequence[Any] = (),
) -> Case:
    """Upload the photos sent with an action (a unit's feedback, a check), then take it."""
    if photos and not (request_id.strip() and _request_id_seen(request_id)):
        # Nothing is stored for a case the actor cannot see.
        case_get_for_user(actor, case_id)
        attachment_ids = [*attachment_ids, *_upload(actor, photos)]
    return case_transition(
        case_id=case_id,
        action=action,
        actor=actor,
        request_id=request_id,
        expected_version=expected_version,
        payload=payload,
        note=note,
        point=point,
        attachment_ids=attachment_ids,
    )


# --- one-window intake ------------------------------------------------------------------------


@dataclass(frozen=True)
class DuplicateSuggestion:
    case: Case
    distance_m: float


@dataclass(frozen=True)
class IntakeOutcome:
    case: Case
    created: bool
    location: dict[str, dict[str, str]]
    duplicates: list[DuplicateSuggestion]


def intake_source(*, actor: AbstractBaseUser, agency: AgencyKey | None, requested: str) -> str:
    """The channel a report came through: an agency's key says it; citizens' accounts choose
    among the citizen channels (the app by default); operators name the channel they took it
    from."""
    if agency is not None:
        return agency.source
    requested = (requested or "").strip()
    if not active_posts(actor):
        source = requested or SourceChannel.CITIZEN_APP
        if source not in CITIZEN_CHANNELS:
            raise InvalidInput(
                _("A citizen's account reports through the app, the web or WeChat."),
                field_errors={"source": [_("citizen_app, web or wechat.")]},
            )
        return source
    if requested not in PUBLIC_CHANNELS:
        raise InvalidInput(
            _("Name the channel the report came through."),
            field_errors={
                "source": [
                    _("One of: %(channels)s.") % {"channels": ", ".join(sorted(PUBLIC_CHANNELS))}
                ]
            },
        )
    return requested


def intake_request_id(
    *, agency: AgencyKey | None, source: str, external_id: str, request_id: str
) -> str:
    """The request id that makes a resent intake one case.

    An agency's ticket number is unique in its own system: prefixed with the agency, a resend
    of the same ticket is a retry. Operators may send their own request id, or the channel's
    ticket number (the 12345 work-order number), prefixed with the channel.
    """
    external_id, request_id = external_id.strip(), request_id.strip()
    if agency is not None and (external_id or request_id):
        return f"agency{agency.pk}:{external_id or request_id}"
    if request_id:
        return request_id
    if external_id:
        return f"{source}:{external_id}"
    message = _("Give your ticket number (external_id) or a request_id.")
    raise InvalidInput(message, field_errors={"external_id": [message], "request_id": [message]})


@dataclass(frozen=True)
class IntakeOrigin:
    """Where a case came in from, read back from its report's request id (the inverse of
    `intake_request_id`): an agency's key and its ticket number, or the channel's ticket
    number an operator typed in."""

    agency_id: int | None
    channel: str
    external_id: str


def intake_origin(*, request_id: str, source: str) -> IntakeOrigin | None:
    """The origin of a case reported with this request id through this channel, or None
    when the request id names no ticket of an agency or channel."""
    prefix, sep, ticket = request_id.partition(":")
    if not sep or not ticket:
        return None
    if prefix.startswith("agency") and prefix[len("agency") :].isdigit():
        return IntakeOrigin(
            agency_id=int(prefix[len("agency") :]), channel=source, external_id=ticket
        )
    if prefix == source:
        return IntakeOrigin(agency_id=None, channel=source, external_id=ticket)
    return None


def case_intake(
    *,
    actor: AbstractBaseUser,
    data: ReportInput,
    agency: AgencyKey | None = None,
    external_id: str = "",
    request_id: str = "",
) -> IntakeOutcome:
    """Take a report from any channel; say where it lies and what it may duplicate."""
    source = intake_source(actor=actor, agency=agency, requested=data.source)
    request_id = intake_request_id(
        agency=agency, source=source, external_id=external_id, request_id=request_id
    )
    outcome = case_report_submit(
        actor=actor, data=replace(data, source=source), request_id=request_id
    )
    case = outcome.case
    duplicates = [
        DuplicateSuggestion(case=other, distance_m=round(distance_m(other.point, case.point), 1))
        for other in duplicate_candidates(
            item=case.item, point=case.point, at=case.reported_at, exclude_case_id=case.pk
        )
    ]
    return IntakeOutcome(
        case=case,
        created=outcome.created,
        location=case_location(case),
        duplicates=duplicates,
    )


def intake_duplicates(
    *, user: AbstractBaseUser, item_id: int, point: Point, now: datetime | None = None
) -> list[DuplicateSuggestion]:
    """Before a report is taken: the open cases it may duplicate that the user can see."""
    item = Item.objects.filter(pk=item_id, is_active=True).first()
    if item is None:
        return []
    candidates = duplicate_candidates(item=item, point=point, at=now or timezone.now())
    visible = set(
        case_qs_for_user(user)
        .filter(pk__in=[c.pk for c in candidates])
        .values_list("pk", flat=True)
    )
    return [
        DuplicateSuggestion(case=other, distance_m=round(distance_m(other.point, point), 1))
        for other in candidates
        if other.pk in visible
    ]


def case_location(case: Case) -> dict[str, dict[str, str]]:
    """The case's grid chain as stored on the case: code, name and kind per level (from the
    places the case already holds, when its write or read brought them along)."""
    fields = ("grid", "community", "street", "district")
    if all(Case._meta.get_field(name).is_cached(case) for name in fields):  # type: ignore[union-attr]
        places = {name: getattr(case, name) for name in fields}
        return {
            name: {"code": place.code, "name": place.name, "kind": place.kind}
            for name, place in places.items()
        }
    names = place_names()
    if all(code in names for code in (case.grid_id, case.community_id, case.street_id)):
        chain = {
            "grid": case.grid_id,
            "community": case.community_id,
            "street": case.street_id,
            "district": case.district_id,
        }
        return {
            level: {"code": code, "name": names[code][0], "kind": names[code][1]}
            if code in names
            else {"code": code, "name": "", "kind": ""}
            for level, code in chain.items()
        }
    levels = {
        "grid": case.grid_id,
        "community": case.community_id,
        "street": case.street_id,
        "district": case.district_id,
    }
    regions: dict[str, dict[str, str]] = {
        code: {"code": code, "name": name, "kind": kind}
        for code, name, kind in Region.objects.filter(code__in=list(levels.values())).values_list(
            "code", "name", "kind"
        )
    }
    return {
        level: regions.get(code, {"code": code, "name": "", "kind": ""})
        for level, code in levels.items()
    }


# --- a unit's queue ---------------------------------------------------------------------------


def case_queue_for_user(user: AbstractBaseUser) -> QuerySet[Case]:
    """The cases with the user's units (a unit handler's unit, a street officer's street
    office) that wait on the unit or on a request it made, and the cases whose part the units
    co-handle and have not fed back yet; the nearest stage due first."""
    unit_ids = sorted(jurisdiction_for_user(user).unit_ids)
    if not unit_ids:
        return Case.objects.none()
    own = Q(handling_unit_id__in=unit_ids) & (
        Q(status__in=QUEUE_STATUSES) | ~Q(pending_request=PendingRequest.NONE)
    )
    parts = CoHandling.objects.filter(
        unit_id__in=unit_ids, removed_at__isnull=True, fed_back_at__isnull=True
    ).values("case_id")
    co_handled = Q(pk__in=parts, status__in=[Status.DISPATCHED, Status.HANDLING])
    return (
        case_qs_for_user(user)
        .filter(own | co_handled)
        .order_by(F("stage_due_at").asc(nulls_last=True), "pk")
    )


# --- the reporter's contact (personal data) ---------------------------------------------------


def mask_name(name: str) -> str:
    """张三丰 → 张*: the first character only, and not how long the name is."""
    name = name.strip()
    return f"{name[0]}*" if name else ""


def mask_phone(phone: str) -> str:
    """13812345678 → 138****5678; shorter numbers keep less."""
    phone = phone.strip()
    if len(phone) >= 11:
        return f"{phone[:3]}****{phone[-4:]}"
    if len(phone) >= 7:
        return f"{phone[:2]}****{phone[-2:]}"
    return "****" if phone else ""


@dataclass(frozen=True)
class ContactView:
    name: str
    phone: str
    masked: bool


def contact_reader_role(*, user: AbstractBaseUser, case: Case) -> str | None:
    """The role in which the user may read the case's contact, or None."""
    for post in active_posts(user):
        if (
            post.role in CONTACT_READER_ROLES
            and post.region is not None
            and case.grid_id.startswith(post.region.code)
        ):
            return post.role
    return None


def contact_read(
    *,
    user: AbstractBaseUser,
    case: Case,
    full: bool,
    reason: str = "",
    request_id: str = "",
    ip: str | None = None,
    now: datetime | None = None,
) -> ContactView | None:
    """The reporter's contact of a case the user can see (from case_get_for_user).

    Masked (`full=False`, as shown in the case): None when the case has no contact or the
    user's role may not see it. Whole (`full=True`): only with a reason, only for the contact
    roles; refused otherwise. Every read returned is logged first.
    """
    contact = case.reporter_contact
    role = contact_reader_role(user=user, case=case)
    if not full:
        if contact is None or role is None:
            return None
    else:
        if role is None:
            raise NotPermitted(
                _(
                    "Only intake operators, shift supervisors and district leaders over the case "
                    "may read the reporter's contact."
                )
            )
        if not reason.strip():
            raise InvalidInput(
                _("Say why you need the reporter's contact."),
                field_errors={"reason": [_("This field is required.")]},
            )
        if contact is None:
            raise CaseNotFound(_("The case has no reporter contact."))
    ContactAccessLog.objects.create(
        user_id=user.pk,
        role=role,
        case=case,
        contact=contact,
        full=full,
        reason=reason.strip()[:255],
        accessed_at=now or timezone.now(),
        request_id=request_id[:64],
        ip=ip or None,
    )
    if full:
        return ContactView(name=contact.name, phone=contact.phone, masked=False)
    return ContactView(name=mask_name(contact.name), phone=mask_phone(contact.phone), masked=True)

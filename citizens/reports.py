"""A citizen's reports: report through the one-window intake, follow them on a public
timeline, rate the result once it is closed.

The public timeline shows what happened to the case and when, never who did it: no staff
names, no units' internal notes, no phone numbers. Only the reasons a citizen is owed
(why a report was rejected or closed without a fix) are shown, through the same redaction as
everything published (citizens.redaction.public_note).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from cases.attachments import attachment_upload
from cases.errors import ActionNotAllowed, CaseNotFound, InvalidInput
from cases.intake import IntakeOutcome, case_intake
from cases.models import Attachment, Case, CaseEvent, SourceChannel, Status
from cases.services import ReportInput, case_transition
from cases.workflow import TRANSITIONS, Action
from citizens.errors import PhotoTooLarge
from citizens.redaction import public_note

# Events whose note the citizen is owed: why the report was turned down or closed.
PUBLIC_NOTE_ACTIONS = frozenset({Action.REJECT, Action.CLOSE, Action.CLOSE_EXCEPTIONALLY})


def _request_id(user_pk: int, request_id: str) -> str:
    # Request ids are unique across all cases: a citizen's own id is namespaced by account.
    return f"citizen{user_pk}:{request_id.strip()}"


# --- report -----------------------------------------------------------------------------------


def check_photos(photos: Sequence[Any]) -> None:
    """The citizen's limits: how many photos, and how large each may be."""
    limit = settings.CITIZEN_REPORT_MAX_PHOTOS
    if len(photos) > limit:
        message = _("At most %(n)d photos.") % {"n": limit}
        raise InvalidInput(message, field_errors={"photos": [message]})
    max_bytes = settings.CITIZEN_PHOTO_MAX_BYTES
    for index, photo in enumerate(photos, start=1):
        if (getattr(photo, "size", 0) or 0) > max_bytes:
            message = _("Photo %(i)d is larger than %(size)s.") % {
                "i": index,
                "size": filesizeformat(max_bytes),
            }
            raise PhotoTooLarge(message, field_errors={"photos": [message]})


def citizen_report_submit(
    *, user: Any, data: ReportInput, request_id: str, photos: Sequence[Any] = ()
) -> IntakeOutcome:
    """Report a problem with photos through the one-window intake (channel: the citizen app).

    The same request id again is a retry: nothing is uploaded and the first case returns.
    """
    check_photos(photos)
    full_id = _request_id(user.pk, request_id)
    seen = CaseEvent.objects.filter(request_id=full_id).exists()
    attachment_ids: list[int] = []
    if photos and not seen:
        attachment_ids = [attachment_upload(actor=user, data=photo).pk for photo in photos]
    data = replace(
        data,
        source=SourceChannel.CITIZEN_APP,
        contact_name="",
        contact_phone="",
        attachment_ids=tuple(attachment_ids),
    )
    return case_intake(actor=user, data=data, request_id=full_id)


# --- follow -----------------------------------------------------------------------------------


def citizen_reports_qs(user: Any) -> QuerySet[Case]:
    """The cases the citizen reported, newest first."""
    if not getattr(user, "is_authenticated", False):
        return Case.objects.none()
    return Case.objects.filter(reporter_id=user.pk).select_related("item")


def citizen_report_get(user: Any, case_id: int) -> Case:
    case = citizen_reports_qs(user).filter(pk=case_id).first()
    if case is None:
        raise CaseNotFound(_("No report %(id)s of yours.") % {"id": case_id})
    return case


@dataclass(frozen=True)
class PublicEvent:
    at: datetime
    status: str
    status_label: str
    action: str
    action_label: str
    note: str


def _action_label(action: str) -> str:
    try:
        return str(TRANSITIONS[Action(action)].label)
    except ValueError:
        return action


def public_timeline(case: Case) -> list[PublicEvent]:
    """The case's changes of status, with the reasons the citizen is owed; nobody's name."""
    timeline = []
    # None is older than the report: the bound skips the months before it (cases.selectors).
    events = case.events.filter(created_at__gte=case.reported_at)
    for event in events.order_by("created_at", "pk").only(
        "action", "created_at", "from_status", "to_status", "note"
    ):
        is_report = not event.from_status
        if not is_report and event.to_status == event.from_status:
            continue
        note = public_note(event.note) if event.action in PUBLIC_NOTE_ACTIONS else ""
        timeline.append(
            PublicEvent(
                at=event.created_at,
                status=event.to_status,
                status_label=str(Status(event.to_status).label),
                action=event.action,
                action_label=_action_label(event.action),
                note=note,
            )
        )
    return timeline


def report_photos(case: Case) -> QuerySet[Attachment]:
    """The photos sent with the report (not the units' or inspectors' later ones)."""
    return Attachment.objects.filter(case=case, event__action__in=[Action.REPORT]).order_by("pk")


def can_rate(case: Case) -> bool:
    return case.status == Status.CLOSED and case.rating is None


# --- rate -------------------------------------------------------------------------------------


def citizen_rate(
    *, user: Any, case_id: int, rating: int, comment: str = "", request_id: str = ""
) -> Case:
    """Rate a closed report of one's own, once (1–5 and a comment): this feeds evaluation."""
    case = citizen_report_get(user, case_id)
    if case.status != Status.CLOSED:
        message = _("You can rate a report once it is closed.")
        raise ActionNotAllowed(message, field_errors={"rating": [message]})
    if case.rating is not None:
        message = _("You have rated this report already.")
        raise ActionNotAllowed(message, field_errors={"rating": [message]})
    try:
        return case_transition(
            case_id=case.pk,
            action=Action.RATE,
            actor=user,
            request_id=_request_id(user.pk, f"rate:{request_id.strip() or uuid.uuid4().hex}"),
            payload={"rating": rating, "comment": comment},
        )
    except ActionNotAllowed as exc:
        # Rated by a concurrent request between the check above and the lock.
        raise ActionNotAllowed(exc.message, field_errors={"rating": [exc.message]}) from exc

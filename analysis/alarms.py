"""Raising alarms, and the two things people do with them: acknowledge (有人在看) and handle
(已处置). An alarm leaves through the notification outbox like every notice; the inbox, the
big screen's alarm list (analysis.selectors.alarms_for_user) and the analysis page's map read
it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.gis.geos import Point
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from analysis.models import Alarm, AlarmLevel
from cases.errors import ActionNotAllowed, CaseNotFound, InvalidInput
from cases.models import Outbox
from grids.models import CODE_LENGTH, Level, Role

# The notification topics, and what they mean to a reader (registered with the deliverer,
# dispatch.notifications, by analysis.apps).
TOPICS: dict[str, str] = {
    Alarm.Kind.HOTSPOT: "analysis.hotspot",
    Alarm.Kind.TREND: "analysis.trend",
    Alarm.Kind.REPEAT_PLACE: "analysis.repeat_place",
}
TOPIC_LABELS: dict[str, Promise] = {
    "analysis.hotspot": gettext_lazy("Hot spot"),
    "analysis.trend": gettext_lazy("Unusual rise"),
    "analysis.repeat_place": gettext_lazy("Repeat place"),
}
# Who hears of an alarm: the command role at the level that covers it (and, through the
# deliverer's rule that a post over a region covers what lies below, the levels above).
ALARM_ROLES: dict[str, tuple[str, ...]] = {
    AlarmLevel.COMMUNITY: (Role.COMMUNITY_STAFF,),
    AlarmLevel.STREET: (Role.STREET_OFFICER, Role.SHIFT_SUPERVISOR),
    AlarmLevel.DISTRICT: (Role.SHIFT_SUPERVISOR,),
}
MAX_NOTE = 2000

_LEVEL_OF_LENGTH = {
    CODE_LENGTH[Level.COMMUNITY]: AlarmLevel.COMMUNITY,
    CODE_LENGTH[Level.STREET]: AlarmLevel.STREET,
    CODE_LENGTH[Level.DISTRICT]: AlarmLevel.DISTRICT,
}


def covering_region(codes: set[str] | list[str]) -> tuple[str, str]:
    """(region code, level) of the lowest command level holding every given grid or
    community code: their community when they share one, else their street, else the
    district."""
    if not codes:
        raise ValueError("no regions")
    for level in (AlarmLevel.COMMUNITY, AlarmLevel.STREET, AlarmLevel.DISTRICT):
        length = CODE_LENGTH[level]
        prefixes = {code[:length] for code in codes}
        if len(prefixes) == 1:
            return prefixes.pop(), level
    raise ValueError("regions of several districts")


def level_of(region_code: str) -> str:
    return _LEVEL_OF_LENGTH[len(region_code)]


# What each alarm says: (subject, summary), rendered in the reader's language from the
# alarm's parameters. Numbers and moments are parameters; names are data (Chinese).
MESSAGES: dict[str, tuple[Any, Any]] = {
    "hotspot": (
        gettext_lazy("%(what)s: %(count)d cases within %(radius)d m in %(hours)d h"),
        gettext_lazy("%(count)d cases reported between %(first)s and %(last)s."),
    ),
    "trend_day": (
        gettext_lazy("%(item)s in %(region)s: %(count)d today, %(expected).1f expected"),
        gettext_lazy(
            "A count this high has a probability of %(p).1e under the baseline of %(days)d "
            "comparable days."
        ),
    ),
    "trend_week": (
        gettext_lazy("%(item)s in %(region)s: %(count)d this week, %(expected).1f expected"),
        gettext_lazy(
            "A count this high has a probability of %(p).1e under the baseline of %(days)d "
            "comparable days."
        ),
    ),
    "repeat_place": (
        gettext_lazy("%(what)s at %(place)s: %(count)d closed in %(days)d days"),
        gettext_lazy("Cleared %(count)d times; consider a lasting fix."),
    ),
}


def place_label(kind: str, name: str) -> str:
    """How a repeat place is named: an asset or building by its name, a cell by the address
    of its latest case."""
    if kind == "cell":
        return _("near %(address)s") % {"address": name or "—"}
    return name


def alarm_texts(message: str, params: dict[str, Any]) -> tuple[str, str]:
    """(subject, summary) in the active language."""
    subject, summary = MESSAGES[message]
    values = dict(params)
    if isinstance(values.get("place"), dict):
        values["place"] = place_label(
            values["place"].get("kind", ""), values["place"].get("name", "")
        )
    try:
        return str(subject) % values, str(summary) % values
    except (KeyError, TypeError, ValueError):
        # A parameter gone missing in an old row: say what can be said, never fail a page.
        return str(params.get("what") or params.get("item") or message), ""


@dataclass(frozen=True)
class AlarmInput:
    kind: str
    key: str
    region_code: str
    message: str
    params: dict[str, Any]
    item_id: int | None = None
    point: Point | None = None


def alarm_raise(data: AlarmInput, *, now: datetime) -> Alarm | None:
    """Create the alarm and its notification, once per key; None when it was raised before.

    Runs inside the caller's transaction (a pass writes its findings and their alarms
    together); the savepoint keeps a key raced in by another process from spoiling it.
    """
    if Alarm.objects.filter(key=data.key).exists():
        return None
    level = level_of(data.region_code)
    try:
        with transaction.atomic():
            alarm = Alarm.objects.create(
                kind=data.kind,
                key=data.key,
                region_id=data.region_code,
                level=level,
                item_id=data.item_id,
                message=data.message,
                params=data.params,
                point=data.point,
                raised_at=now,
            )
            _notify(alarm, now)
    except IntegrityError:
        return None
    return alarm


def alarm_url(alarm_id: int) -> str:
    return f"{reverse('analysis:index')}?alarm={alarm_id}"


def _notify(alarm: Alarm, now: datetime) -> None:
    # An alarm is about a place and many cases, not one case: the row names no case, and
    # the deliverer renders "label: subject" with the summary as the body, both in the
    # site's language, as every notification (whichever process finds the alarm).
    with translation.override(settings.LANGUAGE_CODE):
        subject, summary = alarm_texts(alarm.message, alarm.params)
    payload: dict[str, Any] = {
        "alarm_id": alarm.pk,
        "kind": alarm.kind,
        "subject": subject,
        "summary": summary,
        "url": alarm_url(alarm.pk),
    }
    Outbox.objects.create(
        case=None,
        event=None,
        topic=TOPICS[alarm.kind],
        recipients={
            "groups": [{"roles": sorted(ALARM_ROLES[alarm.level]), "region": alarm.region_id}]
        },
        payload=payload,
        created_at=now,
        next_attempt_at=now,
    )


# --- people acting on alarms -------------------------------------------------------------------


def _alarm_for_update(user: AbstractBaseUser, alarm_id: int) -> Alarm:
    from analysis.selectors import alarm_qs_for_user

    alarm = alarm_qs_for_user(user).filter(pk=alarm_id).first()
    if alarm is None:
        raise CaseNotFound(_("No alarm %(id)s in your jurisdiction.") % {"id": alarm_id})
    return alarm


def _clean_note(note: str) -> str:
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise InvalidInput(
            _("The note is too long."),
            field_errors={"note": [_("At most %(n)d characters.") % {"n": MAX_NOTE}]},
        )
    return note


def _who(user: AbstractBaseUser | None) -> str:
    if user is None:
        return _("someone")
    return user.get_full_name() or user.get_username()  # type: ignore[attr-defined]


def alarm_acknowledge(
    *, alarm_id: int, actor: AbstractBaseUser, note: str = "", now: datetime | None = None
) -> Alarm:
    """New → acknowledged. Someone else got there first: 409 naming them."""
    now = now or timezone.now()
    note = _clean_note(note)
    alarm = _alarm_for_update(actor, alarm_id)
    # The state in the WHERE is the guard: of two people at once, one wins (both backends).
    changed = Alarm.objects.filter(pk=alarm.pk, state=Alarm.State.NEW).update(
        state=Alarm.State.ACKNOWLEDGED, acknowledged_by=actor, acknowledged_at=now, note=note
    )
    alarm.refresh_from_db()
    if not changed:
        by = alarm.handled_by if alarm.state == Alarm.State.HANDLED else alarm.acknowledged_by
        raise ActionNotAllowed(
            _("This alarm is already %(state)s (by %(who)s).")
            % {"state": alarm.get_state_display(), "who": _who(by)},
            state=alarm.state,
        )
    return alarm


def alarm_handle(
    *, alarm_id: int, actor: AbstractBaseUser, note: str = "", now: datetime | None = None
) -> Alarm:
    """New or acknowledged → handled (a clean-up or a lasting fix was ordered)."""
    now = now or timezone.now()
    note = _clean_note(note)
    alarm = _alarm_for_update(actor, alarm_id)
    updates: dict[str, Any] = {"state": Alarm.State.HANDLED, "handled_by": actor, "handled_at": now}
    if note:
        updates["note"] = note
    changed = Alarm.objects.filter(pk=alarm.pk).exclude(state=Alarm.State.HANDLED).update(**updates)
    alarm.refresh_from_db()
    if not changed:
        raise ActionNotAllowed(
            _("This alarm was already handled (by %(who)s).") % {"who": _who(alarm.handled_by)},
            state=alarm.state,
        )
    return alarm

"""One work queue as a page: filters, search, sort, paging, the clock, export and bulk actions.

The queues themselves (which cases, at which level) are dispatch.dashboard's; the overdue list
is one more queue, reached from the home page's "overdue now" counter. The time left comes from
the one clock (cases.deadlines.stage_time_left). A bulk action is one case_transition per case:
the workflow decides each one, and a refusal on one case leaves the others done.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from django import forms
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from cases.deadlines import stage_time_left
from cases.errors import CaseError
from cases.models import OPEN_STATUSES, Case, HandlingLevel, SourceChannel, Status, Urgency
from cases.selectors import case_qs_for_user
from cases.services import case_transition
from cases.workflow import Action
from dispatch.dashboard import (
    URGENT_FIRST,
    QueueSpec,
    queue_qs,
    spec_for_key,
    specs_for_user,
    user_roles,
)
from dispatch.models import SavedQueueView
from grids.models import Role, User

PAGE_SIZE = 50
HOME_ROWS = 10  # the home page shows each queue's first rows
EXPORT_LIMIT = 20_000

OVERDUE_KEY = "overdue"
# Who sees the overdue list: those who urge and supervise (and the leader who asks why).
OVERDUE_ROLES = frozenset(
    {
        Role.SHIFT_SUPERVISOR,
        Role.DISPATCHER,
        Role.INTAKE_OPERATOR,
        Role.DISTRICT_LEADER,
        Role.ADMINISTRATOR,
        Role.STREET_OFFICER,
        Role.COMMUNITY_STAFF,
    }
)

# The bulk actions a queue offers: the action, and the queues where its source states are.
BULK_ACTIONS: dict[str, frozenset[str]] = {
    Action.DISPATCH: frozenset({"dispatch"}),
    Action.URGE: frozenset({"in_progress", OVERDUE_KEY}),
}

SORTS: dict[str, tuple[Any, ...]] = {
    "urgency": URGENT_FIRST,
    "due": ("stage_due_at", "id"),
    "newest": ("-reported_at", "-id"),
    "oldest": ("reported_at", "id"),
}
SORT_CHOICES = [
    ("urgency", _("Urgency, then due time")),
    ("due", _("Due time")),
    ("newest", _("Newest first")),
    ("oldest", _("Oldest first")),
]


def _overdue_spec() -> QueueSpec:
    return QueueSpec(
        OVERDUE_KEY,
        _("Overdue now"),
        OVERDUE_ROLES,
        Q(status__in=sorted(OPEN_STATUSES), stage_due_at__lt=timezone.now()),
        level_bound=False,
    )


def queue_spec_for_user(user: AbstractBaseUser | AnonymousUser, key: str) -> QueueSpec | None:
    """The queue `key` if the user has it; None otherwise (a 404 for the page)."""
    if key == OVERDUE_KEY:
        if getattr(user, "is_superuser", False) or user_roles(user) & OVERDUE_ROLES:
            return _overdue_spec()
        return None
    spec = spec_for_key(key)
    if spec is None or spec not in specs_for_user(user):
        return None
    return spec


class QueueFilterForm(forms.Form):
    q = forms.CharField(label=_("Number or address"), required=False, max_length=100, strip=True)
    item = forms.CharField(label=_("Item code"), required=False, max_length=20)
    street = forms.CharField(label=_("Street"), required=False, max_length=20)
    status = forms.ChoiceField(label=_("Status"), required=False)
    source = forms.ChoiceField(label=_("Source"), required=False)
    sub_channel = forms.CharField(label=_("Sub-channel"), required=False, max_length=50, strip=True)
    urgency = forms.ChoiceField(label=_("Urgency"), required=False)
    card = forms.ChoiceField(
        label=_("Clock"),
        required=False,
        choices=[("", _("All")), ("overdue", _("Overdue")), ("warn", _("Warning or overdue"))],
    )
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=SORT_CHOICES)

    def __init__(self, *args: Any, statuses: list[tuple[str, Any]] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        all_ = [("", _("All"))]
        for name, choices in (
            ("status", statuses or list(Status.choices)),
            ("source", list(SourceChannel.choices)),
            ("urgency", list(Urgency.choices)),
        ):
            cast(forms.ChoiceField, self.fields[name]).choices = all_ + choices


def filter_queue(qs: QuerySet[Case], data: dict[str, Any], *, now: datetime) -> QuerySet[Case]:
    """Apply the cleaned filters of QueueFilterForm, and its sort (urgency first by default)."""
    text = (data.get("q") or "").strip()
    if text:
        qs = qs.filter(Q(number__istartswith=text) | Q(address__icontains=text))
    if data.get("item"):
        qs = qs.filter(item__code__startswith=data["item"])
    if data.get("street"):
        qs = qs.filter(street__code__startswith=data["street"])
    for name in ("status", "source", "urgency"):
        if data.get(name):
            qs = qs.filter(**{name: data[name]})
    if data.get("sub_channel"):
        qs = qs.filter(sub_channel__icontains=data["sub_channel"])
    if data.get("card") == "overdue":
        qs = qs.filter(status__in=sorted(OPEN_STATUSES), stage_due_at__lt=now)
    elif data.get("card") == "warn":
        qs = qs.filter(status__in=sorted(OPEN_STATUSES), stage_warn_at__lt=now)
    return qs.order_by(*SORTS.get(data.get("sort") or "urgency", URGENT_FIRST))


def queue_cases(user: AbstractBaseUser | AnonymousUser, spec: QueueSpec) -> QuerySet[Case]:
    qs = (
        case_qs_for_user(user).filter(spec.filter)
        if spec.key == OVERDUE_KEY
        else queue_qs(user, spec)
    )
    return qs.select_related("item", "handling_unit", "condition", "community", "street")


def statuses_of(spec: QueueSpec) -> list[tuple[str, Any]]:
    """The statuses a queue's filter can hold, for its status select (all of them for the
    overdue list)."""
    found = [
        (value, label) for value, label in Status.choices if _status_in_filter(spec.filter, value)
    ]
    return found or [(v, label) for v, label in Status.choices if v in OPEN_STATUSES]


def _status_in_filter(q: Q, status: str) -> bool:
    for child in q.children:
        if isinstance(child, Q):
            if _status_in_filter(child, status):
                return True
            continue
        name, value = cast(tuple[str, Any], child)
        if name == "status" and value == status:
            return True
        if name == "status__in" and status in value:
            return True
    return False


@dataclass
class Row:
    """A case as a queue row shows it: the clock in words and its colour."""

    case: Case
    left: timedelta | None
    card: str  # "overdue", "warn", "ok", or "" without a running clock
    level_label: str


def rows_for(cases: list[Case], *, now: datetime) -> list[Row]:
    left = stage_time_left(cases, now=now)
    levels = dict(HandlingLevel.choices)
    rows = []
    for case in cases:
        remaining = left.get(case.pk)
        if case.stage_due_at is not None and case.stage_due_at < now:
            card = "overdue"
        elif case.stage_warn_at is not None and case.stage_warn_at < now:
            card = "warn"
        elif remaining is not None:
            card = "ok"
        else:
            card = ""
        rows.append(Row(case, remaining, card, str(levels.get(case.handling_level, ""))))
    return rows


def duration_words(value: timedelta) -> str:
    """A duration with the number first: "1 天 6 小时", "21 分钟" (its sign is the caller's)."""
    minutes = int(abs(value).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(ngettext("%(n)d day", "%(n)d days", days) % {"n": days})
    if hours:
        parts.append(ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours})
    if not days and (mins or not hours):
        parts.append(ngettext("%(n)d minute", "%(n)d minutes", mins) % {"n": mins})
    return " ".join(parts)


def export_table(rows: list[Row]) -> tuple[list[str], list[list[Any]]]:
    headers = [
        str(_("Number")),
        str(_("Item")),
        str(_("Address")),
        str(_("Street")),
        str(_("Level")),
        str(_("Status")),
        str(_("Stage due")),
        str(_("Working time left (minutes)")),
        str(_("Unit")),
        str(_("Reported at")),
        str(_("Source")),
        str(_("Sub-channel")),
    ]
    table = []
    for row in rows:
        case = row.case
        table.append(
            [
                case.number,
                case.item.name,
                case.address,
                case.street.name if case.street_id else "",
                row.level_label,
                str(case.get_status_display()),
                case.stage_due_at,
                int(row.left.total_seconds() // 60) if row.left is not None else None,
                case.handling_unit.name if case.handling_unit else "",
                case.reported_at,
                str(case.get_source_display()),
                case.sub_channel,
            ]
        )
    return headers, table


@dataclass
class BulkOutcome:
    done: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)


def queue_bulk_action(
    *,
    user: AbstractBaseUser,
    spec: QueueSpec,
    action: str,
    case_ids: list[int],
    unit_id: int | None = None,
    note: str = "",
) -> BulkOutcome:
    """One case_transition per case, each its own transaction; a case outside the queue is
    refused like a case the workflow refuses."""
    if spec.key not in BULK_ACTIONS.get(action, frozenset()):
        raise ValueError(f"{action} is not a bulk action of {spec.key}")
    outcome = BulkOutcome()
    in_queue = dict(queue_cases(user, spec).filter(pk__in=case_ids).values_list("pk", "number"))
    batch = uuid.uuid4().hex[:12]
    payload = {"unit_id": unit_id} if action == Action.DISPATCH else {}
    for case_id in case_ids:
        number = in_queue.get(case_id)
        if number is None:
            outcome.refused.append((str(case_id), str(_("Not in this queue any more."))))
            continue
        try:
            case_transition(
                case_id=case_id,
                action=action,
                actor=user,
                request_id=f"bulk-{batch}-{case_id}",
                payload=payload,
                note=note,
            )
        except CaseError as exc:
            outcome.refused.append((number, str(exc)))
        else:
            outcome.done.append(number)
    return outcome


# --- saved views: a person's named filters of one queue -------------------------------------


def saved_views_for(user: User, key: str) -> QuerySet[SavedQueueView]:
    return SavedQueueView.objects.filter(user=user, queue=key)


def save_queue_view(*, user: User, key: str, name: str, query: str) -> None:
    """Save the filters under a name, replacing the person's view of that name. Two tabs
    saving the same name at once: the second finds the first's row and is done."""
    try:
        with transaction.atomic():
            SavedQueueView.objects.update_or_create(
                user=user, queue=key, name=name, defaults={"query": query}
            )
    except IntegrityError:
        pass


def delete_queue_view(*, user: User, view_id: int) -> str | None:
    """Delete one of the person's own views; the queue it belonged to, or None when the person
    has no such view."""
    view = SavedQueueView.objects.filter(pk=view_id, user=user).first()
    if view is None:
        return None
    view.delete()
    return view.queue


def live_strings() -> dict[str, str]:
    """The words queue.js shows (translated here; the script stays language-free)."""
    return {
        "arrived": gettext("%(n)s new cases arrived"),
        "updated": gettext("Up to date at %(time)s"),
        "offline": gettext("Could not refresh; trying again shortly."),
        "picked": gettext("%(n)s ticked"),
    }

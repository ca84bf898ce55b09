"""Read-only selectors behind the dashboard: role queues and the overview counters.

Everything starts from case_qs_for_user, so a queue never shows a case outside the
user's jurisdiction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import OPEN_STATUSES, Case, PendingRequest, Status
from cases.selectors import case_qs_for_user
from grids.models import Role
from grids.selectors import jurisdiction_for_user

QUEUE_LIMIT = 50


@dataclass(frozen=True)
class QueueSpec:
    key: str
    title: Any
    roles: frozenset[str]
    filter: Q


_COMMAND = frozenset({Role.INTAKE_OPERATOR, Role.SHIFT_SUPERVISOR, Role.DISPATCHER})

QUEUES: list[QueueSpec] = [
    QueueSpec(
        "intake",
        _("Intake"),
        frozenset({Role.INTAKE_OPERATOR, Role.SHIFT_SUPERVISOR, Role.ADMINISTRATOR}),
        Q(status__in=[Status.REPORTED, Status.VERIFYING]),
    ),
    QueueSpec(
        "filing",
        _("Filing"),
        frozenset({Role.SHIFT_SUPERVISOR, Role.ADMINISTRATOR}),
        Q(status=Status.REGISTERED),
    ),
    QueueSpec(
        "dispatch",
        _("Dispatch"),
        frozenset({Role.DISPATCHER, Role.SHIFT_SUPERVISOR, Role.ADMINISTRATOR}),
        Q(status=Status.FILED) | Q(pending_request=PendingRequest.RETURN),
    ),
    QueueSpec(
        "approvals",
        _("Approvals"),
        frozenset({Role.SHIFT_SUPERVISOR, Role.DISTRICT_LEADER, Role.ADMINISTRATOR}),
        Q(
            pending_request__in=[
                PendingRequest.EXTENSION,
                PendingRequest.RETURN,
                PendingRequest.SUSPENSION,
            ]
        ),
    ),
    QueueSpec(
        "closing",
        _("Closing"),
        _COMMAND | {Role.ADMINISTRATOR},
        Q(status__in=[Status.HANDLED, Status.CHECKING, Status.CHECK_PASSED]),
    ),
    QueueSpec(
        "to_handle",
        _("To handle"),
        frozenset({Role.UNIT_HANDLER, Role.STREET_OFFICER, Role.COMMUNITY_STAFF}),
        Q(status__in=[Status.DISPATCHED, Status.HANDLING]),
    ),
    QueueSpec(
        "to_close",
        _("To close"),
        frozenset({Role.STREET_OFFICER, Role.COMMUNITY_STAFF}),
        Q(status__in=[Status.HANDLED, Status.CHECKING, Status.CHECK_PASSED]),
    ),
    QueueSpec(
        "to_check",
        _("To verify or check"),
        frozenset({Role.INSPECTOR}),
        Q(status__in=[Status.VERIFYING, Status.CHECKING]),
    ),
]


@dataclass
class Queue:
    key: str
    title: Any
    cases: list[Case]
    total: int


def user_roles(user: AbstractBaseUser | AnonymousUser) -> frozenset[str]:
    return jurisdiction_for_user(user).roles


def queues_for_user(*, user: AbstractBaseUser | AnonymousUser) -> list[Queue]:
    """The work queues the user's roles call for, each the nearest stage deadline first."""
    roles = user_roles(user)
    visible = case_qs_for_user(user).select_related("item", "handling_unit")
    queues = []
    for spec in QUEUES:
        if not roles & spec.roles:
            continue
        qs = visible.filter(spec.filter).order_by("stage_due_at", "reported_at", "id")
        queues.append(Queue(spec.key, spec.title, list(qs[:QUEUE_LIMIT]), qs.count()))
    return queues


def _today_start(now: datetime) -> datetime:
    local = timezone.localtime(now)
    return timezone.make_aware(datetime.combine(local.date(), time.min), local.tzinfo)


def overview_counters(
    *, user: AbstractBaseUser | AnonymousUser, now: datetime | None = None
) -> dict[str, Any]:
    """Today's reported, filed, dispatched and closed cases, those overdue now, and open
    cases by street — all within the user's jurisdiction."""
    now = now or timezone.now()
    start = _today_start(now)
    end = start + timedelta(days=1)
    visible: QuerySet[Case] = case_qs_for_user(user)
    # One indexed count per figure: a single pass with FILTER clauses would read every case in
    # the jurisdiction (a year is a million rows); each of these reads a day's rows, or the
    # open cases through the partial indexes (their condition is repeated word for word so
    # that the planner can use them).
    counts = {
        name: visible.filter(**{f"{column}__gte": start, f"{column}__lt": end}).count()
        for name, column in (
            ("reported", "reported_at"),
            ("filed", "filed_at"),
            ("dispatched", "dispatched_at"),
            ("closed", "closed_at"),
        )
    }
    open_cases = visible.filter(status__in=sorted(OPEN_STATUSES))
    counts["overdue"] = open_cases.filter(stage_due_at__lt=now).count()
    by_street = (
        open_cases.values("street__code", "street__name")
        .annotate(open=Count("id"), overdue=Count("id", filter=Q(stage_due_at__lt=now)))
        .order_by("street__code")
    )
    return {
        "at": now.isoformat(),
        **counts,
        "by_street": [
            {
                "code": row["street__code"],
                "name": row["street__name"],
                "open": row["open"],
                "overdue": row["overdue"],
            }
            for row in by_street
        ],
    }

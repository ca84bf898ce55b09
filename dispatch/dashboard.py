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
from django.db.models import Case as Case_
from django.db.models import Count, F, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import OPEN_STATUSES, Case, CoHandling, PendingRequest, Status, Urgency
from cases.selectors import case_qs_for_user
from grids.models import Level, Post, Role
from grids.selectors import jurisdiction_for_user

QUEUE_LIMIT = 50
_OPEN_SORTED = sorted(OPEN_STATUSES)

_COMMAND = frozenset({Role.INTAKE_OPERATOR, Role.SHIFT_SUPERVISOR, Role.DISPATCHER})
# Street officers and community staff run their own level's loop (cases.workflow).
_STAND_INS = frozenset({Role.STREET_OFFICER, Role.COMMUNITY_STAFF})
LEVEL_OF_STAND_IN: dict[str, str] = {
    Role.STREET_OFFICER: Level.STREET,
    Role.COMMUNITY_STAFF: Level.COMMUNITY,
}
# Roles whose queues are not bound to a level: the leader decides at any level, the
# administrator sees what waits everywhere.
_ANY_LEVEL = frozenset({Role.DISTRICT_LEADER, Role.ADMINISTRATOR})


@dataclass(frozen=True)
class QueueSpec:
    key: str
    title: Any
    roles: frozenset[str]
    filter: Q
    # A command queue: the cases at the level of the user's post (a district's intake sees
    # the district's new cases, a community's staff their community's), not the levels below,
    # which run their own loops.
    level_bound: bool = True


QUEUES: list[QueueSpec] = [
    QueueSpec(
        "intake",
        _("Intake"),
        frozenset({Role.INTAKE_OPERATOR, Role.SHIFT_SUPERVISOR, Role.ADMINISTRATOR}) | _STAND_INS,
        Q(status__in=[Status.REPORTED, Status.VERIFYING]),
    ),
    QueueSpec(
        "filing",
        _("Filing"),
        frozenset({Role.SHIFT_SUPERVISOR, Role.ADMINISTRATOR}) | _STAND_INS,
        Q(status=Status.REGISTERED),
    ),
    QueueSpec(
        "dispatch",
        _("Dispatch"),
        frozenset({Role.DISPATCHER, Role.SHIFT_SUPERVISOR, Role.ADMINISTRATOR}) | _STAND_INS,
        Q(status=Status.FILED) | Q(pending_request=PendingRequest.RETURN),
    ),
    QueueSpec(
        "approvals",
        _("Approvals"),
        frozenset({Role.SHIFT_SUPERVISOR, Role.DISTRICT_LEADER, Role.ADMINISTRATOR}) | _STAND_INS,
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
        _COMMAND | {Role.ADMINISTRATOR} | _STAND_INS,
        Q(status__in=[Status.HANDLED, Status.CHECKING, Status.CHECK_PASSED]),
    ),
    QueueSpec(
        # The level's cases with a unit: whom to urge, nearest due first.
        "in_progress",
        _("At the units"),
        frozenset({Role.SHIFT_SUPERVISOR, Role.DISPATCHER}) | _STAND_INS,
        Q(status__in=[Status.DISPATCHED, Status.HANDLING, Status.SUSPENDED]),
    ),
    QueueSpec(
        "to_handle",
        _("To handle"),
        frozenset({Role.UNIT_HANDLER, Role.STREET_OFFICER}),
        Q(status__in=[Status.DISPATCHED, Status.HANDLING]),
        level_bound=False,
    ),
    QueueSpec(
        "to_check",
        _("To verify or check"),
        frozenset({Role.INSPECTOR}),
        Q(status__in=[Status.VERIFYING, Status.CHECKING]),
        level_bound=False,
    ),
]


# What must happen next first: new work not yet signed for (a unit's inbox must not bury it
# among cases already in hand), then very urgent, urgent, and the nearest stage due.
URGENT_FIRST = (
    Case_(When(status=Status.DISPATCHED, then=Value(0)), default=Value(1)).asc(),
    Case_(
        When(urgency=Urgency.VERY_URGENT, then=Value(0)),
        When(urgency=Urgency.URGENT, then=Value(1)),
        default=Value(2),
    ).asc(),
    F("stage_due_at").asc(nulls_last=True),
    "reported_at",
    "id",
)


@dataclass
class Queue:
    key: str
    title: Any
    cases: list[Case]
    total: int


def user_roles(user: AbstractBaseUser | AnonymousUser) -> frozenset[str]:
    return jurisdiction_for_user(user).roles


def _command_posts(user: AbstractBaseUser | AnonymousUser) -> list[Post]:
    if not user.is_authenticated:
        return []
    return list(
        Post.objects.filter(user_id=user.pk, is_active=True, region__isnull=False).select_related(
            "region"
        )
    )


def _level_scope(spec: QueueSpec, posts: list[Post], user: Any) -> Q | None:
    """The cases at the levels where the user's posts give them this queue's work; None:
    every level (a leader's or administrator's queue)."""
    if getattr(user, "is_superuser", False):
        return None
    scope = Q(pk__in=[])
    for post in posts:
        if post.role not in spec.roles or post.region is None:
            continue
        if post.role in _ANY_LEVEL:
            return None
        level = post.region.level
        if post.role in _STAND_INS and level != LEVEL_OF_STAND_IN[post.role]:
            continue
        scope |= Q(handling_level=level, grid__code__startswith=post.region.code)
    return scope


def _unit_work(user: AbstractBaseUser | AnonymousUser) -> Q:
    """A unit's own work: cases dispatched to the user's units, and the parts of other cases
    its units co-handle that are not fed back yet."""
    unit_ids = sorted(jurisdiction_for_user(user).unit_ids)
    if not unit_ids:
        return Q(pk__in=[])
    parts = CoHandling.objects.filter(
        unit_id__in=unit_ids, removed_at__isnull=True, fed_back_at__isnull=True
    ).values("case_id")
    return Q(handling_unit_id__in=unit_ids) | Q(pk__in=parts)


def spec_for_key(key: str) -> QueueSpec | None:
    return next((spec for spec in QUEUES if spec.key == key), None)


def specs_for_user(user: AbstractBaseUser | AnonymousUser) -> list[QueueSpec]:
    """The queues the user's roles call for, in the order of QUEUES."""
    roles = user_roles(user)
    return [spec for spec in QUEUES if roles & spec.roles]


def queue_qs(user: AbstractBaseUser | AnonymousUser, spec: QueueSpec) -> QuerySet[Case]:
    """The cases of one queue: what the user can act on now, at the user's level.

    Command queues hold the cases at the level the user's post runs (cases.workflow: a level's
    command acts only on its own level's cases); the district sees the rest read-only, in
    lists and on the map. Unordered: the caller sorts.
    """
    # Every queue holds open cases: saying so, in the partial indexes' own words, lets the
    # planner read the few thousand open cases instead of the year behind them (an OR such as
    # "filed or asking to return" cannot use an index of its own).
    qs = case_qs_for_user(user).filter(spec.filter, status__in=_OPEN_SORTED)
    if spec.key == "to_handle":
        return qs.filter(_unit_work(user))
    if spec.level_bound:
        scope = _level_scope(spec, _command_posts(user), user)
        if scope is not None:
            qs = qs.filter(scope)
    return qs


def queues_for_user(
    *, user: AbstractBaseUser | AnonymousUser, limit: int = QUEUE_LIMIT
) -> list[Queue]:
    """The work queues the user's roles call for, each the nearest stage deadline first."""
    queues = []
    for spec in specs_for_user(user):
        qs = queue_qs(user, spec).select_related("item", "handling_unit", "condition", "community")
        qs = qs.order_by(*URGENT_FIRST)
        queues.append(Queue(spec.key, spec.title, list(qs[:limit]), qs.count()))
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

"""Routing: which unit handles a case, suggested at dispatch or dispatched automatically.

Rules map catalogue item × region to a unit. The most specific rule for the case's place
wins (its grid, then community, then street, then the district or no region at all);
equally specific rules are ranked by priority. With no rule, the item's responsible unit
from the catalogue is the suggestion.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q

from cases.errors import CaseError
from cases.models import Case, HandlingLevel, Status
from cases.services import case_transition
from cases.workflow import Action
from dispatch.models import RoutingRule
from grids.models import Level, Post, Region, Role, Unit, User

logger = logging.getLogger(__name__)

SYSTEM_DISPATCHER_USERNAME = "system-dispatcher"

# How specific a rule's region is; a rule with no region covers the whole district.
_SPECIFICITY: dict[str, int] = {
    Level.GRID: 4,
    Level.COMMUNITY: 3,
    Level.STREET: 2,
    Level.DISTRICT: 1,
}


@dataclass(frozen=True)
class Route:
    """The unit for a case and where the answer came from."""

    unit: Unit
    rule: RoutingRule | None  # None: the catalogue item's responsible unit

    @property
    def auto_dispatch(self) -> bool:
        return self.rule is not None and self.rule.auto_dispatch


def _rank(rule: RoutingRule) -> tuple[int, int, int]:
    specificity = _SPECIFICITY.get(rule.region.level, 0) if rule.region is not None else 0
    # The newer rule wins a full tie, so adding a rule changes the answer predictably.
    return (specificity, rule.priority, rule.pk)


def routing_rule_for(case: Case) -> RoutingRule | None:
    """The most specific active rule for the case's item and place, or None."""
    codes = [case.grid_id, case.community_id, case.street_id, case.district_id]
    rules = list(
        RoutingRule.objects.filter(item_id=case.item_id, is_active=True, unit__is_active=True)
        .filter(Q(region__isnull=True) | Q(region__code__in=codes))
        .select_related("region", "unit")
    )
    return max(rules, key=_rank, default=None)


def routing_route(case: Case) -> Route | None:
    """The unit a case should go to, with the rule that says so; None if nobody is known."""
    rule = routing_rule_for(case)
    if rule is not None:
        return Route(unit=rule.unit, rule=rule)
    unit = case.item.default_unit
    if unit is not None and unit.is_active:
        return Route(unit=unit, rule=None)
    return None


def routing_suggest(case: Case) -> Unit | None:
    """The unit to suggest when dispatching the case."""
    route = routing_route(case)
    return route.unit if route is not None else None


def system_dispatcher(*, district: Region) -> User:
    """The service account that dispatches automatically, holding a dispatcher post at the
    district. Created on first use; it cannot log in."""
    user_model = get_user_model()
    with transaction.atomic():
        user, created = user_model.objects.get_or_create(
            username=SYSTEM_DISPATCHER_USERNAME,
            defaults={"first_name": "System", "last_name": "dispatcher"},
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
    try:
        with transaction.atomic():
            Post.objects.get_or_create(user=user, role=Role.DISPATCHER, region=district, unit=None)
    except IntegrityError:  # a concurrent first use created it
        pass
    return user  # type: ignore[return-value]


def routing_auto_dispatch(case_id: int, *, now: datetime | None = None) -> Case | None:
    """Dispatch a filed case automatically when its matching rule says so.

    Returns the case as dispatched, or None when it is not for automatic dispatch (no such
    rule, not filed, or no longer in the district command centre's hands). Idempotent: the
    request id names the case version, so a retry replays instead of dispatching twice.
    """
    case = Case.objects.select_related("item__default_unit", "district").filter(pk=case_id).first()
    if case is None or case.status != Status.FILED:
        return None
    # The service account sits at the district; a case pushed down is its level's business.
    if case.handling_level != HandlingLevel.DISTRICT:
        return None
    route = routing_route(case)
    if route is None or not route.auto_dispatch:
        return None
    actor = system_dispatcher(district=case.district)
    try:
        return case_transition(
            case_id=case.pk,
            action=Action.DISPATCH,
            actor=actor,
            request_id=f"auto-dispatch-{case.pk}-v{case.version}",
            expected_version=case.version,
            payload={"unit_id": route.unit.pk, "rule_id": route.rule.pk if route.rule else None},
            now=now,
        )
    except CaseError as exc:
        # Someone acted first (dispatched by hand, voided): nothing to do automatically.
        logger.info("auto-dispatch of case %s skipped: %s", case_id, exc)
        return None

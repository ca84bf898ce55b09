"""Catalogue data per place: where a reported case starts its loop, and which unit it goes to.

- **Entry level** (DOMAIN.md §5). Each item says where its cases start (`Item.entry_level`); a
  street or community may override that for its area (`EntryLevelRule`, the community's rule
  over the street's). Then the report's circumstances: a self-handled case stays in the grid,
  an urgent one goes to the district, a district intake operator may keep a case at the
  district, and community staff or a street officer who report it themselves start it at
  their own level when the item may be handled there (their level is at or above the item's).
- **Routing** (which unit). Rules map item × region to a unit; the most specific rule for the
  case's place wins (its grid, then community, then street, then the district or no region at
  all), equally specific rules by priority, the newer on a full tie. With no rule, the item's
  responsible unit from the catalogue. A case about a city component goes first to the
  component's maintenance unit (a broken street lamp to whoever maintains that lamp;
  cases.assets.asset_maintenance_unit). `suggest_unit` is the one lookup the dispatch hint and
  automatic dispatch (dispatch.routing) ask.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from cases.assets import asset_maintenance_unit
from cases.models import (
    ENTRY_LEVELS_UP,
    LEVELS_UP,
    Case,
    EntryLevel,
    HandlingLevel,
    Item,
    RoutingRule,
    Urgency,
)
from cases.tables import tables
from grids.models import Level, Role, Unit

# The level at which a reporter's own loop runs (community staff, street officers).
REPORTER_LEVELS: dict[str, str] = {
    Role.COMMUNITY_STAFF: HandlingLevel.COMMUNITY,
    Role.STREET_OFFICER: HandlingLevel.STREET,
}
URGENT = frozenset({Urgency.URGENT, Urgency.VERY_URGENT})


# --- entry level ------------------------------------------------------------------------------


def item_entry_level(item: Item, *, street_code: str, community_code: str) -> str:
    """The item's entry level in this place: the community's rule, the street's, the item's."""
    rules = tables().entry_levels.get(item.pk, {})  # cached, cases.tables
    return rules.get(community_code) or rules.get(street_code) or item.entry_level


def choose_entry_level(
    *,
    item_level: str,
    urgency: str,
    self_handled: bool = False,
    reporter_role: str = "",
    keep_at_district: bool = False,
) -> str:
    """The level a new case starts at, given the item's level in the place and the report.

    A pure function of its arguments: case_report and the history generator both ask it.
    """
    if self_handled:
        return HandlingLevel.GRID
    if urgency in URGENT or keep_at_district:
        return HandlingLevel.DISTRICT
    own = REPORTER_LEVELS.get(reporter_role)
    if own is not None and ENTRY_LEVELS_UP.index(own) >= ENTRY_LEVELS_UP.index(item_level):
        return own
    return item_level


def is_level_at_or_above(level: str, other: str) -> bool:
    """Whether `level` stands at or above `other` in grid → community → street → district."""
    return LEVELS_UP.index(level) >= LEVELS_UP.index(other)


# --- routing ----------------------------------------------------------------------------------

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
    # None: the asset's maintenance unit, or the catalogue item's responsible unit.
    rule: RoutingRule | None

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
    asset_unit = asset_maintenance_unit(case)
    if asset_unit is not None:
        # A rule naming the same unit still decides whether dispatch is automatic.
        same = rule is not None and rule.unit_id == asset_unit.pk
        return Route(unit=asset_unit, rule=rule if same else None)
    if rule is not None:
        return Route(unit=rule.unit, rule=rule)
    unit = case.item.default_unit
    if unit is not None and unit.is_active:
        return Route(unit=unit, rule=None)
    return None


def suggest_unit(case: Case) -> Unit | None:
    """The unit to suggest when dispatching the case (the dispatch hint)."""
    route = routing_route(case)
    return route.unit if route is not None else None


__all__ = [
    "ENTRY_LEVELS_UP",
    "EntryLevel",
    "Route",
    "choose_entry_level",
    "is_level_at_or_above",
    "item_entry_level",
    "routing_route",
    "routing_rule_for",
    "suggest_unit",
]

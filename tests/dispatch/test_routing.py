"""Routing: the most specific rule wins, the catalogue is the fallback (cases.routing), and
automatic dispatch (dispatch.routing); the dispatch hint suggests the rule's unit."""

from __future__ import annotations

from cases.models import CaseEvent, RoutingRule, Status
from cases.routing import suggest_unit
from cases.services import case_transition
from dispatch.routing import (
    SYSTEM_DISPATCHER_USERNAME,
    routing_auto_dispatch,
    system_dispatcher,
)
from dispatch.sweeper import sweep_deadlines
from grids.models import Post, Role, Unit, UnitKind
from tests.cases import conftest as cases_conftest
from tests.cases.conftest import GRID, rid

world = cases_conftest.world  # the closed loop's small world, shared

STREET = GRID[:9]
COMMUNITY = GRID[:12]


def unit(world, code: str) -> Unit:
    return Unit.objects.create(
        code=code, name=f"unit {code}", kind=UnitKind.DEPARTMENT, region=world.regions["370203"]
    )


def rule(world, region_code: str | None, to: Unit, **fields: object) -> RoutingRule:
    return RoutingRule.objects.create(
        item=world.item,
        region=world.regions[region_code] if region_code else None,
        unit=to,
        **fields,
    )


def filed(world):
    case = world.report()
    for action, role in (("register", Role.INTAKE_OPERATOR), ("file", Role.SHIFT_SUPERVISOR)):
        case = case_transition(
            case_id=case.pk, action=action, actor=world.users[role], request_id=rid()
        )
    assert case.status == Status.FILED
    return case


def test_without_rules_the_catalogue_unit_is_suggested(world):
    assert suggest_unit(world.report()) == world.department


def test_without_rules_or_catalogue_unit_nothing_is_suggested(world):
    case = world.report(item_id=world.natural_item.pk)
    assert suggest_unit(case) is None


def test_a_district_wide_rule_beats_the_catalogue(world):
    district_unit = unit(world, "U-D")
    rule(world, None, district_unit)
    assert suggest_unit(world.report()) == district_unit


def test_the_most_specific_rule_wins(world):
    rule(world, None, unit(world, "U-ALL"))
    rule(world, "370203", unit(world, "U-DIST"))
    rule(world, STREET, unit(world, "U-STREET"))
    community_unit = unit(world, "U-COMM")
    rule(world, COMMUNITY, community_unit)
    case = world.report()
    assert suggest_unit(case) == community_unit
    grid_unit = unit(world, "U-GRID")
    rule(world, GRID, grid_unit)
    assert suggest_unit(case) == grid_unit


def test_a_street_rule_beats_a_district_rule(world):
    rule(world, "370203", unit(world, "U-DIST"))
    street_unit = unit(world, "U-STREET")
    rule(world, STREET, street_unit)
    assert suggest_unit(world.report()) == street_unit


def test_a_rule_for_another_place_does_not_apply(world):
    rule(world, "370203002", unit(world, "U-OTHER"))
    assert suggest_unit(world.report()) == world.department


def test_inactive_rules_and_units_are_ignored(world):
    rule(world, GRID, unit(world, "U-OFF"), is_active=False)
    closed_unit = unit(world, "U-CLOSED")
    closed_unit.is_active = False
    closed_unit.save()
    rule(world, COMMUNITY, closed_unit)
    assert suggest_unit(world.report()) == world.department


def test_priority_breaks_a_tie_between_equally_specific_rules(world):
    preferred = unit(world, "U-PREF")
    rule(world, STREET, preferred, priority=5)
    rule(world, STREET, unit(world, "U-LOW"), priority=1)
    assert suggest_unit(world.report()) == preferred


def test_auto_dispatch_sends_a_filed_case_to_the_rules_unit(world):
    target = unit(world, "U-AUTO")
    rule(world, STREET, target, auto_dispatch=True)
    case = filed(world)

    dispatched = routing_auto_dispatch(case.pk)

    assert dispatched is not None
    assert dispatched.status == Status.DISPATCHED
    assert dispatched.handling_unit == target
    event = CaseEvent.objects.get(case=case, action="dispatch")
    assert event.actor.username == SYSTEM_DISPATCHER_USERNAME
    assert event.actor_role == Role.DISPATCHER


def test_auto_dispatch_runs_once(world):
    rule(world, None, unit(world, "U-AUTO"), auto_dispatch=True)
    case = filed(world)
    assert routing_auto_dispatch(case.pk) is not None
    assert routing_auto_dispatch(case.pk) is None
    assert CaseEvent.objects.filter(case=case, action="dispatch").count() == 1


def test_without_an_auto_rule_the_case_waits_for_a_dispatcher(world):
    rule(world, STREET, unit(world, "U-MANUAL"))
    case = filed(world)
    assert routing_auto_dispatch(case.pk) is None
    case.refresh_from_db()
    assert case.status == Status.FILED
    assert not CaseEvent.objects.filter(case=case, action="dispatch").exists()


def test_the_catalogue_fallback_never_dispatches_automatically(world):
    case = filed(world)
    assert routing_auto_dispatch(case.pk) is None


def test_a_case_not_yet_filed_is_not_auto_dispatched(world):
    rule(world, None, unit(world, "U-AUTO"), auto_dispatch=True)
    case = world.report()
    assert routing_auto_dispatch(case.pk) is None


def test_the_system_dispatcher_is_created_once_and_cannot_log_in(world):
    district = world.regions["370203"]
    first = system_dispatcher(district=district)
    again = system_dispatcher(district=district)
    assert first == again
    assert not first.has_usable_password()
    assert Post.objects.filter(user=first, role=Role.DISPATCHER, region=district).count() == 1


def test_the_sweep_dispatches_filed_cases_whose_rule_says_so(world):
    target = unit(world, "U-AUTO")
    rule(world, None, target, auto_dispatch=True)
    case = filed(world)

    result = sweep_deadlines()

    assert result.auto_dispatched == 1
    case.refresh_from_db()
    assert (case.status, case.handling_unit) == (Status.DISPATCHED, target)
    assert sweep_deadlines().auto_dispatched == 0


def test_the_sweep_leaves_cases_a_more_specific_manual_rule_holds(world):
    rule(world, None, unit(world, "U-AUTO"), auto_dispatch=True)
    rule(world, STREET, unit(world, "U-MANUAL"))
    case = filed(world)
    result = sweep_deadlines()
    assert (result.auto_dispatched, result.errors) == (0, 0)
    case.refresh_from_db()
    assert case.status == Status.FILED


def test_the_dispatch_hint_suggests_the_rules_unit_over_the_catalogue(world):
    from cases.api.case_serializers import action_hints
    from cases.services import actions_available

    street_unit = unit(world, "U-S")
    rule(world, STREET, street_unit)
    case = filed(world)
    dispatcher = world.users[Role.DISPATCHER]
    hints = action_hints(case, actions_available(case=case, actor=dispatcher), dispatcher)
    dispatch = next(h for h in hints if h["action"] == "dispatch")
    unit_field = dispatch["payload_fields"][0]
    assert unit_field["suggested"] == street_unit.pk
    assert street_unit.pk in [c["value"] for c in unit_field["choices"]]

"""Registering corrects what the report got wrong, and marking a duplicate takes a case number:
both through the workflow table's fields, the event recording what changed."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import Point

from cases.api.case_serializers import action_hints
from cases.errors import InvalidInput
from cases.models import CaseEvent, Status
from cases.services import actions_available, case_transition
from grids.models import Role

from .conftest import OTHER_GRID_POINT, POINT_IN_GRID, rid

pytestmark = pytest.mark.django_db


def register(world, case, role=Role.INTAKE_OPERATOR, **payload):
    return case_transition(
        case_id=case.pk,
        action="register",
        actor=world.users[role],
        request_id=rid(),
        payload=payload,
    )


def test_register_corrects_item_place_address_and_description_and_records_each(world):
    case = world.report()
    moved = {"lon": OTHER_GRID_POINT.x, "lat": OTHER_GRID_POINT.y}
    case = register(
        world,
        case,
        item_id=world.natural_item.pk,
        point=moved,
        address="辽宁路 99 号",
        description="井盖缺失，行人易跌落",
    )
    assert case.status == Status.REGISTERED
    assert case.item == world.natural_item
    assert case.condition.item == world.natural_item
    assert case.grid_id == "370203002002002"
    assert case.street_id == "370203002"
    assert (case.address, case.description) == ("辽宁路 99 号", "井盖缺失，行人易跌落")
    corrections = CaseEvent.objects.get(case=case, action="register").data["corrections"]
    assert corrections["item"][0]["code"] == world.item.code
    assert corrections["item"][1]["code"] == world.natural_item.code
    assert corrections["point"][1]["grid"] == "370203002002002"
    assert corrections["address"] == ["辽宁路1号", "辽宁路 99 号"]
    assert set(corrections) == {"item", "point", "address", "description"}


def test_register_with_the_values_unchanged_records_no_correction(world):
    case = world.report()
    case = register(
        world,
        case,
        item_id=case.item_id,
        address=case.address,
        description=case.description,
        point={"lon": POINT_IN_GRID.x, "lat": POINT_IN_GRID.y},
    )
    assert CaseEvent.objects.get(case=case, action="register").data == {}


def test_register_refuses_an_empty_description_and_an_unknown_item(world):
    case = world.report()
    with pytest.raises(InvalidInput) as empty:
        register(world, case, description="  ")
    assert "description" in empty.value.field_errors
    with pytest.raises(InvalidInput) as unknown:
        register(world, case, item_id=999_999)
    assert "item_id" in unknown.value.field_errors
    case.refresh_from_db()
    assert case.status == Status.REPORTED


def test_community_staff_cannot_move_a_case_out_of_their_community(world):
    world.item.entry_level = "community"
    world.item.save(update_fields=["entry_level"])
    case = world.report()
    assert case.handling_level == "community"
    with pytest.raises(InvalidInput) as outside:
        register(
            world,
            case,
            Role.COMMUNITY_STAFF,
            point={"lon": OTHER_GRID_POINT.x, "lat": OTHER_GRID_POINT.y},
        )
    assert "point" in outside.value.field_errors
    inside = Point(POINT_IN_GRID.x + 0.001, POINT_IN_GRID.y, srid=4326)
    case = register(world, case, Role.COMMUNITY_STAFF, point={"lon": inside.x, "lat": inside.y})
    assert case.point.x == pytest.approx(inside.x)


def test_mark_duplicate_takes_the_original_case_number(world):
    original = world.report()
    dup = world.report()
    dup = case_transition(
        case_id=dup.pk,
        action="mark_duplicate",
        actor=world.users[Role.INTAKE_OPERATOR],
        request_id=rid(),
        payload={"original_case_number": f" {original.number} "},
    )
    assert dup.status == Status.DUPLICATE
    assert dup.duplicate_of == original


def test_mark_duplicate_refuses_an_unknown_or_closed_number(world):
    world.report()  # an open case that could be named
    dup = world.report()
    with pytest.raises(InvalidInput) as unknown:
        case_transition(
            case_id=dup.pk,
            action="mark_duplicate",
            actor=world.users[Role.INTAKE_OPERATOR],
            request_id=rid(),
            payload={"original_case_number": "370203-20260101-999999"},
        )
    assert "original_case_number" in unknown.value.field_errors


def test_hints_offer_the_corrections_and_say_how_to_show_each_action(world):
    original = world.report()
    case = world.report()
    intake = world.users[Role.INTAKE_OPERATOR]
    hints = {
        h["action"]: h
        for h in action_hints(case, actions_available(case=case, actor=intake), intake)
    }
    assert hints["register"]["emphasis"] == "primary"
    assert hints["reject"]["emphasis"] == "destructive"
    assert hints["mark_duplicate"]["emphasis"] == "destructive"
    fields = {f["name"]: f for f in hints["register"]["payload_fields"]}
    assert fields["address"]["suggested"] == case.address
    assert fields["description"]["type"] == "text"
    assert fields["item_id"]["suggested"] == case.item_id
    assert {c["value"] for c in fields["item_id"]["choices"]} >= {
        world.item.pk,
        world.natural_item.pk,
    }
    candidates = {f["name"]: f for f in hints["mark_duplicate"]["payload_fields"]}
    assert [c["value"] for c in candidates["original_case_id"]["choices"]] == [original.pk]
    assert candidates["original_case_number"]["type"] == "string"


def test_a_unit_choice_says_its_kind(world):
    from tests.cases.test_services import act

    case = act(world, world.report(), "register", Role.INTAKE_OPERATOR)
    case = act(world, case, "file", Role.SHIFT_SUPERVISOR)
    dispatcher = world.users[Role.DISPATCHER]
    hints = action_hints(case, actions_available(case=case, actor=dispatcher), dispatcher)
    unit_field = next(h for h in hints if h["action"] == "dispatch")["payload_fields"][0]
    groups = {c["value"]: c["group"] for c in unit_field["choices"]}
    assert groups[world.department.pk] != groups[world.street_office.pk]


def test_mark_duplicate_is_not_offered_without_another_open_case(world):
    lonely = world.report()
    intake = world.users[Role.INTAKE_OPERATOR]
    assert "mark_duplicate" not in {
        row.action for row in actions_available(case=lonely, actor=intake)
    }

"""The closed loop through the services: paths, requests, levels, retries, clocks."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.gis.geos import Point
from django.db import DatabaseError, IntegrityError, transaction

from cases.errors import (
    ActionNotAllowed,
    CaseNotFound,
    InvalidInput,
    NotPermitted,
    OutsideDistrict,
    RequestIdReused,
    VersionConflict,
)
from cases.models import Case, CaseEvent, Outbox, Status
from cases.selectors import case_get_for_user, case_qs_for_user, duplicate_candidates
from cases.services import (
    ReportInput,
    actions_available,
    case_report,
    case_transition,
)
from grids.models import Post, Role

from .conftest import OTHER_GRID_POINT, POINT_IN_GRID, put_in_state, rid

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Wednesday morning: the clocks below are worked out from it by hand.
WEDNESDAY_9AM = dt.datetime(2026, 11, 25, 9, 0, tzinfo=SHANGHAI)


def act(world, case, action, role, **kwargs):
    return case_transition(
        case_id=case.pk,
        action=action,
        actor=world.users[role] if isinstance(role, str) else role,
        request_id=kwargs.pop("request_id", rid()),
        expected_version=kwargs.pop("expected_version", None),
        note=kwargs.pop("note", "处理说明"),
        **kwargs,
    )


def run_to_handling(world, case):
    case = act(world, case, "register", Role.INTAKE_OPERATOR)
    case = act(world, case, "file", Role.SHIFT_SUPERVISOR)
    case = act(world, case, "dispatch", Role.DISPATCHER, payload={"unit_id": world.department.pk})
    return act(world, case, "sign_for", Role.UNIT_HANDLER)


def test_inspector_report_runs_the_whole_loop_at_the_district(world):
    case = world.report()
    assert case.status == Status.REPORTED
    assert case.number.startswith("370203-")
    assert case.grid_id == "370203001001001"
    assert case.street_id == "370203001"
    case = run_to_handling(world, case)
    case = act(world, case, "feedback", Role.UNIT_HANDLER, note="已清理")
    case = act(world, case, "send_check", Role.INTAKE_OPERATOR)
    case = act(world, case, "check_pass", Role.INSPECTOR)
    case = act(world, case, "close", Role.SHIFT_SUPERVISOR)
    assert case.status == Status.CLOSED
    assert case.closure_kind == "normal"
    actions = list(case.events.values_list("action", flat=True))
    assert actions == [
        "report",
        "register",
        "file",
        "dispatch",
        "sign_for",
        "feedback",
        "send_check",
        "check_pass",
        "close",
    ]
    assert case.version == 9
    assert list(case.events.values_list("version", flat=True)) == list(range(1, 10))
    assert case.stage_due_at is None  # closed: no clock runs
    assert Outbox.objects.filter(case=case, topic="case.dispatch").get().recipients == {
        "units": [world.department.pk]
    }


def test_hotline_report_is_verified_on_site_before_registering(world):
    case = world.report(world.users[Role.INTAKE_OPERATOR], source="hotline_12345")
    case = act(world, case, "send_verify", Role.INTAKE_OPERATOR)
    assert case.status == Status.VERIFYING
    assert case.stage == "verify"
    case = act(world, case, "verify", Role.INSPECTOR, payload={"confirmed": True})
    assert case.status == Status.REPORTED
    assert case.verified is True
    case = act(world, case, "register", Role.INTAKE_OPERATOR)
    assert case.status == Status.REGISTERED


def test_self_handled_case_is_closed_at_once_in_the_grid(world):
    case = case_report(
        actor=world.users[Role.INSPECTOR],
        data=ReportInput(
            source="inspector", item_id=world.item.pk, description="随手清理", point=POINT_IN_GRID
        ),
        request_id=rid(),
        self_handled=True,
    )
    assert case.status == Status.CLOSED
    assert case.source == "self_handled"
    assert case.handling_level == "grid"
    assert case.events.get().action == "self_handle"


def test_failed_check_sends_the_case_back_to_the_unit_as_rework(world):
    case = run_to_handling(world, world.report())
    case = act(world, case, "feedback", Role.UNIT_HANDLER)
    case = act(world, case, "send_check", Role.INTAKE_OPERATOR)
    case = act(world, case, "check_fail", Role.INSPECTOR, note="仍有垃圾")
    assert case.status == Status.HANDLING
    assert case.reworks_count == 1
    assert case.handling_unit == world.department
    case = act(world, case, "feedback", Role.UNIT_HANDLER)
    assert case.status == Status.HANDLED


def test_return_goes_back_to_dispatch_and_counts(world):
    case = run_to_handling(world, world.report())
    case = act(world, case, "request_return", Role.UNIT_HANDLER, note="不属于本单位职责")
    assert case.pending_request == "return"
    with pytest.raises(ActionNotAllowed, match="waiting for approval"):
        act(world, case, "feedback", Role.UNIT_HANDLER)
    case = act(world, case, "approve_return", Role.DISPATCHER)
    assert case.status == Status.FILED
    assert case.pending_request == ""
    assert case.returns_count == 1
    assert case.handling_unit is None
    assert case.stage == "dispatch"


def test_denied_return_leaves_the_case_with_the_unit(world):
    case = run_to_handling(world, world.report())
    case = act(world, case, "request_return", Role.UNIT_HANDLER, note="不属于本单位")
    case = act(world, case, "deny_return", Role.SHIFT_SUPERVISOR, note="属于本单位")
    assert case.status == Status.HANDLING
    assert case.pending_request == ""
    assert case.returns_count == 0


def test_second_extension_needs_a_district_leader(world):
    with time_machine.travel(WEDNESDAY_9AM, tick=False):
        case = run_to_handling(world, world.report())
        first_due = case.stage_due_at
        ext = {"value": 2, "unit": "working_hours"}
        case = act(world, case, "request_extension", Role.UNIT_HANDLER, payload=ext)
        case = act(world, case, "approve_extension", Role.SHIFT_SUPERVISOR)
        assert case.extensions_count == 1
        # 4 working hours from 09:00: 3 h to noon, 1 h after 13:30 → 14:30; two more → 16:30.
        assert first_due == dt.datetime(2026, 11, 25, 14, 30, tzinfo=SHANGHAI)
        assert case.stage_due_at == dt.datetime(2026, 11, 25, 16, 30, tzinfo=SHANGHAI)
        case = act(world, case, "request_extension", Role.UNIT_HANDLER, payload=ext)
        with pytest.raises(NotPermitted, match="district leader"):
            act(world, case, "approve_extension", Role.SHIFT_SUPERVISOR)
        case = act(world, case, "approve_extension", Role.DISTRICT_LEADER)
        assert case.extensions_count == 2


def test_extension_request_needs_a_length(world):
    case = run_to_handling(world, world.report())
    with pytest.raises(InvalidInput) as excinfo:
        act(world, case, "request_extension", Role.UNIT_HANDLER, payload={"value": -1})
    assert set(excinfo.value.field_errors) == {"value", "unit"}


def test_suspension_stops_the_clock_and_resume_moves_it_on(world):
    with time_machine.travel(WEDNESDAY_9AM, tick=False):
        case = run_to_handling(world, world.report())
        due = case.stage_due_at
        case = act(world, case, "request_suspension", Role.UNIT_HANDLER, note="需待工程施工")
        case = act(world, case, "approve_suspension", Role.SHIFT_SUPERVISOR)
        assert case.status == Status.SUSPENDED
    # Thursday 09:00: one full working day (7.5 h) later.
    with time_machine.travel(WEDNESDAY_9AM + dt.timedelta(days=1), tick=False):
        case = act(world, case, "resume", Role.SHIFT_SUPERVISOR)
    assert case.status == Status.HANDLING
    # 14:30 Wednesday + 7.5 working hours = 14:30 Thursday.
    assert due == dt.datetime(2026, 11, 25, 14, 30, tzinfo=SHANGHAI)
    assert case.stage_due_at == dt.datetime(2026, 11, 26, 14, 30, tzinfo=SHANGHAI)


def test_handling_clock_on_natural_hours_runs_through_the_night(world):
    evening = dt.datetime(2026, 11, 25, 20, 0, tzinfo=SHANGHAI)
    with time_machine.travel(evening, tick=False):
        case = run_to_handling(world, world.report(item_id=world.natural_item.pk))
    # Dispatch at 20:00 is outside working time but a natural-hours limit does not care.
    assert case.stage_due_at == evening + dt.timedelta(hours=6)
    assert case.stage_warn_at == evening + dt.timedelta(hours=6) * 0.8


def test_closing_after_the_case_due_is_an_overdue_closure(world):
    with time_machine.travel(WEDNESDAY_9AM, tick=False):
        case = run_to_handling(world, world.report())
        case = act(world, case, "feedback", Role.UNIT_HANDLER)
        case = act(world, case, "send_check", Role.INTAKE_OPERATOR)
        case = act(world, case, "check_pass", Role.INSPECTOR)
    with time_machine.travel(WEDNESDAY_9AM + dt.timedelta(days=14), tick=False):
        case = act(world, case, "close", Role.SHIFT_SUPERVISOR)
    assert case.closure_kind == "overdue"


def test_exceptional_closure_needs_a_kind_and_a_reason(world):
    case = run_to_handling(world, world.report())
    with pytest.raises(InvalidInput):
        act(world, case, "close_exceptionally", Role.SHIFT_SUPERVISOR, payload={})
    with pytest.raises(InvalidInput):
        act(
            world,
            case,
            "close_exceptionally",
            Role.SHIFT_SUPERVISOR,
            payload={"closure_kind": "special"},
            note="  ",
        )
    case = act(
        world,
        case,
        "close_exceptionally",
        Role.SHIFT_SUPERVISOR,
        payload={"closure_kind": "erroneous"},
        note="误报",
    )
    assert case.closure_kind == "erroneous"


def test_mark_duplicate_links_the_original(world):
    original = world.report()
    dup = world.report()
    dup = act(
        world,
        dup,
        "mark_duplicate",
        Role.INTAKE_OPERATOR,
        payload={"original_case_id": original.pk},
    )
    assert dup.status == Status.DUPLICATE
    assert dup.duplicate_of == original


def test_duplicate_candidates_are_open_cases_of_the_item_nearby(world):
    first = world.report()
    near = Point(POINT_IN_GRID.x + 0.0002, POINT_IN_GRID.y, srid=4326)  # ~18 m east
    far = Point(POINT_IN_GRID.x + 0.004, POINT_IN_GRID.y, srid=4326)  # ~360 m east
    world.report(point=far)
    found = duplicate_candidates(item=world.item, point=near, at=first.reported_at)
    assert [c.pk for c in found] == [first.pk]
    assert duplicate_candidates(item=world.natural_item, point=near, at=first.reported_at) == []


def test_escalation_climbs_and_push_down_descends(world, make_user):
    case = act(world, world.report(), "register", Role.INTAKE_OPERATOR)
    case = act(world, case, "push_down", Role.DISPATCHER)
    assert case.handling_level == "street"
    # At street level the street officer runs the loop.
    case = act(world, case, "file", Role.STREET_OFFICER)
    assert case.status == Status.FILED
    case = act(world, case, "push_down", Role.STREET_OFFICER)
    assert case.handling_level == "community"
    with pytest.raises(ActionNotAllowed, match="below the community"):
        act(world, case, "push_down", Role.COMMUNITY_STAFF)
    case = act(world, case, "escalate", Role.COMMUNITY_STAFF, note="超出社区处置能力")
    assert case.handling_level == "street"
    # The district dispatcher does not act at the street's level...
    with pytest.raises(NotPermitted):
        act(world, case, "dispatch", Role.DISPATCHER, payload={"unit_id": world.department.pk})
    case = act(world, case, "escalate", Role.STREET_OFFICER, note="需区级协调")
    assert case.handling_level == "district"
    with pytest.raises(ActionNotAllowed, match="top level"):
        act(world, case, "escalate", Role.DISPATCHER, note="再上报")


def test_citizen_rates_their_own_report_once_after_closing(world, django_user_model):
    citizen = django_user_model.objects.create_user("citizen", password="pw-123456!")
    case = world.report(citizen, source="citizen_app")
    case = put_in_state(case, Status.CLOSED)
    case = act(world, case, "rate", citizen, payload={"rating": 5, "comment": "很快"})
    assert case.rating == 5
    with pytest.raises(ActionNotAllowed, match="rated already"):
        act(world, case, "rate", citizen, payload={"rating": 1})


def test_a_retry_with_the_same_request_id_returns_the_first_result(world):
    case = world.report()
    first = act(world, case, "register", Role.INTAKE_OPERATOR, request_id="handheld-42")
    again = act(world, case, "register", Role.INTAKE_OPERATOR, request_id="handheld-42")
    assert again.pk == first.pk
    assert again.version == first.version
    assert case.events.filter(action="register").count() == 1


def test_report_retry_with_the_same_request_id_creates_one_case(world):
    data = ReportInput(
        source="inspector", item_id=world.item.pk, description="井盖缺失", point=POINT_IN_GRID
    )
    actor = world.users[Role.INSPECTOR]
    first = case_report(actor=actor, data=data, request_id="offline-7")
    again = case_report(actor=actor, data=data, request_id="offline-7")
    assert first.pk == again.pk
    assert Case.objects.count() == 1


def test_a_request_id_reused_for_another_action_is_refused(world):
    case = world.report()
    act(world, case, "register", Role.INTAKE_OPERATOR, request_id="dup-id")
    with pytest.raises(RequestIdReused):
        act(world, case, "file", Role.SHIFT_SUPERVISOR, request_id="dup-id")


def test_a_stale_version_is_a_conflict_naming_the_current_version(world):
    case = world.report()
    act(world, case, "register", Role.INTAKE_OPERATOR, expected_version=1)
    with pytest.raises(VersionConflict) as excinfo:
        act(world, case, "reject", Role.INTAKE_OPERATOR, expected_version=1, note="重复")
    assert excinfo.value.current_version == 2
    assert "2" in excinfo.value.message


def test_user_from_a_foreign_jurisdiction_gets_not_found(world, make_user):
    case = world.report()
    foreign_intake = make_user(Role.INTAKE_OPERATOR, region=world.regions["370203002"])
    with pytest.raises(CaseNotFound):
        act(world, case, "register", foreign_intake)
    with pytest.raises(CaseNotFound):
        case_get_for_user(foreign_intake, case.pk)
    other_inspector = make_user(Role.INSPECTOR, region=world.regions["370203001001002"])
    assert not case_qs_for_user(other_inspector).filter(pk=case.pk).exists()


def test_units_see_only_cases_assigned_to_them(world, make_user):
    mine = run_to_handling(world, world.report())
    not_dispatched = world.report()
    handler = world.users[Role.UNIT_HANDLER]
    visible = set(case_qs_for_user(handler).values_list("pk", flat=True))
    assert mine.pk in visible
    assert not_dispatched.pk not in visible


def test_a_co_handling_unit_is_granted_the_case_through_guardian(world, make_user, units):
    case = run_to_handling(world, world.report())
    helper = make_user(Role.UNIT_HANDLER, unit=units["sanitation"])
    assert not case_qs_for_user(helper).filter(pk=case.pk).exists()
    case = act(
        world, case, "add_co_handler", Role.DISPATCHER, payload={"unit_id": units["sanitation"].pk}
    )
    assert helper.has_perm("cases.co_handle_case", case)
    assert case_qs_for_user(helper).filter(pk=case.pk).exists()
    # Its own part, not the lead unit's actions.
    with pytest.raises(NotPermitted):
        act(world, case, "feedback", helper)
    case = act(world, case, "co_sign_for", helper)
    assert case.status == Status.HANDLING


def test_point_outside_the_district_is_refused_and_nothing_is_written(world):
    with pytest.raises(OutsideDistrict) as excinfo:
        world.report(point=Point(121.0, 36.5, srid=4326))
    assert "point" in excinfo.value.field_errors
    assert Case.objects.count() == 0
    assert CaseEvent.objects.count() == 0


def test_inspector_cannot_report_in_someone_elses_grid(world):
    with pytest.raises(NotPermitted):
        world.report(point=OTHER_GRID_POINT)


def test_bad_report_fields_are_named(world):
    with pytest.raises(InvalidInput) as excinfo:
        world.report(description=" ", item_id=999999, urgency="whenever")
    assert {"description", "item", "urgency"} <= set(excinfo.value.field_errors)


def test_case_numbers_run_per_day_without_gaps(world):
    with time_machine.travel(WEDNESDAY_9AM, tick=False):
        numbers = [world.report().number for _ in range(3)]
    assert numbers == [f"370203-20261125-00000{i}" for i in (1, 2, 3)]


def test_case_events_cannot_be_updated(world):
    event = world.report().events.get()
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        CaseEvent.objects.filter(pk=event.pk).update(note="rewritten")


def test_available_actions_follow_state_and_role(world):
    world.report()  # an open case this one could duplicate
    case = world.report()

    def names(role):
        return {r.action.value for r in actions_available(case=case, actor=world.users[role])}

    assert names(Role.INTAKE_OPERATOR) >= {"register", "reject", "send_verify", "mark_duplicate"}
    assert "register" not in names(Role.INSPECTOR)
    assert names(Role.UNIT_HANDLER) == set()


def test_inactive_post_loses_the_right_to_act(world):
    case = world.report()
    Post.objects.filter(user=world.users[Role.INTAKE_OPERATOR]).update(is_active=False)
    with pytest.raises(CaseNotFound):
        act(world, case, "register", Role.INTAKE_OPERATOR)


def test_warning_comes_at_eighty_percent_of_the_working_limit(world):
    with time_machine.travel(WEDNESDAY_9AM, tick=False):
        case = run_to_handling(world, world.report())
    # 4 working hours from 09:00 → due 14:30; 80 % = 3.2 h → 3 h to noon, 0.2 h after 13:30.
    assert case.stage_warn_at == dt.datetime(2026, 11, 25, 13, 42, tzinfo=SHANGHAI)
    assert case.case_due_at > case.stage_due_at

"""Generated history (cases.generator) on the box district: every path is one the workflow table
allows, numbers and clocks agree with the events, points lie in their grids, and live work
carries on from where the generator stopped."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from cases import deadlines
from cases.generator import GENERATED_PREFIX, GenerationRefused, generate_cases
from cases.models import (
    CLOSED_STATUSES,
    Case,
    CaseEvent,
    CaseNumberSequence,
    HandlingLevel,
    Outbox,
    Status,
)
from cases.services import ReportInput, case_report, case_transition
from cases.workflow import TRANSITIONS, Action
from grids.models import Role
from grids.selectors import locate
from tests.cases.conftest import POINT_IN_GRID, rid

SHANGHAI = ZoneInfo("Asia/Shanghai")
LAST_DAY = date(2026, 11, 27)
NOW = datetime(2026, 11, 27, 15, 0, tzinfo=SHANGHAI)
NUMBER = re.compile(r"^370203-(\d{8})-(\d{6})$")


@pytest.fixture
def generated(world):
    summary = generate_cases(days=3, per_day=80, end_date=LAST_DAY, seed=7, now=NOW)
    return world, summary


def _events_by_case() -> dict[int, list[CaseEvent]]:
    events: dict[int, list[CaseEvent]] = defaultdict(list)
    for event in CaseEvent.objects.order_by("case_id", "created_at", "pk"):
        events[event.case_id].append(event)
    return events


def assert_paths_follow_the_table() -> int:
    """Every case's events chain from '' to its status through rows of TRANSITIONS."""
    cases = {case.pk: case for case in Case.objects.all()}
    events = _events_by_case()
    assert set(events) == set(cases)
    for case_id, history in events.items():
        case = cases[case_id]
        status = ""
        for version, event in enumerate(history, start=1):
            row = TRANSITIONS[Action(event.action)]
            if row.creates_case:
                assert status == "", (case.number, event.action)
            else:
                assert status in row.sources, (case.number, status, event.action)
            assert event.from_status == status
            assert event.to_status == (row.target if row.target is not None else status)
            assert event.version == version
            assert event.request_id == f"{GENERATED_PREFIX}{case.number}-{version}"
            status = event.to_status
        assert status == case.status
        assert case.version == len(history)
    return len(cases)


def test_every_generated_path_is_one_the_workflow_table_allows(generated):
    _world, summary = generated
    assert assert_paths_follow_the_table() == summary.cases > 0
    assert CaseEvent.objects.count() == summary.events


def test_generated_numbers_are_unique_well_formed_and_continue_the_sequence(generated):
    numbers = list(Case.objects.values_list("number", "reported_at"))
    assert len({n for n, _at in numbers}) == len(numbers)
    serials: dict[str, list[int]] = defaultdict(list)
    for number, reported_at in numbers:
        match = NUMBER.match(number)
        assert match, number
        assert match.group(1) == f"{timezone.localtime(reported_at, SHANGHAI):%Y%m%d}"
        serials[match.group(1)].append(int(match.group(2)))
    assert len(serials) == 3
    for day, taken in serials.items():
        assert sorted(taken) == list(range(1, len(taken) + 1))
        sequence = CaseNumberSequence.objects.get(
            district_code="370203", day=date(int(day[:4]), int(day[4:6]), int(day[6:]))
        )
        assert sequence.last == len(taken)
    # Nothing is reported after now.
    assert not Case.objects.filter(reported_at__gt=NOW).exists()
    assert not CaseEvent.objects.filter(created_at__gt=NOW).exists()


def test_generated_clocks_agree_with_the_events(generated):
    events = _events_by_case()
    for case in Case.objects.all():
        history = events[case.pk]
        times = [e.created_at for e in history]
        assert times == sorted(times)
        assert case.reported_at == times[0]
        assert case.updated_at == times[-1]
        by_action = defaultdict(list)
        for event in history:
            by_action[event.action].append(event.created_at)
        filed = by_action[Action.FILE]
        assert case.filed_at == (filed[0] if filed else None)
        # reported ≤ filed ≤ dispatched ≤ handled ≤ closed, for the clocks that are set
        clocks = [case.reported_at, case.filed_at, case.dispatched_at, case.handled_at]
        clocks.append(case.closed_at)
        chain = [moment for moment in clocks if moment is not None]
        assert chain == sorted(chain), case.number
        if case.filed_at:
            assert case.case_due_at is not None
            assert case.case_warn_at is not None
            assert case.case_warn_at <= case.case_due_at
        if case.dispatched_at:
            assert case.filed_at is not None
            assert case.dispatched_at == by_action[Action.DISPATCH][-1]
        if case.handled_at:
            assert case.dispatched_at is not None
        if case.status == Status.CLOSED:
            assert case.closure_kind
            assert case.closed_at == times[-1] or Action.RATE in by_action
            assert case.stage == ""
        else:
            assert case.closure_kind == ""
            assert case.closed_at is None
        if case.status in CLOSED_STATUSES:
            assert case.stage_due_at is None
        else:
            assert case.stage
            stage_clock = [case.stage_started_at, case.stage_warn_at, case.stage_due_at]
            assert None not in stage_clock
            assert stage_clock == sorted(stage_clock)  # type: ignore[type-var]
        assert case.reworks_count == len(by_action[Action.CHECK_FAIL])
        assert case.extensions_count == len(by_action[Action.APPROVE_EXTENSION])
        assert case.returns_count == len(by_action[Action.APPROVE_RETURN])
        assert (case.status == Status.DUPLICATE) == (case.duplicate_of_id is not None)


def test_open_generated_cases_carry_the_clocks_the_deadlines_module_computes(generated):
    checked = 0
    for case in Case.objects.exclude(status__in=CLOSED_STATUSES).exclude(status=Status.SUSPENDED):
        if case.extensions_count or case.events.filter(action=Action.RESUME).exists():
            continue
        scratch = Case(condition=case.condition, urgency=case.urgency, status=case.status)
        from_status = Status.FILED if deadlines.STAGE_OF_STATUS[case.status] == "handle" else ""
        assert case.stage_started_at is not None
        deadlines.apply_clock(scratch, from_status=from_status, now=case.stage_started_at)
        assert (scratch.stage, scratch.stage_due_at, scratch.stage_warn_at) == (
            case.stage,
            case.stage_due_at,
            case.stage_warn_at,
        ), case.number
        if case.filed_at:
            scratch = Case(condition=case.condition, urgency=case.urgency, status=Status.FILED)
            deadlines.apply_clock(scratch, from_status=Status.REGISTERED, now=case.filed_at)
            assert (scratch.case_due_at, scratch.case_warn_at) == (
                case.case_due_at,
                case.case_warn_at,
            )
        checked += 1
    assert checked > 10


def test_generated_points_lie_in_their_grids(generated):
    world, _summary = generated
    for case in Case.objects.order_by("?")[:40]:
        location = locate(case.point)
        assert location.grid.code == case.grid_id
        assert (case.community_id, case.street_id, case.district_id) == (
            location.community.code,
            location.street.code,
            location.district.code,
        )
    grids = {code for code, region in world.regions.items() if region.level == "grid"}
    assert set(Case.objects.values_list("grid_id", flat=True)) == grids


def test_generated_history_has_the_mix_of_a_real_district(generated):
    cases = Case.objects.all()
    sources = Counter(cases.values_list("source", flat=True))
    assert sources["inspector"] + sources["self_handled"] > sources["hotline_12345"] > 0
    statuses = Counter(cases.values_list("status", flat=True))
    assert statuses[Status.CLOSED] > len(cases) / 3
    assert statuses[Status.HANDLING] > 0
    levels = Counter(cases.values_list("handling_level", flat=True))
    assert levels[HandlingLevel.DISTRICT] > levels[HandlingLevel.STREET]
    district_cases = cases.filter(
        handling_level=HandlingLevel.DISTRICT, handling_unit__isnull=False, returns_count=0
    ).select_related("item")
    assert all(
        c.handling_unit_id == c.item.default_unit_id
        for c in district_cases
        if c.item.default_unit_id
    )
    assert not Outbox.objects.exists()


def test_a_live_report_after_generation_takes_the_next_free_number(generated):
    world, _summary = generated
    last = CaseNumberSequence.objects.get(district_code="370203", day=LAST_DAY).last
    case = case_report(
        actor=world.users[Role.INSPECTOR],
        data=ReportInput(
            source="inspector",
            item_id=world.item.pk,
            description="路边暴露垃圾一堆",
            point=POINT_IN_GRID,
        ),
        request_id=rid(),
        now=NOW + timedelta(minutes=1),
    )
    assert case.number == f"370203-20261127-{last + 1:06d}"


def test_generated_open_cases_move_on_through_the_services(generated):
    world, _summary = generated
    registered = Case.objects.filter(
        status=Status.REGISTERED, handling_level=HandlingLevel.DISTRICT
    ).first()
    handling = Case.objects.filter(
        status=Status.HANDLING,
        handling_level=HandlingLevel.DISTRICT,
        handling_unit=world.department,
        pending_request="",
    ).first()
    assert registered is not None or handling is not None
    later = NOW + timedelta(minutes=5)
    if registered is not None:
        filed = case_transition(
            case_id=registered.pk,
            action="file",
            actor=world.users[Role.SHIFT_SUPERVISOR],
            request_id=rid(),
            now=later,
        )
        assert filed.status == Status.FILED
        assert filed.version == registered.version + 1
    if handling is not None:
        handled = case_transition(
            case_id=handling.pk,
            action="feedback",
            actor=world.users[Role.UNIT_HANDLER],
            request_id=rid(),
            note="已清理",
            now=later,
        )
        assert handled.status == Status.HANDLED


def test_a_range_already_generated_is_refused_unless_appended(generated):
    _world, first = generated
    with pytest.raises(GenerationRefused, match="already exist"):
        generate_cases(days=1, per_day=10, end_date=LAST_DAY, seed=8, now=NOW)
    again = generate_cases(days=1, per_day=10, end_date=LAST_DAY, seed=8, now=NOW, append=True)
    assert again.staff_created == 0
    assert Case.objects.count() == first.cases + again.cases
    sequence = CaseNumberSequence.objects.get(district_code="370203", day=LAST_DAY)
    assert sequence.last == Case.objects.filter(number__contains="-20261127-").count()


def test_the_command_generates_and_then_refuses_the_same_range(world):
    yesterday = (timezone.localtime() - timedelta(days=1)).date().isoformat()
    args = ["--days", "1", "--per-day", "15", "--end-date", yesterday, "--verbosity", "0"]
    call_command("generate_cases", *args)
    assert Case.objects.count() == 15
    with pytest.raises(CommandError, match="already exist"):
        call_command("generate_cases", *args)


def test_if_empty_generates_only_into_a_database_without_cases(world):
    yesterday = (timezone.localtime() - timedelta(days=1)).date().isoformat()
    args = ["--if-empty", "--days", "1", "--per-day", "12", "--end-date", yesterday, "-v", "0"]
    call_command("generate_cases", *args)
    assert Case.objects.count() == 12
    call_command("generate_cases", *args)  # make run again: nothing more, and no error
    assert Case.objects.count() == 12


@pytest.mark.postgis
@pytest.mark.skipif(connection.vendor != "postgresql", reason="parallel workers need PostgreSQL")
def test_parallel_workers_write_whole_days_that_follow_the_table(transactional_db, world):
    summary = generate_cases(days=4, per_day=40, end_date=LAST_DAY, seed=3, now=NOW, workers=2)
    assert summary.cases == Case.objects.count() > 0
    assert assert_paths_follow_the_table() == summary.cases
    for sequence in CaseNumberSequence.objects.all():
        day = f"-{sequence.day:%Y%m%d}-"
        assert Case.objects.filter(number__contains=day).count() == sequence.last


def test_parallel_workers_are_refused_inside_a_transaction(world):
    with pytest.raises(GenerationRefused, match="one worker"):
        generate_cases(days=1, per_day=5, end_date=LAST_DAY, now=NOW, workers=2)

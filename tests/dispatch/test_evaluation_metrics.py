"""Each formula of DOMAIN.md §6 on a small history whose figures are worked out by hand.

Stage limits are natural hours (tests/dispatch/evaluation_story.py): register, file,
dispatch, send check, close 1 h; verify, check 30 min; handling the manhole-cover item 6 h.
The whole-case deadline of a case filed at 09:20 is 09:20 + 1 + 6 + 1 + 0.5 + 1 h = 18:50.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from dispatch.evaluation.reports import SubjectScore, subject_report
from dispatch.models import Group
from grids.models import Role
from tests.cases.conftest import GRID
from tests.dispatch.evaluation_story import Story, month

pytestmark = pytest.mark.django_db
NOV = month(2026, 11)


def _score(story: Story, group: str, subject: object, period=NOV) -> SubjectScore:
    return subject_report(
        user=story.user(Role.DISTRICT_LEADER), group=group, subject=str(subject), period=period
    )


def _component(row: SubjectScore, key: str) -> tuple[int, int, Decimal | None]:
    c = next(c for c in row.components if c.key == key)
    return c.hits, c.total, c.value


def _figure(row: SubjectScore, key: str) -> Decimal | int | None:
    return next(f for f in row.figures if f.key == key).value


def _approx(value: Decimal | None, expected: str) -> bool:
    return value is not None and abs(value - Decimal(expected)) < Decimal("0.01")


def test_inspector_valid_reports_miss_rate_timely_verify_and_check_and_score(story: Story):
    inspector = story.user(Role.INSPECTOR)
    # Valid reports: two filed, one self-handled, one rejected; one still waiting (not counted).
    c1 = story.report("2026-11-03 09:00")
    story.full_loop(c1, "2026-11-03")  # check 11:20, 10 min after the task: on time
    c2 = story.report("2026-11-03 09:00")
    story.to_filed(c2, "2026-11-03")
    story.to_handled(c2, "2026-11-03")
    story.act(c2, "send_check", Role.INTAKE_OPERATOR, "2026-11-03 11:10")
    story.act(c2, "check_pass", Role.INSPECTOR, "2026-11-03 11:45")  # 35 min: late
    c3 = story.report("2026-11-03 09:00")
    story.act(c3, "reject", Role.INTAKE_OPERATOR, "2026-11-03 09:30")
    story.report("2026-11-03 10:00", self_handled=True)
    c5 = story.report("2026-11-03 10:00")
    story.act(c5, "register", Role.INTAKE_OPERATOR, "2026-11-03 10:10")
    # Miss rate: a hotline case filed in the inspector's grid (c1, c2 are theirs): 1 of 3.
    c6 = story.report("2026-11-03 09:00", source="hotline_12345")
    story.to_filed(c6, "2026-11-03")
    # Verification: one in 25 minutes, one in 31.
    c7 = story.report("2026-11-04 09:00", source="hotline_12345")
    story.act(c7, "send_verify", Role.INTAKE_OPERATOR, "2026-11-04 09:05")
    story.act(c7, "verify", Role.INSPECTOR, "2026-11-04 09:30", confirmed=True)
    c8 = story.report("2026-11-04 09:00", source="hotline_12345")
    story.act(c8, "send_verify", Role.INTAKE_OPERATOR, "2026-11-04 10:00")
    story.act(c8, "verify", Role.INSPECTOR, "2026-11-04 10:31", confirmed=False)
    story.rebuild("2026-11-01", "2026-11-30")

    row = _score(story, Group.INSPECTOR, inspector.pk)
    assert _component(row, "valid_report")[:2] == (3, 4)
    assert _component(row, "valid_report")[2] == Decimal(75)
    hits, total, no_miss = _component(row, "no_miss")
    assert (hits, total) == (1, 3)
    assert _approx(no_miss, "66.667")
    assert _component(row, "verify_on_time") == (1, 2, Decimal(50))
    assert _component(row, "check_on_time") == (1, 2, Decimal(50))
    # 0.4 × 75 + 0.2 × 66.667 + 0.2 × 50 + 0.2 × 50 = 63.333
    assert _approx(row.score, "63.333")
    assert row.grade == "C"
    assert row.coverage == 100


def test_intake_operator_volume_and_tasks_sent_on_time(story: Story):
    intake = story.user(Role.INTAKE_OPERATOR)
    i1 = story.report("2026-11-05 09:00", source="hotline_12345")
    story.act(i1, "send_verify", Role.INTAKE_OPERATOR, "2026-11-05 09:05")  # 5 min: on time
    story.act(i1, "verify", Role.INSPECTOR, "2026-11-05 09:20", confirmed=True)
    story.act(i1, "register", Role.INTAKE_OPERATOR, "2026-11-05 09:30")
    i2 = story.report("2026-11-05 08:50", source="hotline_12345")
    story.act(i2, "send_verify", Role.INTAKE_OPERATOR, "2026-11-05 10:00")  # 70 min: late
    story.act(i2, "reject", Role.INTAKE_OPERATOR, "2026-11-05 10:40")
    i3 = story.report("2026-11-05 09:00")
    story.to_filed(i3, "2026-11-05")
    story.to_handled(i3, "2026-11-05")  # feedback 11:00
    story.check_and_close(i3, "2026-11-05", send_check_at="11:10")  # 10 min: on time
    i4 = story.report("2026-11-05 09:00")
    story.to_filed(i4, "2026-11-05")
    story.to_handled(i4, "2026-11-05")
    story.check_and_close(
        i4, "2026-11-05", send_check_at="12:30", check_at="12:40", close_at="12:50"
    )  # 90 min: late
    story.rebuild("2026-11-01", "2026-11-30")

    row = _score(story, Group.INTAKE, intake.pk)
    # send_verify ×2, register ×3, reject, send_check ×2
    assert _component(row, "volume")[1] == 8
    assert _component(row, "volume")[2] == Decimal(60)  # 8 ≤ 500 a month
    assert _component(row, "verify_sent_on_time") == (1, 2, Decimal(50))
    assert _component(row, "check_sent_on_time") == (1, 2, Decimal(50))
    # 0.25 × 60 + 0.40 × 50 + 0.35 × 50 = 52.5
    assert row.score == Decimal("52.5")
    assert row.grade == "D"


def test_shift_supervisor_filing_on_time_accurate_filing_and_closing_on_time(story: Story):
    supervisor = story.user(Role.SHIFT_SUPERVISOR)
    s1 = story.report("2026-11-06 09:00")
    story.full_loop(s1, "2026-11-06")  # filed 10 min after registering, closed 10 min after check
    s2 = story.report("2026-11-06 09:00")
    story.to_filed(s2, "2026-11-06", file_at="10:20")  # 70 min after registering: late
    story.act(s2, "void", Role.SHIFT_SUPERVISOR, "2026-11-06 10:30")  # filing was wrong
    s3 = story.report("2026-11-06 09:00")
    story.to_filed(s3, "2026-11-06")
    story.act(
        s3,
        "close_exceptionally",
        Role.SHIFT_SUPERVISOR,
        "2026-11-06 09:40",
        closure_kind="erroneous",
    )
    story.rebuild("2026-11-01", "2026-11-30")

    row = _score(story, Group.SUPERVISOR, supervisor.pk)
    assert _component(row, "file_on_time")[:2] == (2, 3)
    assert _component(row, "file_accurate")[:2] == (1, 3)
    assert _component(row, "close_on_time") == (1, 1, Decimal(100))
    # 0.25 × 66.667 + 0.40 × 33.333 + 0.35 × 100 = 65
    assert _approx(row.score, "65")
    assert row.grade == "C"


def test_dispatcher_on_time_and_accurate_dispatch_counts_a_returned_case_once_wrong(story: Story):
    dispatcher = story.user(Role.DISPATCHER)
    unit = story.world.department.pk
    d1 = story.report("2026-11-09 09:00")
    story.to_filed(d1, "2026-11-09")
    story.to_handled(d1, "2026-11-09")  # dispatched 10 min after filing, fed back: accurate
    d2 = story.report("2026-11-09 09:00")
    story.to_filed(d2, "2026-11-09")
    story.act(d2, "dispatch", Role.DISPATCHER, "2026-11-09 10:30", unit_id=unit)  # 70 min: late
    story.act(d2, "request_return", Role.UNIT_HANDLER, "2026-11-09 10:35")
    story.act(d2, "approve_return", Role.DISPATCHER, "2026-11-09 10:40")  # wrong dispatch
    story.act(d2, "dispatch", Role.DISPATCHER, "2026-11-09 10:50", unit_id=unit)  # 10 min
    story.act(d2, "sign_for", Role.UNIT_HANDLER, "2026-11-09 11:00")
    story.act(d2, "feedback", Role.UNIT_HANDLER, "2026-11-09 12:00")
    story.rebuild("2026-11-01", "2026-11-30")

    row = _score(story, Group.DISPATCHER, dispatcher.pk)
    assert _component(row, "volume")[1] == 3
    assert _component(row, "volume")[2] == Decimal(60)  # 1..300 a month
    assert _component(row, "dispatch_on_time")[:2] == (2, 3)
    assert _component(row, "dispatch_accurate")[:2] == (2, 3)
    # 0.2 × 60 + 0.4 × 66.667 + 0.4 × 66.667 = 65.333
    assert _approx(row.score, "65.333")


def _unit_history(story: Story) -> None:
    day = "2026-11-10"
    unit = story.world.department.pk
    # u1: handled in 1.5 h of 6, closed 11:30 (case due 18:50).
    u1 = story.report(f"{day} 09:00")
    story.full_loop(u1, day)
    # u2: fed back at 16:00 (due 15:30: late), check fails (rework: a new 6 h task from 16:20),
    # fed back 17:00 (on time), closed 17:30 before 18:50.
    u2 = story.report(f"{day} 09:00")
    story.to_filed(u2, day)
    story.to_handled(u2, day, feedback_at="16:00")
    story.act(u2, "send_check", Role.INTAKE_OPERATOR, f"{day} 16:10")
    story.act(u2, "check_fail", Role.INSPECTOR, f"{day} 16:20")
    story.act(u2, "feedback", Role.UNIT_HANDLER, f"{day} 17:00")
    story.check_and_close(u2, day, send_check_at="17:10", check_at="17:20", close_at="17:30")
    # u3: extended by 2 h (due 17:30), fed back 17:00: on time.
    u3 = story.report(f"{day} 09:00")
    story.to_filed(u3, day)
    story.act(u3, "dispatch", Role.DISPATCHER, f"{day} 09:30", unit_id=unit)
    story.act(u3, "sign_for", Role.UNIT_HANDLER, f"{day} 09:40")
    story.act(
        u3, "request_extension", Role.UNIT_HANDLER, f"{day} 10:00", value=2, unit="natural_hours"
    )
    story.act(u3, "approve_extension", Role.SHIFT_SUPERVISOR, f"{day} 10:10")
    story.act(u3, "feedback", Role.UNIT_HANDLER, f"{day} 17:00")
    story.check_and_close(u3, day, send_check_at="17:10", check_at="17:20", close_at="17:30")
    # u4: dispatched 09:30, never fed back: overdue from 15:30, open past the case due 18:50.
    u4 = story.report(f"{day} 09:00")
    story.to_filed(u4, day)
    story.act(u4, "dispatch", Role.DISPATCHER, f"{day} 09:30", unit_id=unit)
    # u5: returned as a wrong dispatch: no handling task of the unit's, no unit left.
    u5 = story.report(f"{day} 09:00")
    story.to_filed(u5, day)
    story.act(u5, "dispatch", Role.DISPATCHER, f"{day} 09:30", unit_id=unit)
    story.act(u5, "request_return", Role.UNIT_HANDLER, f"{day} 09:50")
    story.act(u5, "approve_return", Role.DISPATCHER, f"{day} 10:00")
    story.rebuild("2026-11-01", "2026-11-30")


def test_unit_handled_on_time_closing_rework_extension_overdue_and_score(story: Story):
    _unit_history(story)
    row = _score(story, Group.UNIT, story.world.department.pk)
    assert _component(row, "volume")[1] == 5  # five dispatches to the unit
    assert _component(row, "volume")[2] == Decimal(100)  # ≤ 50 a month
    # Handling tasks: u1, u2 (late), u2 again (rework), u3, u4 (overdue, open).
    assert _component(row, "handling_on_time") == (3, 5, Decimal(60))
    assert _figure(row, "handled_rate") == Decimal(80)
    assert _figure(row, "overdue") == 2
    # Due to close with the unit: u1, u2, u3 closed; u4 open past its deadline.
    assert _component(row, "closing") == (3, 4, Decimal(75))
    assert _component(row, "no_rework")[:2] == (1, 4)
    assert _figure(row, "rework_rate") == Decimal(25)
    assert _figure(row, "extension_rate") == Decimal(25)
    # 0.1 × 100 + 0.3 × 75 + 0.3 × 60 + 0.3 × (100 − 25) = 73
    assert row.score == Decimal(73)
    assert row.grade == "C"


def test_street_and_community_public_share_closing_and_on_time_closing(story: Story):
    _unit_history(story)
    for group, code in ((Group.STREET, "370203001"), (Group.COMMUNITY, "370203001001")):
        row = _score(story, group, code)
        assert _figure(row, "public_rate") == Decimal(0)  # all five from the inspector
        # Due to close: u1..u5 (u5 filed, returned, still open past 18:50); 3 closed on time.
        assert _component(row, "closing") == (3, 5, Decimal(60))
        assert _component(row, "close_on_time") == (3, 5, Decimal(60))
        # 0.4 × 60 + 0.4 × 60 + 0.2 × 100 = 68
        assert row.score == Decimal(68)


def test_citizen_satisfaction_is_reported_beside_the_unit_and_region_scores(story: Story):
    for rating in (5, 2):
        case = story.report("2026-11-11 09:00", source="hotline_12345")
        story.full_loop(case, "2026-11-11")
        story.act(case, "rate", Role.INTAKE_OPERATOR, "2026-11-12 09:00", rating=rating)
    story.rebuild("2026-11-01", "2026-11-30")
    assert _figure(_score(story, Group.UNIT, story.world.department.pk), "satisfaction") == Decimal(
        "3.5"
    )
    street = _score(story, Group.STREET, "370203001")
    assert _figure(street, "satisfaction") == Decimal("3.5")
    assert _figure(street, "public_rate") == Decimal(100)


def test_self_handled_report_is_valid_and_counts_in_the_region_report_share(story: Story):
    inspector = story.user(Role.INSPECTOR)
    story.report("2026-11-13 10:00", self_handled=True)
    story.rebuild("2026-11-13", "2026-11-13")
    row = _score(story, Group.INSPECTOR, inspector.pk)
    assert _component(row, "valid_report") == (1, 1, Decimal(100))
    assert GRID.startswith("370203001001")
    assert _score(story, Group.COMMUNITY, "370203001001").figures[0].total == 1

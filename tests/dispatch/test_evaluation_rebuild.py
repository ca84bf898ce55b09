"""Period boundaries, reworked and returned cases, zero denominators, and the rebuild:
idempotent, incremental, and the same from the command and the task."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from dispatch.evaluation import formulas
from dispatch.evaluation.periods import Period, parse_period
from dispatch.evaluation.reports import evaluation_report, subject_report
from dispatch.evaluation.stats import stats_rebuild, stats_rebuild_yesterday
from dispatch.models import DailyStat, EvaluationFact, Group
from grids.models import Role
from tests.dispatch.evaluation_story import Story, at, month

pytestmark = pytest.mark.django_db


def _stats() -> list[tuple]:
    return sorted(
        DailyStat.objects.values_list("day", "metric", "group", "subject", "total", "hits")
    )


def _component(story: Story, group: str, subject: object, key: str, period: Period):
    row = subject_report(
        user=story.user(Role.DISTRICT_LEADER), group=group, subject=str(subject), period=period
    )
    c = next(c for c in row.components if c.key == key)
    return c.hits, c.total, c.value


def test_case_crossing_the_month_counts_its_report_in_october_and_its_filing_in_november(
    story: Story,
):
    case = story.report("2026-10-31 23:50")
    story.act(case, "register", Role.INTAKE_OPERATOR, "2026-10-31 23:55")
    story.act(case, "file", Role.SHIFT_SUPERVISOR, "2026-11-01 00:10")  # 15 min: on time
    story.rebuild("2026-10-01", "2026-11-30")
    inspector = story.user(Role.INSPECTOR).pk
    supervisor = story.user(Role.SHIFT_SUPERVISOR).pk
    oct_, nov = month(2026, 10), month(2026, 11)
    # The report is settled (filed) in November, so the valid-report rate is November's.
    assert _component(story, Group.INSPECTOR, inspector, "valid_report", oct_) == (0, 0, None)
    assert _component(story, Group.INSPECTOR, inspector, "valid_report", nov) == (
        1,
        1,
        Decimal(100),
    )
    assert _component(story, Group.SUPERVISOR, supervisor, "file_on_time", nov)[:2] == (1, 1)
    # The report itself belongs to the day it was made: October's region figures.
    street_oct = subject_report(
        user=story.user(Role.DISTRICT_LEADER), group=Group.STREET, subject="370203001", period=oct_
    )
    assert street_oct.figures[0].total == 1
    # Shanghai midnight, not UTC: the day period of 1 November holds the filing.
    day = parse_period({"period": "day", "date": "2026-11-01"})
    assert _component(story, Group.SUPERVISOR, supervisor, "file_on_time", day)[:2] == (1, 1)
    week = parse_period({"period": "week", "date": "2026-10-28"})  # Mon 26 Oct – Sun 1 Nov
    assert (week.start, week.end) == (date(2026, 10, 26), date(2026, 11, 1))
    assert _component(story, Group.INSPECTOR, inspector, "valid_report", week)[:2] == (1, 1)


def test_reworked_case_gives_the_unit_one_handling_task_per_round_and_one_reworked_case(
    story: Story,
):
    day = "2026-11-16"
    case = story.report(f"{day} 08:00")
    story.to_filed(case, day)
    story.to_handled(case, day, feedback_at="10:00")
    for hour in (10, 11):
        story.act(case, "send_check", Role.INTAKE_OPERATOR, f"{day} {hour}:10")
        story.act(case, "check_fail", Role.INSPECTOR, f"{day} {hour}:20")
        story.act(case, "feedback", Role.UNIT_HANDLER, f"{day} {hour + 1}:00")
    story.check_and_close(case, day, send_check_at="12:10", check_at="12:20", close_at="12:30")
    story.rebuild(day, day)
    unit = story.world.department.pk
    nov = month(2026, 11)
    assert _component(story, Group.UNIT, unit, "handling_on_time", nov)[:2] == (3, 3)
    assert _component(story, Group.UNIT, unit, "no_rework", nov) == (1, 1, Decimal(0))
    # The inspector checked three times, each 10 minutes after the task.
    inspector = story.user(Role.INSPECTOR).pk
    assert _component(story, Group.INSPECTOR, inspector, "check_on_time", nov)[:2] == (3, 3)


def test_rebuilding_twice_writes_the_same_rows(story: Story):
    case = story.report("2026-11-17 09:00")
    story.full_loop(case, "2026-11-17")
    story.rebuild("2026-11-01", "2026-11-30")
    first = _stats()
    facts = EvaluationFact.objects.count()
    story.rebuild("2026-11-01", "2026-11-30")
    story.rebuild("2026-11-17", "2026-11-17")
    assert _stats() == first
    assert EvaluationFact.objects.count() == facts
    assert first  # not vacuous


def test_a_late_feedback_moves_the_overdue_task_to_the_day_it_was_handled(story: Story):
    case = story.report("2026-11-18 09:00")
    story.to_filed(case, "2026-11-18")
    story.act(
        case, "dispatch", Role.DISPATCHER, "2026-11-18 09:30", unit_id=story.world.department.pk
    )
    story.rebuild("2026-11-18", "2026-11-18", now="2026-11-19 01:00")
    unit = str(story.world.department.pk)
    overdue = DailyStat.objects.get(day=date(2026, 11, 18), metric="unit_handling_on_time")
    assert (overdue.subject, overdue.total, overdue.hits) == (unit, 1, 0)
    # Handled two days later; the nightly run for that day alone moves the task there.
    story.act(case, "sign_for", Role.UNIT_HANDLER, "2026-11-20 09:00")
    story.act(case, "feedback", Role.UNIT_HANDLER, "2026-11-20 10:00")
    stats_rebuild_yesterday(now=at("2026-11-21 01:00"))
    assert not DailyStat.objects.filter(day=date(2026, 11, 18), metric="unit_handling_on_time")
    late = DailyStat.objects.get(day=date(2026, 11, 20), metric="unit_handling_on_time")
    assert (late.total, late.hits) == (1, 0)


def test_zero_denominators_give_no_value_and_the_score_rests_on_the_rest(story: Story):
    # Only a verification: the inspector's other three rates have nothing to divide.
    case = story.report("2026-11-19 09:00", source="hotline_12345")
    story.act(case, "send_verify", Role.INTAKE_OPERATOR, "2026-11-19 09:05")
    story.act(case, "verify", Role.INSPECTOR, "2026-11-19 09:20", confirmed=True)
    story.rebuild("2026-11-19", "2026-11-19")
    row = subject_report(
        user=story.user(Role.DISTRICT_LEADER),
        group=Group.INSPECTOR,
        subject=str(story.user(Role.INSPECTOR).pk),
        period=month(2026, 11),
    )
    values = {c.key: c.value for c in row.components}
    assert values == {
        "valid_report": None,
        "no_miss": None,
        "verify_on_time": Decimal(100),
        "check_on_time": None,
    }
    assert row.score == Decimal(100)
    assert row.coverage == Decimal(20)  # resting on 20 % of the weight, and saying so
    # A period with nothing: not rated at all, not 100.
    empty = subject_report(
        user=story.user(Role.DISTRICT_LEADER),
        group=Group.INSPECTOR,
        subject=str(story.user(Role.INSPECTOR).pk),
        period=month(2026, 9),
    )
    assert (empty.score, empty.grade, empty.coverage) == (None, None, Decimal(0))


def test_formulas_on_zero_and_on_the_edges():
    assert formulas.rate(0, 0) is None
    assert formulas.inverse_rate(3, 0) is None
    assert formulas.average(0, 0) is None
    assert formulas.weighted_score([(None, Decimal(40)), (None, Decimal(60))]).score is None
    w = formulas.weighted_score([(Decimal(50), Decimal(40)), (None, Decimal(60))])
    assert (w.score, w.coverage) == (Decimal(50), Decimal(40))
    bands = [
        ("A", Decimal(90)),
        ("B", Decimal(75)),
        ("C", Decimal(60)),
        ("D", Decimal(40)),
        ("E", Decimal(0)),
    ]
    assert [formulas.grade(Decimal(s), bands) for s in (90, "89.99", 75, 60, 40, "39.9", 0)] == [
        "A",
        "B",
        "B",
        "C",
        "D",
        "E",
        "E",
    ]
    steps = [(50, Decimal(100)), (100, Decimal(90)), (None, Decimal(0))]
    assert [formulas.volume_score(Decimal(n), steps) for n in (0, 50, 51, 100, 101)] == [
        100,
        100,
        90,
        90,
        0,
    ]
    # Volume steps are per month: a 10-day period's 20 cases read as 60 a month.
    assert formulas.volume_basis(20, days=10, calendar_month=False) == Decimal(60)
    assert formulas.volume_basis(20, days=31, calendar_month=True) == Decimal(20)


def test_weights_steps_and_grades_come_from_the_database(story: Story):
    from dispatch.models import GradeBand, ScoreWeight

    case = story.report("2026-11-19 09:00", source="hotline_12345")
    story.act(case, "send_verify", Role.INTAKE_OPERATOR, "2026-11-19 09:05")
    story.act(case, "verify", Role.INSPECTOR, "2026-11-19 09:50", confirmed=True)  # late
    case2 = story.report("2026-11-19 09:00")
    story.act(case2, "reject", Role.INTAKE_OPERATOR, "2026-11-19 09:10")
    story.rebuild("2026-11-19", "2026-11-19")
    subject = str(story.user(Role.INSPECTOR).pk)
    leader = story.user(Role.DISTRICT_LEADER)
    row = subject_report(
        user=leader, group=Group.INSPECTOR, subject=subject, period=month(2026, 11)
    )
    assert row.score == Decimal(0)
    assert row.grade == "E"
    ScoreWeight.objects.filter(group="inspector", component="valid_report").update(weight=0)
    GradeBand.objects.filter(grade="E").update(grade="F")
    row = subject_report(
        user=leader, group=Group.INSPECTOR, subject=subject, period=month(2026, 11)
    )
    assert row.grade == "F"
    assert row.coverage == Decimal(100) * 20 / 60  # verify 20 of the remaining 60


def test_rebuild_stats_command_and_its_bad_input(story: Story):
    case = story.report("2026-11-20 09:00")
    story.full_loop(case, "2026-11-20")
    call_command("rebuild_stats", "--from", "2026-11-20", "--to", "2026-11-20", verbosity=0)
    assert DailyStat.objects.filter(day=date(2026, 11, 20)).exists()
    with pytest.raises(CommandError, match="--from"):
        call_command("rebuild_stats", "--from", "2026-13-01", "--to", "2026-11-20")
    with pytest.raises(CommandError, match="before"):
        call_command("rebuild_stats", "--from", "2026-11-21", "--to", "2026-11-20")
    with pytest.raises(CommandError, match="not both"):
        call_command("rebuild_stats", "--days", "3", "--from", "2026-11-20")
    with pytest.raises(CommandError, match="--days"):
        call_command("rebuild_stats")


def test_rebuild_stats_for_the_last_days_builds_the_generated_history_once(story: Story):
    """make seed builds the statistics of the generated days, and leaves them alone after."""
    case = story.report("2026-11-20 09:00")
    story.full_loop(case, "2026-11-20")
    with time_machine.travel(datetime(2026, 11, 21, 12, 0, tzinfo=UTC), tick=False):
        call_command("rebuild_stats", "--days", "3", "--if-empty", verbosity=0)
    assert DailyStat.objects.filter(day=date(2026, 11, 20)).exists()
    out = StringIO()
    call_command("rebuild_stats", "--days", "3", "--if-empty", stdout=out)
    assert "nothing rebuilt" in out.getvalue()


def test_rebuild_stats_task_rebuilds_a_range(story: Story):
    from dispatch.tasks import rebuild_evaluation_stats_task

    case = story.report("2026-11-20 09:00")
    story.full_loop(case, "2026-11-20")
    rebuild_evaluation_stats_task("2026-11-20", "2026-11-20")
    assert DailyStat.objects.filter(day=date(2026, 11, 20)).exists()
    with pytest.raises(ValueError, match="before"):
        stats_rebuild(start=date(2026, 11, 2), end=date(2026, 11, 1))


def test_report_ranks_subjects_and_compares_with_the_previous_period(story: Story):
    # October: the unit closes late-ish nothing; November: same; compare exists.
    for day in ("2026-10-20", "2026-11-20"):
        case = story.report(f"{day} 09:00")
        story.full_loop(case, day)
    story.rebuild("2026-10-01", "2026-11-30")
    report = evaluation_report(
        user=story.user(Role.DISTRICT_LEADER), group=Group.UNIT, period=month(2026, 11)
    )
    assert report.previous_period == month(2026, 10)
    [row] = report.rows
    assert row.rank == 1
    assert row.previous_score == row.score
    assert row.change == 0

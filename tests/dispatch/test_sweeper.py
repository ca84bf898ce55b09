"""The deadline sweep: cards once per stage clock, escalation after the grace, catching up."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection

from cases.models import Case, CaseEvent, HandlingLevel, Outbox, Status, Supervision
from cases.services import case_transition
from dispatch.models import DeadlineAlert, SweepSettings
from dispatch.sweeper import TOPIC_OVERDUE, TOPIC_WARNING, sweep_deadlines
from dispatch.tasks import sweep_deadlines_task
from grids.models import Role
from tests.cases import conftest as cases_conftest
from tests.cases.conftest import put_in_state, rid
from tests.helpers import race

world = cases_conftest.world  # the closed loop's small world, shared

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEDNESDAY_9AM = dt.datetime(2026, 11, 25, 9, 0, tzinfo=SHANGHAI)
SECOND = dt.timedelta(seconds=1)


def report_at(world, moment: dt.datetime = WEDNESDAY_9AM) -> Case:
    with time_machine.travel(moment, tick=False):
        return world.report()


def cards(case: Case, kind: str | None = None) -> int:
    alerts = DeadlineAlert.objects.filter(case=case)
    return alerts.filter(kind=kind).count() if kind else alerts.count()


def topics(case: Case) -> list[str]:
    return list(
        Outbox.objects.filter(case=case, topic__startswith="case.")
        .exclude(event__isnull=False)
        .values_list("topic", flat=True)
    )


def test_nothing_is_issued_before_the_warning_instant(world):
    case = report_at(world)
    result = sweep_deadlines(now=case.stage_warn_at - SECOND)
    assert result.cards == 0
    assert cards(case) == 0


def test_it_issues_a_yellow_card_at_warn_at(world):
    case = report_at(world)
    with time_machine.travel(case.stage_warn_at, tick=False):
        result = sweep_deadlines()
    assert result.yellow == 1
    assert result.red == 0
    alert = DeadlineAlert.objects.get(case=case)
    assert alert.kind == DeadlineAlert.Kind.YELLOW
    assert alert.stage == case.stage
    assert alert.deadline_at == case.stage_warn_at
    assert topics(case) == [TOPIC_WARNING]


def test_it_issues_a_red_card_at_due_at_and_notifies_the_command_centre(world):
    case = report_at(world)
    sweep_deadlines(now=case.stage_warn_at)
    result = sweep_deadlines(now=case.stage_due_at)
    assert result.red == 1
    red = DeadlineAlert.objects.get(case=case, kind=DeadlineAlert.Kind.RED)
    assert red.escalate_at is not None
    assert red.escalate_at > case.stage_due_at
    overdue = Outbox.objects.get(case=case, topic=TOPIC_OVERDUE)
    # Whoever must act (the district's intake, on a new case) and the district's command.
    groups = overdue.recipients["groups"]
    assert {g["region"] for g in groups} == {case.district_id}
    assert [Role.INTAKE_OPERATOR] in [g["roles"] for g in groups]
    assert overdue.payload["item"] == case.item.name


def test_a_second_sweep_issues_nothing_again(world):
    case = report_at(world)
    first = sweep_deadlines(now=case.stage_due_at)
    second = sweep_deadlines(now=case.stage_due_at + SECOND)
    assert (first.yellow, first.red) == (1, 1)
    assert second.cards == 0
    assert cards(case) == 2
    assert sorted(topics(case)) == sorted([TOPIC_WARNING, TOPIC_OVERDUE])


def test_a_new_stage_gets_new_cards(world):
    case = report_at(world)
    sweep_deadlines(now=case.stage_due_at)
    assert cards(case) == 2
    registered_at = case.stage_due_at + dt.timedelta(minutes=5)
    case = case_transition(
        case_id=case.pk,
        action="register",
        actor=world.users[Role.INTAKE_OPERATOR],
        request_id=rid(),
        now=registered_at,
    )
    assert case.stage_started_at == registered_at
    assert sweep_deadlines(now=registered_at).cards == 0
    result = sweep_deadlines(now=case.stage_due_at)
    assert (result.yellow, result.red) == (1, 1)
    assert cards(case) == 4
    assert DeadlineAlert.objects.filter(case=case, stage=case.stage).count() == 2


def test_an_extended_clock_warns_again_at_its_new_instants(world):
    case = report_at(world)
    sweep_deadlines(now=case.stage_due_at)
    hour = dt.timedelta(hours=1)
    # What an approved extension does: the same stage, its warn and due moved on.
    case = put_in_state(
        case,
        case.status,
        stage_warn_at=case.stage_warn_at + hour,
        stage_due_at=case.stage_due_at + hour,
    )
    assert sweep_deadlines(now=case.stage_due_at - SECOND).yellow == 1
    assert sweep_deadlines(now=case.stage_due_at).red == 1
    assert cards(case) == 4


def test_closed_cases_are_never_touched(world):
    case = report_at(world)
    due = case.stage_due_at
    # Closed with its old clock still on the row: the sweep must look at open cases only.
    put_in_state(case, Status.CLOSED, stage_warn_at=case.stage_warn_at, stage_due_at=due)
    result = sweep_deadlines(now=due + dt.timedelta(days=30))
    assert result.cards == 0
    assert cards(case) == 0


def test_suspended_cases_get_no_cards_while_their_clock_stands(world):
    case = report_at(world)
    put_in_state(case, Status.SUSPENDED)
    assert sweep_deadlines(now=case.stage_due_at + dt.timedelta(days=3)).cards == 0


def test_a_street_level_case_is_escalated_after_the_grace_with_a_supervision(world):
    case = put_in_state(report_at(world), Status.REPORTED, handling_level=HandlingLevel.STREET)
    sweep_deadlines(now=case.stage_due_at)
    red = DeadlineAlert.objects.get(case=case, kind=DeadlineAlert.Kind.RED)
    assert sweep_deadlines(now=red.escalate_at - SECOND).supervised == 0
    assert not Supervision.objects.filter(case=case).exists()

    result = sweep_deadlines(now=red.escalate_at)

    assert (result.supervised, result.escalated) == (1, 1)
    case.refresh_from_db()
    assert case.handling_level == HandlingLevel.DISTRICT
    event = CaseEvent.objects.get(case=case, action="escalate")
    assert event.actor is None
    assert event.from_level == HandlingLevel.STREET
    assert event.to_level == HandlingLevel.DISTRICT
    supervision = Supervision.objects.get(case=case)
    assert supervision.escalated
    assert supervision.kind == Supervision.Kind.AUTOMATIC
    assert supervision.escalation_event == event
    assert supervision.event.action == "supervise"
    assert supervision.event.actor is None
    assert (supervision.from_level, supervision.to_level) == ("street", "district")
    assert red.__class__.objects.get(pk=red.pk).supervision == supervision
    # The district's command hears of the supervision (the case arrived at its level).
    notice = Outbox.objects.get(case=case, topic="case.supervise")
    assert {g["region"] for g in notice.recipients["groups"]} == {case.district_id}
    # Once per stage clock and level: the same card is not escalated twice.
    assert sweep_deadlines(now=red.escalate_at + SECOND).escalated == 0
    assert CaseEvent.objects.filter(case=case, action="escalate").count() == 1


def test_an_overdue_case_climbs_one_level_per_grace_until_the_district(world):
    case = put_in_state(report_at(world), Status.REPORTED, handling_level=HandlingLevel.GRID)
    sweep_deadlines(now=case.stage_due_at)
    levels, moment = [], case.stage_due_at
    for _ in range(4):
        red = (
            DeadlineAlert.objects.filter(case=case, kind=DeadlineAlert.Kind.RED)
            .order_by("-created_at", "-pk")
            .first()
        )
        # Each level's command gets its full grace from the moment the case arrived there.
        assert red.escalate_at > moment
        assert sweep_deadlines(now=red.escalate_at - SECOND).supervised == 0
        moment = red.escalate_at
        sweep_deadlines(now=moment)
        case.refresh_from_db()
        levels.append(case.handling_level)
        # The next sweep gives the new level its red card.
        sweep_deadlines(now=moment + SECOND)

    assert levels == ["community", "street", "district", "district"]
    # Supervised at the top: nothing more to issue, however long it stays overdue.
    later = sweep_deadlines(now=moment + dt.timedelta(days=3))
    assert (later.cards, later.supervised, later.escalated) == (0, 0, 0)
    supervisions = Supervision.objects.filter(case=case).order_by("created_at", "pk")
    assert [(s.from_level, s.to_level, s.escalated) for s in supervisions] == [
        ("grid", "community", True),
        ("community", "street", True),
        ("street", "district", True),
        ("district", "district", False),
    ]
    assert CaseEvent.objects.filter(case=case, action="escalate").count() == 3
    # One red card per level, the first at the deadline and each later one on arrival.
    reds = DeadlineAlert.objects.filter(case=case, kind=DeadlineAlert.Kind.RED)
    assert sorted(reds.values_list("handling_level", flat=True)) == sorted(
        ["grid", "community", "street", "district"]
    )
    assert Outbox.objects.filter(case=case, topic=TOPIC_OVERDUE).count() >= 4


def test_the_grace_is_configurable(world):
    SweepSettings.objects.update_or_create(
        pk=SweepSettings.SINGLETON_ID, defaults={"grace_value": 0}
    )
    case = put_in_state(report_at(world), Status.REPORTED, handling_level=HandlingLevel.STREET)
    result = sweep_deadlines(now=case.stage_due_at)
    assert (result.red, result.escalated) == (1, 1)


def test_a_district_case_is_supervised_and_urged_but_not_moved(world):
    case = report_at(world)
    sweep_deadlines(now=case.stage_due_at)
    red = DeadlineAlert.objects.get(case=case, kind=DeadlineAlert.Kind.RED)
    result = sweep_deadlines(now=red.escalate_at)
    assert (result.supervised, result.escalated) == (1, 0)
    supervision = Supervision.objects.get(case=case)
    assert not supervision.escalated
    assert supervision.to_level == HandlingLevel.DISTRICT
    assert not CaseEvent.objects.filter(case=case, action="escalate").exists()
    assert Outbox.objects.filter(case=case, topic="case.supervise").exists()


def test_a_case_acted_on_before_the_grace_runs_out_is_not_escalated(world):
    case = put_in_state(report_at(world), Status.REPORTED, handling_level=HandlingLevel.STREET)
    sweep_deadlines(now=case.stage_due_at)
    red = DeadlineAlert.objects.get(case=case, kind=DeadlineAlert.Kind.RED)
    put_in_state(case, Status.CLOSED, stage_warn_at=None, stage_due_at=None)
    result = sweep_deadlines(now=red.escalate_at)
    assert (result.supervised, result.escalated, result.settled_moot) == (0, 0, 1)
    assert not Supervision.objects.filter(case=case).exists()
    red.refresh_from_db()
    assert red.settled_at is not None


def test_a_sweep_after_a_long_gap_issues_every_card(world):
    """Broker or worker down for a day: the next sweep catches up, in small batches."""
    cases = [report_at(world, WEDNESDAY_9AM + dt.timedelta(minutes=i)) for i in range(5)]
    result = sweep_deadlines(now=WEDNESDAY_9AM + dt.timedelta(days=1), batch_size=2)
    assert (result.yellow, result.red, result.supervised) == (5, 5, 5)
    assert result.errors == 0
    for case in cases:
        assert cards(case, DeadlineAlert.Kind.YELLOW) == 1
        assert cards(case, DeadlineAlert.Kind.RED) == 1
        assert Supervision.objects.filter(case=case).count() == 1


def test_run_deadlines_command_runs_the_same_sweep(world, capsys):
    case = report_at(world)
    with time_machine.travel(case.stage_due_at, tick=False):
        call_command("run_deadlines")
    assert cards(case) == 2
    assert "yellow=1 red=1" in capsys.readouterr().out


def test_the_celery_task_is_a_thin_sweep(world):
    case = report_at(world)
    with time_machine.travel(case.stage_warn_at, tick=False):
        summary = sweep_deadlines_task()
    assert "yellow=1" in summary
    assert cards(case, DeadlineAlert.Kind.YELLOW) == 1


def test_the_beat_schedule_sweeps_every_30_seconds(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["sweep-deadlines"]
    assert entry["task"] == "dispatch.tasks.sweep_deadlines_task"
    assert entry["schedule"] == 30.0


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL (SQLite is one writer)"
)
def test_concurrent_sweeps_warn_once(world):
    cases = [report_at(world, WEDNESDAY_9AM + dt.timedelta(minutes=i)) for i in range(12)]
    later = WEDNESDAY_9AM + dt.timedelta(days=1)

    results, errors = race(*[lambda: sweep_deadlines(now=later, batch_size=3)] * 4)

    assert errors == [None] * 4
    assert sum(r.yellow for r in results) == 12
    assert sum(r.red for r in results) == 12
    assert sum(r.supervised for r in results) == 12
    assert sum(r.errors for r in results) == 0
    for case in cases:
        assert cards(case) == 2
        assert Supervision.objects.filter(case=case).count() == 1
        assert Outbox.objects.filter(case=case, topic=TOPIC_WARNING).count() == 1


def test_the_next_sweep_instant_moves_from_warning_to_due_to_none(world):
    case = report_at(world)
    assert case.sweep_at == case.stage_warn_at  # set by the report's clock
    sweep_deadlines(now=case.stage_warn_at)
    case.refresh_from_db()
    assert case.sweep_at == case.stage_due_at
    sweep_deadlines(now=case.stage_due_at)
    case.refresh_from_db()
    assert case.sweep_at is None
    # Nothing left to look at: later sweeps do not even claim the case.
    assert sweep_deadlines(now=case.stage_due_at + dt.timedelta(days=30)).cards == 0


def test_a_transition_gives_the_new_clock_its_first_sweep_instant(world):
    case = report_at(world)
    sweep_deadlines(now=case.stage_due_at)
    with time_machine.travel(case.stage_due_at + SECOND, tick=False):
        case = case_transition(
            case_id=case.pk,
            action="register",
            actor=world.users[Role.INTAKE_OPERATOR],
            request_id=rid(),
        )
    assert case.sweep_at == case.stage_warn_at > case.stage_started_at


def test_a_suspended_case_is_not_swept(world):
    case = put_in_state(report_at(world), Status.SUSPENDED)
    assert case.sweep_at is None
    assert sweep_deadlines(now=case.stage_due_at + dt.timedelta(days=1)).cards == 0


def test_a_batch_that_fails_is_swept_one_case_at_a_time(world, monkeypatch, caplog):
    from dispatch import sweeper

    cases = [report_at(world, WEDNESDAY_9AM + dt.timedelta(minutes=i)) for i in range(3)]

    def broken_batch(*args, **kwargs):
        raise RuntimeError("a row the batch statements choke on")

    monkeypatch.setattr(sweeper, "_visit_batch", broken_batch)
    result = sweep_deadlines(now=WEDNESDAY_9AM + dt.timedelta(days=1))
    assert (result.yellow, result.red, result.errors) == (3, 3, 0)
    assert "one row at a time" in caplog.text
    for case in cases:
        assert cards(case) == 2
        case.refresh_from_db()
        assert case.sweep_at is None


def test_the_batch_and_the_row_paths_issue_the_same(world, monkeypatch):
    from dispatch import sweeper

    moment = WEDNESDAY_9AM + dt.timedelta(days=1)
    batch_case = report_at(world)
    batch = sweep_deadlines(now=moment)
    monkeypatch.setattr(sweeper, "_visit_batch", lambda *a, **k: 1 / 0)
    row_case = report_at(world)
    rows = sweep_deadlines(now=moment)

    def shape(case):
        return sorted(
            DeadlineAlert.objects.filter(case=case).values_list(
                "kind", "stage", "handling_level", "escalate_at"
            )
        ), sorted(Outbox.objects.filter(case=case, event__isnull=True).values_list("topic"))

    assert (batch.yellow, batch.red, batch.notifications) == (
        rows.yellow,
        rows.red,
        rows.notifications,
    )
    assert shape(batch_case) == shape(row_case)

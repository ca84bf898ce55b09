"""Every level hears its own work: notices resolved at the case's level, delivered to the
inboxes of the people there (and nobody above them), titled in words, never a raw topic."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings
from django.utils import timezone, translation

from cases.models import HandlingLevel, Outbox, Status
from cases.services import case_transition
from cases.workflow import NOTICES, TRANSITIONS, all_topics, topic_label
from dispatch.models import InboxMessage
from dispatch.notifications import deliver_outbox, resolve_recipients
from dispatch.sweeper import sweep_deadlines
from grids.models import Role, User
from tests.cases import conftest as cases_conftest
from tests.cases.conftest import put_in_state, rid

world = cases_conftest.world

SHANGHAI = ZoneInfo("Asia/Shanghai")
INBOX_ONLY = override_settings(NOTIFICATION_BACKENDS=["dispatch.notifications.InboxBackend"])


def act(case, action, actor, **kwargs):
    return case_transition(case_id=case.pk, action=action, actor=actor, request_id=rid(), **kwargs)


def inbox(user: User) -> list[InboxMessage]:
    deliver_outbox(batch_size=1000)
    return list(InboxMessage.objects.filter(user=user).order_by("pk"))


def topics_for(user: User) -> list[str]:
    return [m.topic for m in inbox(user)]


def reached(row: Outbox) -> set[str]:
    return {r.user.username for r in resolve_recipients(row.recipients) if r.user is not None}


@INBOX_ONLY
def test_a_push_down_tells_the_street_officer_not_the_district(world):
    case = put_in_state(world.report(), Status.FILED)
    Outbox.objects.all().delete()
    case = act(case, "push_down", world.users[Role.DISPATCHER])
    assert case.handling_level == HandlingLevel.STREET
    row = Outbox.objects.get(case=case, topic="case.push_down")
    assert reached(row) == {"street"}
    assert topics_for(world.users[Role.STREET_OFFICER]) == ["case.push_down"]
    assert topics_for(world.users[Role.DISPATCHER]) == []


@INBOX_ONLY
def test_an_escalation_arrives_at_the_level_above(world):
    case = put_in_state(world.report(), Status.REGISTERED, handling_level=HandlingLevel.COMMUNITY)
    case = act(case, "escalate", world.users[Role.COMMUNITY_STAFF], note="超出社区能力")
    assert reached(Outbox.objects.get(case=case, topic="case.escalate")) == {"street"}


@INBOX_ONLY
def test_new_cases_reach_the_level_they_start_at(world):
    world.item.entry_level = "community"
    world.item.save(update_fields=["entry_level"])
    community_case = world.report()
    district_case = world.report(item_id=world.natural_item.pk)
    assert reached(Outbox.objects.get(case=community_case, topic="case.report")) == {"community"}
    assert reached(Outbox.objects.get(case=district_case, topic="case.report")) == {"intake"}


@INBOX_ONLY
def test_approvals_waiting_reach_the_levels_approver_and_a_second_the_leader(world):
    case = put_in_state(
        world.report(), Status.HANDLING, handling_unit=world.department, handling_level="street"
    )
    case = act(
        case,
        "request_extension",
        world.users[Role.UNIT_HANDLER],
        note="材料采购",
        payload={"value": 2, "unit": "working_days"},
    )
    assert reached(Outbox.objects.filter(case=case).latest("pk")) == {"street"}
    case = act(case, "approve_extension", world.users[Role.STREET_OFFICER])
    case = act(
        case,
        "request_extension",
        world.users[Role.UNIT_HANDLER],
        note="再次延期",
        payload={"value": 1, "unit": "working_days"},
    )
    assert reached(Outbox.objects.filter(case=case).latest("pk")) == {"street", "leader"}


@INBOX_ONLY
def test_unit_feedback_and_check_results_reach_the_levels_command(world):
    case = put_in_state(
        world.report(), Status.HANDLING, handling_unit=world.department, handling_level="community"
    )
    case = act(case, "feedback", world.users[Role.UNIT_HANDLER], note="已处置")
    assert reached(Outbox.objects.filter(case=case).latest("pk")) == {"community"}
    case = act(case, "send_check", world.users[Role.COMMUNITY_STAFF])
    assert reached(Outbox.objects.filter(case=case).latest("pk")) == {"inspector"}
    case = act(case, "check_fail", world.users[Role.INSPECTOR], note="仍有垃圾")
    assert reached(Outbox.objects.filter(case=case).latest("pk")) == {"handler", "community"}


@INBOX_ONLY
def test_a_street_office_hears_of_cases_dispatched_to_it(world):
    case = put_in_state(world.report(), Status.FILED, handling_level="street")
    case = act(
        case,
        "dispatch",
        world.users[Role.STREET_OFFICER],
        payload={"unit_id": world.street_office.pk},
    )
    assert reached(Outbox.objects.filter(case=case).latest("pk")) == {"street"}


@INBOX_ONLY
def test_cards_on_a_street_case_reach_the_street_and_the_unit_not_the_district(world):
    with translation.override("zh-hans"):
        case = put_in_state(
            world.report(), Status.HANDLING, handling_unit=world.department, handling_level="street"
        )
        now = timezone.now()
        case = put_in_state(
            case,
            Status.HANDLING,
            stage_started_at=now - dt.timedelta(hours=2),
            stage_warn_at=now - dt.timedelta(hours=1),
            stage_due_at=now - dt.timedelta(minutes=1),
        )
        sweep_deadlines(now=now)
        red = Outbox.objects.get(case=case, topic="case.overdue")
        assert reached(red) == {"handler", "street"}
        assert red.payload["item"] == world.item.name
        yellow = Outbox.objects.get(case=case, topic="case.warning")
        assert reached(yellow) == {"handler"}
        messages = inbox(world.users[Role.STREET_OFFICER])
        assert [m.topic for m in messages] == ["case.overdue"]
        assert messages[0].title == f"案件 {case.number}：红牌：本阶段已超时"
        assert "类别：暴露垃圾" in messages[0].body
        cards = {"case.warning", "case.overdue"}
        assert not cards & set(topics_for(world.users[Role.INTAKE_OPERATOR]))


# --- labels -----------------------------------------------------------------------------------


def test_every_topic_has_a_label_in_both_languages():
    topics = all_topics()
    # Every row that notifies anyone names what its notice says, and so does every card.
    assert {row.topic for row in TRANSITIONS.values() if row.audience} <= set(topics)
    assert set(NOTICES) <= set(topics)
    for topic, label in topics.items():
        with translation.override("en"):
            english = str(label)
        with translation.override("zh-hans"):
            chinese = str(label)
        assert english, topic
        assert "case." not in english, topic
        assert chinese != english, f"{topic} has no Chinese label"


@INBOX_ONLY
def test_every_topic_written_in_a_whole_history_has_a_label(world):
    """Run the loop with its requests, joint handling, pressure and the sweep; whatever
    topics end up in the outbox all have words, and no inbox title shows a raw topic."""
    from tests.dispatch.test_full_loop import run_the_whole_loop

    run_the_whole_loop(world)
    written = set(Outbox.objects.values_list("topic", flat=True))
    assert len(written) >= 15
    for topic in written:
        assert topic_label(topic) is not None, topic
    deliver_outbox(batch_size=1000)
    titles = list(InboxMessage.objects.values_list("title", flat=True))
    assert titles
    assert not [t for t in titles if "case." in t]


@pytest.mark.parametrize("topic", sorted(NOTICES))
def test_the_sweeps_notices_are_in_the_table(topic):
    assert topic_label(topic) is not None

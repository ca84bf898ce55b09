"""Notifications: who an outbox row reaches, the channels, retries, dead letters, commit order."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation

import dispatch.admin_notifications  # noqa: F401 - registers the dead-letter admin
from cases.models import Case, Contact, Outbox
from config.celery_app import app as celery_app
from dispatch import notifications
from dispatch.models.notifications import DeadLetter, InboxMessage, NotificationDelivery
from dispatch.notifications import (
    Delivery,
    NotificationBackend,
    Recipient,
    deliver_outbox,
    outbox_retry_dead,
    resolve_recipients,
    retry_delay,
)
from grids.models import Post, Role, User
from tests.cases import conftest as cases_conftest
from tests.cases.conftest import World
from tests.helpers import race

world = cases_conftest.world  # the closed-loop fixture: district, units, one user per role

INBOX = "dispatch.notifications.InboxBackend"
EMAIL = "dispatch.notifications.EmailBackend"
SMS = "dispatch.notifications.LoggingSmsBackend"
FAILING_SMS = "tests.dispatch.test_notifications.FailingSmsBackend"
FLAKY_EMAIL = "tests.dispatch.test_notifications.FlakyEmailBackend"

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=timezone.get_fixed_timezone(8 * 60))


class FailingSmsBackend(NotificationBackend):
    """An SMS gateway that is down."""

    channel = "sms"

    def accepts(self, recipient: Recipient) -> bool:
        return True

    def send(self, message: Delivery) -> None:
        raise ConnectionError("gateway unreachable")


class FlakyEmailBackend(NotificationBackend):
    """Delivers to everyone except the users listed in `failing_for` (the process "crashes")."""

    channel = "email"
    failing_for: set[str] = set()
    sent_to: list[str] = []

    def accepts(self, recipient: Recipient) -> bool:
        return recipient.user is not None

    def send(self, message: Delivery) -> None:
        if message.recipient.key in self.failing_for:
            raise TimeoutError("mail server timed out")
        self.sent_to.append(message.recipient.key)


def outbox_row(case: Case, recipients: dict[str, Any], *, at: datetime = NOW) -> Outbox:
    return Outbox.objects.create(
        case=case,
        topic="case.dispatch",
        recipients=recipients,
        payload={"case_id": case.pk, "number": case.number, "status": case.status, "item": "x"},
        created_at=at,
        next_attempt_at=at,
    )


@pytest.fixture
def case(world: World) -> Case:
    reported = world.report()
    Outbox.objects.all().delete()  # each test writes the rows it is about
    return reported


def report_then_fail(world: World) -> None:
    """A request that reports a case and then fails: its transaction rolls back."""
    with transaction.atomic():
        world.report()
        raise RuntimeError("the request failed after the report")


def keys(recipients: list[Recipient]) -> set[str]:
    return {r.key for r in recipients}


# --- recipients ---------------------------------------------------------------------------------


def test_roles_over_a_region_reach_posts_on_it_and_above_but_not_beside_it(world, make_user):
    street_intake = make_user(Role.INTAKE_OPERATOR, region=world.regions["370203001"])
    other_street_intake = make_user(Role.INTAKE_OPERATOR, region=world.regions["370203002"])
    district_intake = world.users[Role.INTAKE_OPERATOR]
    dispatcher = world.users[Role.DISPATCHER]

    found = resolve_recipients({"roles": [Role.INTAKE_OPERATOR], "region": "370203001001"})

    assert keys(found) == {f"user:{street_intake.pk}", f"user:{district_intake.pk}"}
    assert f"user:{other_street_intake.pk}" not in keys(found)
    assert f"user:{dispatcher.pk}" not in keys(found)


def test_inspectors_hear_only_about_their_own_grid(world, make_user):
    inspector = world.users[Role.INSPECTOR]  # posted to 370203001001001
    neighbour = make_user(Role.INSPECTOR, region=world.regions["370203001001002"])

    found = resolve_recipients({"roles": [Role.INSPECTOR], "region": "370203001001001"})

    assert keys(found) == {f"user:{inspector.pk}"}
    assert f"user:{neighbour.pk}" not in keys(found)


def test_inactive_posts_and_inactive_users_are_not_notified(world, make_user):
    retired = make_user(Role.DISPATCHER, region=world.regions["370203"])
    retired.is_active = False
    retired.save()
    moved = make_user(Role.DISPATCHER, region=world.regions["370203"])
    Post.objects.filter(user=moved).update(is_active=False)

    found = resolve_recipients({"roles": [Role.DISPATCHER], "region": "370203001001001"})

    assert keys(found) == {f"user:{world.users[Role.DISPATCHER].pk}"}


def test_a_unit_reaches_its_handlers_only(world, make_user):
    other_unit_handler = make_user(Role.UNIT_HANDLER, unit=world.street_office)

    found = resolve_recipients({"unit": world.department.pk})

    assert keys(found) == {f"user:{world.users[Role.UNIT_HANDLER].pk}"}
    assert f"user:{other_unit_handler.pk}" not in keys(found)


def test_named_users_and_a_callers_contact_are_both_reached(world):
    contact = Contact.objects.create(name="张三", phone="13812345678")
    leader = world.users[Role.DISTRICT_LEADER]

    found = resolve_recipients({"users": [leader.pk], "contact": contact.pk})

    assert keys(found) == {f"user:{leader.pk}", f"contact:{contact.pk}"}
    by_key = {r.key: r for r in found}
    assert by_key[f"contact:{contact.pk}"].phone == "13812345678"


def test_a_contact_without_a_phone_is_nobody_to_notify(world):
    contact = Contact.objects.create(name="匿名", phone="")
    assert resolve_recipients({"users": [], "contact": contact.pk}) == []


# --- channels -----------------------------------------------------------------------------------


@override_settings(NOTIFICATION_BACKENDS=[INBOX])
def test_a_reported_case_lands_in_the_intake_operators_inbox(world):
    case = world.report()
    row = Outbox.objects.get(case=case)

    result = deliver_outbox(now=row.next_attempt_at)

    assert result.sent == 1
    message = InboxMessage.objects.get(user=world.users[Role.INTAKE_OPERATOR])
    assert message.case_id == case.pk
    assert message.case_number == case.number
    assert message.topic == "case.report"
    assert case.number in message.title
    assert message.read_at is None
    row.refresh_from_db()
    assert row.state == Outbox.State.SENT


def test_messages_are_written_in_the_sites_language_whoever_delivers_them(world):
    case = world.report()
    row = Outbox.objects.get(case=case)
    # A thread that last served an English request delivers.
    with translation.override("en"):
        deliver_outbox(now=row.next_attempt_at)
    message = InboxMessage.objects.get(user=world.users[Role.INTAKE_OPERATOR])
    assert message.title.startswith(f"案件 {case.number}"), message.title
    assert "类别：" in message.body, message.body


@override_settings(NOTIFICATION_BACKENDS=[INBOX, EMAIL])
def test_users_with_an_email_address_get_an_email(world, case):
    handler = world.users[Role.UNIT_HANDLER]
    handler.email = "handler@example.org"
    handler.save()
    outbox_row(case, {"unit": world.department.pk})

    deliver_outbox(now=NOW)

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["handler@example.org"]
    assert case.number in mail.outbox[0].subject


@override_settings(NOTIFICATION_BACKENDS=[INBOX, SMS])
def test_a_caller_gets_a_text_and_the_log_never_shows_the_whole_number(world, case, caplog):
    contact = Contact.objects.create(name="张三", phone="13812345678")
    outbox_row(case, {"users": [], "contact": contact.pk})

    with caplog.at_level(logging.INFO, logger="dispatch.notifications"):
        result = deliver_outbox(now=NOW)

    assert result.deliveries == 1
    assert NotificationDelivery.objects.filter(
        recipient=f"contact:{contact.pk}", channel="sms"
    ).exists()
    assert "138****5678" in caplog.text
    assert "13812345678" not in caplog.text


@override_settings(NOTIFICATION_BACKENDS=[INBOX])
def test_nothing_due_yet_is_left_alone(world, case):
    outbox_row(case, {"unit": world.department.pk}, at=NOW + timedelta(minutes=1))

    assert deliver_outbox(now=NOW).claimed == 0
    assert not InboxMessage.objects.exists()


# --- retries and dead letters -------------------------------------------------------------------


def test_backoff_doubles_from_thirty_seconds_and_stops_at_an_hour():
    assert retry_delay(1) == timedelta(seconds=30)
    assert retry_delay(2) == timedelta(seconds=60)
    assert retry_delay(5) == timedelta(seconds=480)
    assert retry_delay(20) == timedelta(hours=1)


@override_settings(NOTIFICATION_BACKENDS=[INBOX, FAILING_SMS], NOTIFICATION_MAX_ATTEMPTS=6)
def test_a_failing_channel_is_retried_with_backoff_then_dead_lettered(world, case):
    row = outbox_row(case, {"unit": world.department.pk})
    now = NOW

    result = deliver_outbox(now=now)

    assert result.retried == 1
    row.refresh_from_db()
    assert row.state == Outbox.State.PENDING
    assert row.attempts == 1
    assert row.next_attempt_at == now + timedelta(seconds=30)
    assert "ConnectionError" in row.last_error
    # Not before the backoff has passed.
    assert deliver_outbox(now=now + timedelta(seconds=29)).claimed == 0

    for attempt in range(2, 7):
        now = row.next_attempt_at
        deliver_outbox(now=now)
        row.refresh_from_db()
        assert row.attempts == attempt

    assert row.state == Outbox.State.DEAD
    assert list(DeadLetter.objects.all()) == [row]
    # The inbox, which worked, delivered once across all six tries.
    assert InboxMessage.objects.count() == 1
    assert deliver_outbox(now=now + timedelta(days=1)).claimed == 0


@override_settings(NOTIFICATION_BACKENDS=[INBOX, FAILING_SMS], NOTIFICATION_MAX_ATTEMPTS=1)
def test_retrying_a_dead_letter_queues_it_again_with_fresh_tries(world, case):
    row = outbox_row(case, {"unit": world.department.pk})
    deliver_outbox(now=NOW)
    row.refresh_from_db()
    assert row.state == Outbox.State.DEAD

    assert outbox_retry_dead(outbox_ids=[row.pk], now=NOW + timedelta(hours=1)) == 1

    row.refresh_from_db()
    assert row.state == Outbox.State.PENDING
    assert row.attempts == 0
    assert row.next_attempt_at == NOW + timedelta(hours=1)


@override_settings(NOTIFICATION_BACKENDS=[INBOX, FAILING_SMS], NOTIFICATION_MAX_ATTEMPTS=1)
def test_the_admin_lists_dead_letters_and_retries_them(world, case, client):
    # Not pytest-django's admin_client: the world already has a (non-staff) user "admin".
    client.force_login(User.objects.create_superuser("root", "root@example.org", "pw-123456!"))
    row = outbox_row(case, {"unit": world.department.pk})
    sent = outbox_row(case, {"unit": world.department.pk})
    deliver_outbox(now=NOW)
    Outbox.objects.filter(pk=sent.pk).update(state=Outbox.State.SENT)
    url = reverse("admin:dispatch_deadletter_changelist")

    listing = client.get(url)
    assert listing.status_code == 200
    assert list(listing.context["cl"].queryset) == [DeadLetter.objects.get(pk=row.pk)]

    response = client.post(url, {"action": "retry", "_selected_action": [row.pk]}, follow=True)

    assert response.status_code == 200
    row.refresh_from_db()
    assert row.state == Outbox.State.PENDING
    assert row.attempts == 0


@override_settings(NOTIFICATION_BACKENDS=[INBOX, FLAKY_EMAIL])
def test_a_retry_after_a_partial_failure_does_not_notify_anyone_twice(world, case, make_user):
    second_handler = make_user(Role.UNIT_HANDLER, unit=world.department)
    first_key = f"user:{world.users[Role.UNIT_HANDLER].pk}"
    second_key = f"user:{second_handler.pk}"
    FlakyEmailBackend.failing_for = {second_key}
    FlakyEmailBackend.sent_to = []
    row = outbox_row(case, {"unit": world.department.pk})

    deliver_outbox(now=NOW)
    FlakyEmailBackend.failing_for = set()
    deliver_outbox(now=NOW + timedelta(seconds=30))

    row.refresh_from_db()
    assert row.state == Outbox.State.SENT
    assert sorted(FlakyEmailBackend.sent_to) == sorted([first_key, second_key])
    assert InboxMessage.objects.filter(user=second_handler).count() == 1
    assert InboxMessage.objects.count() == 2
    assert NotificationDelivery.objects.filter(outbox=row).count() == 4


@override_settings(NOTIFICATION_BACKENDS=[INBOX])
def test_running_delivery_twice_sends_once(world, case):
    outbox_row(case, {"unit": world.department.pk})

    first = deliver_outbox(now=NOW)
    second = deliver_outbox(now=NOW + timedelta(hours=1))

    assert (first.sent, second.claimed) == (1, 0)
    assert InboxMessage.objects.count() == 1


# --- nothing before commit ----------------------------------------------------------------------


@override_settings(NOTIFICATION_BACKENDS=[INBOX])
def test_a_report_rolled_back_is_never_delivered(world):
    with pytest.raises(RuntimeError):
        report_then_fail(world)

    assert not Outbox.objects.exists()
    assert deliver_outbox(now=timezone.now() + timedelta(days=1)).claimed == 0
    assert not InboxMessage.objects.exists()


@override_settings(NOTIFICATION_KICK_ON_COMMIT=True)
def test_delivery_is_enqueued_only_when_the_transaction_commits(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    enqueued: list[int] = []
    monkeypatch.setattr(
        notifications.deliver_outbox_task, "apply_async", lambda **_: enqueued.append(1)
    )

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        world.report()
        world.report()  # each report is its own transaction: one kick each
        assert enqueued == []

    assert len(callbacks) == 2
    for callback in callbacks:
        callback()
    assert enqueued == [1, 1]


@override_settings(NOTIFICATION_KICK_ON_COMMIT=True)
def test_one_transaction_writing_several_rows_enqueues_once(
    world, case, monkeypatch, django_capture_on_commit_callbacks
):
    enqueued: list[int] = []
    monkeypatch.setattr(
        notifications.deliver_outbox_task, "apply_async", lambda **_: enqueued.append(1)
    )

    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        outbox_row(case, {"unit": world.department.pk})
        outbox_row(case, {"unit": world.department.pk})

    assert len(callbacks) == 1
    assert enqueued == [1]


@override_settings(NOTIFICATION_KICK_ON_COMMIT=True)
def test_a_broker_that_is_down_does_not_fail_the_action(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(**options: Any) -> None:
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(notifications.deliver_outbox_task, "apply_async", broker_down)

    with django_capture_on_commit_callbacks(execute=True):
        case = world.report()

    # The row waits for the beat sweep.
    assert Outbox.objects.get(case=case).state == Outbox.State.PENDING


@pytest.mark.django_db(transaction=True)
@override_settings(NOTIFICATION_BACKENDS=[INBOX], NOTIFICATION_KICK_ON_COMMIT=True)
def test_after_commit_the_task_delivers_and_after_rollback_nothing_goes_out(world, eager_celery):
    intake = world.users[Role.INTAKE_OPERATOR]

    with pytest.raises(RuntimeError):
        report_then_fail(world)
    assert not InboxMessage.objects.filter(user=intake).exists()

    case = world.report()  # commits; on commit the (eager) task delivers

    message = InboxMessage.objects.get(user=intake)
    assert message.case_id == case.pk
    assert Outbox.objects.get(case=case).state == Outbox.State.SENT


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@override_settings(NOTIFICATION_BACKENDS=[INBOX], NOTIFICATION_KICK_ON_COMMIT=False)
def test_two_workers_at_once_deliver_each_row_once(world):
    world.report()
    Outbox.objects.all().delete()
    case = Case.objects.get()
    for _ in range(20):
        outbox_row(case, {"unit": world.department.pk})

    results, errors = race(
        lambda: deliver_outbox(now=NOW, batch_size=5),
        lambda: deliver_outbox(now=NOW, batch_size=5),
        lambda: deliver_outbox(now=NOW, batch_size=5),
    )
    while deliver_outbox(now=NOW, batch_size=5).claimed:
        pass

    assert errors == [None, None, None]
    assert sum(r.claimed for r in results) <= 15
    assert Outbox.objects.filter(state=Outbox.State.SENT).count() == 20
    assert InboxMessage.objects.count() == 20


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    not celery_app.conf.broker_url.startswith("redis"), reason="needs the Redis broker"
)
@override_settings(NOTIFICATION_BACKENDS=[INBOX], NOTIFICATION_KICK_ON_COMMIT=True)
def test_a_real_worker_on_redis_delivers_after_commit(world):
    from celery.contrib.testing.worker import start_worker

    intake = world.users[Role.INTAKE_OPERATOR]
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        case = world.report()  # commits; the kick goes through Redis to the worker
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if InboxMessage.objects.filter(user=intake, case_id=case.pk).exists():
                break
            time.sleep(0.1)

    assert InboxMessage.objects.filter(user=intake, case_id=case.pk).count() == 1
    assert Outbox.objects.get(case=case).state == Outbox.State.SENT

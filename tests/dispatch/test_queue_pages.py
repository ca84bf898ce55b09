"""The work queue pages: what a queue holds, search and paging, the clock in words, export,
saved views, bulk actions (one transition per case) and the overdue list."""

from __future__ import annotations

import io
from datetime import timedelta

import openpyxl
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, CaseEvent, Status
from dispatch.models import SavedQueueView
from dispatch.queues import duration_words
from grids.models import Role
from tests.cases.conftest import World, put_in_state
from tests.cases.conftest import world as world  # the fixture, shared


def _client_for(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _filed(world: World, **fields: object) -> Case:
    return put_in_state(world.report(), Status.FILED, **fields)


def test_districts_dispatch_queue_leaves_out_a_case_pushed_down_to_a_community(
    world: World,
) -> None:
    own = _filed(world)
    pushed_down = _filed(world, handling_level="community")
    page = _client_for(world.users[Role.DISPATCHER]).get(
        reverse("dispatch:queue", args=["dispatch"])
    )
    assert [row.case.pk for row in page.context["rows"]] == [own.pk]
    assert pushed_down.number not in page.content.decode()


def test_queue_row_links_the_number_to_the_case_page_and_says_the_time_left(world: World) -> None:
    case = _filed(world, stage_due_at=timezone.now() - timedelta(hours=2))
    body = (
        _client_for(world.users[Role.DISPATCHER])
        .get(reverse("dispatch:queue", args=["dispatch"]) + "?partial=1")
        .content.decode()
    )
    assert f'href="/cases/{case.pk}/' in body
    assert "left-overdue" in body
    assert "card-overdue" in body


def test_search_finds_a_case_by_number_or_address(world: World) -> None:
    first = _filed(world, address="辽宁路1号")
    second = _filed(world, address="延安三路8号")
    client = _client_for(world.users[Role.DISPATCHER])
    url = reverse("dispatch:queue", args=["dispatch"])
    assert [r.case.pk for r in client.get(url, {"q": "延安"}).context["rows"]] == [second.pk]
    assert [r.case.pk for r in client.get(url, {"q": first.number}).context["rows"]] == [first.pk]


def test_the_sub_channel_filter_finds_the_cases_of_a_line(world: World) -> None:
    hotline = put_in_state(world.report(sub_channel="12319 城建热线"), Status.FILED)
    put_in_state(world.report(sub_channel="12345 市民热线"), Status.FILED)
    put_in_state(world.report(), Status.FILED)
    client = _client_for(world.users[Role.DISPATCHER])
    url = reverse("dispatch:queue", args=["dispatch"])
    page = client.get(url, {"sub_channel": "12319"})
    assert [r.case.pk for r in page.context["rows"]] == [hotline.pk]
    assert 'name="sub_channel"' in page.content.decode()
    assert len(client.get(url).context["rows"]) == 3
    # The live refresh keeps the filter.
    assert "sub_channel=12319" in page.context["live_url"]


def test_queue_pages_past_fifty_cases(world: World) -> None:
    for _ in range(53):
        _filed(world)
    client = _client_for(world.users[Role.DISPATCHER])
    url = reverse("dispatch:queue", args=["dispatch"])
    first = client.get(url)
    assert len(first.context["rows"]) == 50
    assert len(client.get(url, {"page": 2}).context["rows"]) == 3


def test_urgent_cases_come_first_then_the_nearest_due(world: World) -> None:
    now = timezone.now()
    later = _filed(world, stage_due_at=now + timedelta(hours=1))
    sooner = _filed(world, stage_due_at=now + timedelta(minutes=5))
    urgent = _filed(world, stage_due_at=now + timedelta(hours=3), urgency="urgent")
    rows = (
        _client_for(world.users[Role.DISPATCHER])
        .get(reverse("dispatch:queue", args=["dispatch"]))
        .context["rows"]
    )
    assert [r.case.pk for r in rows] == [urgent.pk, sooner.pk, later.pk]


def test_queue_exports_as_csv_and_xlsx(world: World) -> None:
    case = _filed(world)
    Case.objects.filter(pk=case.pk).update(sub_channel="12345 市民热线")
    client = _client_for(world.users[Role.DISPATCHER])
    url = reverse("dispatch:queue", args=["dispatch"])
    csv = client.get(url, {"export": "csv"})
    assert csv["Content-Type"].startswith("text/csv")
    assert case.number in csv.content.decode("utf-8-sig")
    xlsx = client.get(url, {"export": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.cell(row=3, column=1).value == case.number
    # Where the call came from, down to the sub-channel (which hotline line, which app).
    header = [cell.value for cell in sheet[2]]
    assert header[-2:] in (["来源", "子渠道"], ["Source", "Sub-channel"]), header
    assert sheet.cell(row=3, column=len(header)).value == "12345 市民热线"
    assert sheet.cell(row=3, column=len(header) - 1).value


def test_bulk_dispatch_is_one_transition_per_case(world: World) -> None:
    cases = [_filed(world), _filed(world)]
    response = _client_for(world.users[Role.DISPATCHER]).post(
        reverse("dispatch:queue-bulk", args=["dispatch"]),
        {"action": "dispatch", "unit_id": world.department.pk, "case": [c.pk for c in cases]},
    )
    assert response.status_code == 302
    for case in cases:
        case.refresh_from_db()
        assert case.status == Status.DISPATCHED
        assert case.handling_unit_id == world.department.pk
        assert CaseEvent.objects.filter(case=case, action="dispatch").count() == 1


def test_bulk_action_leaves_a_case_outside_the_queue_alone(world: World) -> None:
    pushed_down = _filed(world, handling_level="community")
    _client_for(world.users[Role.DISPATCHER]).post(
        reverse("dispatch:queue-bulk", args=["dispatch"]),
        {"action": "dispatch", "unit_id": world.department.pk, "case": [pushed_down.pk]},
    )
    pushed_down.refresh_from_db()
    assert pushed_down.status == Status.FILED


def test_bulk_urge_needs_a_reason_and_urges_each_case(world: World) -> None:
    case = put_in_state(world.report(), Status.HANDLING, handling_unit=world.department)
    client = _client_for(world.users[Role.DISPATCHER])
    url = reverse("dispatch:queue-bulk", args=["in_progress"])
    client.post(url, {"action": "urge", "case": [case.pk]})
    assert not CaseEvent.objects.filter(case=case, action="urge").exists()
    client.post(url, {"action": "urge", "case": [case.pk], "note": "请尽快处置"})
    assert CaseEvent.objects.filter(case=case, action="urge").count() == 1


def test_saved_views_belong_to_their_user(world: World) -> None:
    dispatcher = _client_for(world.users[Role.DISPATCHER])
    dispatcher.post(
        reverse("dispatch:queue-view-save", args=["dispatch"]),
        {"name": "延安路", "query": "q=延安"},
    )
    view = SavedQueueView.objects.get(user=world.users[Role.DISPATCHER])
    assert view.query == "q=延安"
    page = dispatcher.get(reverse("dispatch:queue", args=["dispatch"]))
    assert "延安路" in page.content.decode()
    other = _client_for(world.users[Role.SHIFT_SUPERVISOR])
    assert other.post(reverse("dispatch:queue-view-delete", args=[view.pk])).status_code == 404
    dispatcher.post(reverse("dispatch:queue-view-delete", args=[view.pk]))
    assert not SavedQueueView.objects.exists()


def test_overdue_list_is_reached_from_the_counter_and_holds_the_overdue_cases(
    world: World,
) -> None:
    late = _filed(world, stage_due_at=timezone.now() - timedelta(minutes=30))
    _filed(world, stage_due_at=timezone.now() + timedelta(hours=3))
    leader = _client_for(world.users[Role.DISTRICT_LEADER])
    home = leader.get(reverse("dispatch:home")).content.decode()
    assert reverse("dispatch:queue", args=["overdue"]) in home
    rows = leader.get(reverse("dispatch:queue", args=["overdue"])).context["rows"]
    assert [r.case.pk for r in rows] == [late.pk]


def test_a_queue_the_user_does_not_have_is_a_404(world: World) -> None:
    handler = _client_for(world.users[Role.UNIT_HANDLER])
    assert handler.get(reverse("dispatch:queue", args=["dispatch"])).status_code == 404
    assert handler.get(reverse("dispatch:queue", args=["overdue"])).status_code == 404


def test_next_case_opens_the_queues_first_case_after_the_one_just_done(world: World) -> None:
    now = timezone.now()
    first = _filed(world, stage_due_at=now + timedelta(minutes=5))
    second = _filed(world, stage_due_at=now + timedelta(hours=1))
    client = _client_for(world.users[Role.DISPATCHER])
    url = reverse("dispatch:queue-next", args=["dispatch"])
    assert client.get(url)["Location"].startswith(f"/cases/{first.pk}/")
    assert client.get(url, {"after": first.pk})["Location"].startswith(f"/cases/{second.pk}/")


def test_durations_put_the_number_first() -> None:
    assert duration_words(timedelta(minutes=21)) == "21 minutes"
    assert duration_words(timedelta(days=1, hours=6, minutes=3)) == "1 day 6 hours"


def test_a_units_new_work_comes_before_the_cases_it_already_handles(world: World) -> None:
    now = timezone.now()
    in_hand = [
        put_in_state(
            world.report(),
            Status.HANDLING,
            handling_unit=world.department,
            stage_due_at=now + timedelta(minutes=10 + i),
        )
        for i in range(3)
    ]
    new = put_in_state(
        world.report(),
        Status.DISPATCHED,
        handling_unit=world.department,
        stage_due_at=now + timedelta(hours=4),
    )
    rows = (
        _client_for(world.users[Role.UNIT_HANDLER])
        .get(reverse("dispatch:queue", args=["to_handle"]))
        .context["rows"]
    )
    assert [r.case.pk for r in rows] == [new.pk] + [c.pk for c in in_hand]

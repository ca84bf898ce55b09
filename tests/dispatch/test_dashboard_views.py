"""The dashboard pages: who sees what, and nobody sees a case outside their jurisdiction."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from cases.models import Status
from grids.models import Role
from tests.cases.conftest import OTHER_GRID_POINT, World, put_in_state
from tests.cases.conftest import world as world  # the fixture, shared

# The auditor reads access logs and handles no cases: tested on its own below.
STAFF_ROLES = [role for role in Role.values if role != Role.AUDITOR]


def _client_for(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _report_in_the_other_street(world: World) -> object:
    """A hotline report in grid 370203002002002, street 370203002."""
    return world.report(
        world.users[Role.INTAKE_OPERATOR], source="hotline_12345", point=OTHER_GRID_POINT
    )


@pytest.mark.django_db
def test_anonymous_visitor_is_sent_to_the_login_page(client: Client) -> None:
    for url in (reverse("dispatch:home"), reverse("dispatch:map"), "/cases/1/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("dispatch:login"))
    assert client.get("/")["Location"] == reverse("dispatch:login")


@pytest.mark.django_db
def test_login_page_renders_in_chinese_by_default(client: Client) -> None:
    response = client.get(reverse("dispatch:login"))
    assert response.status_code == 200
    assert "登录" in response.content.decode()


def test_logging_in_leads_to_the_role_home(client: Client, world: World) -> None:
    response = client.post(
        reverse("dispatch:login"), {"username": "intake", "password": "pw-123456!"}
    )
    assert response.status_code == 302
    assert client.get("/")["Location"] == reverse("dispatch:home")


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_every_role_gets_a_home_page_map_and_case_page(world: World, role: str) -> None:
    case = world.report()
    client = _client_for(world.users[role])
    assert client.get(reverse("dispatch:home")).status_code == 200
    assert client.get(reverse("dispatch:map")).status_code == 200
    if role != Role.UNIT_HANDLER:  # a unit sees a case only once it is dispatched to it
        assert client.get(reverse("dispatch:case", args=[case.pk])).status_code == 200


def test_auditor_gets_a_home_page_but_no_case(world: World, make_user) -> None:
    auditor = make_user(Role.AUDITOR, region=world.regions["370203"])
    case = world.report()
    client = _client_for(auditor)
    assert client.get(reverse("dispatch:home")).status_code == 200
    assert client.get(reverse("dispatch:case", args=[case.pk])).status_code == 404


def test_intake_operator_sees_a_new_report_in_the_intake_queue(world: World) -> None:
    case = world.report()
    body = _client_for(world.users[Role.INTAKE_OPERATOR]).get(reverse("dispatch:home"))
    assert body.context["queues"][0].key == "intake"
    assert case in body.context["queues"][0].cases


def test_supervisor_sees_a_registered_case_in_the_filing_queue(world: World) -> None:
    case = put_in_state(world.report(), Status.REGISTERED)
    response = _client_for(world.users[Role.SHIFT_SUPERVISOR]).get(reverse("dispatch:home"))
    filing = next(q for q in response.context["queues"] if q.key == "filing")
    assert case in filing.cases


def test_street_officer_closes_their_streets_own_cases_not_the_districts(world: World) -> None:
    own = put_in_state(world.report(), Status.HANDLED, handling_level="street")
    districts = put_in_state(world.report(), Status.HANDLED)
    response = _client_for(world.users[Role.STREET_OFFICER]).get(reverse("dispatch:home"))
    closing = next(q for q in response.context["queues"] if q.key == "closing")
    assert own in closing.cases
    assert districts not in closing.cases  # the district's own loop: it sees, read-only


def test_community_staff_get_their_communitys_new_cases_in_the_intake_queue(world: World) -> None:
    own = put_in_state(world.report(), Status.REPORTED, handling_level="community")
    districts = world.report()
    response = _client_for(world.users[Role.COMMUNITY_STAFF]).get(reverse("dispatch:home"))
    intake = next(q for q in response.context["queues"] if q.key == "intake")
    assert [c.pk for c in intake.cases] == [own.pk]
    # …and the district's intake queue holds the district's, not the community's.
    response = _client_for(world.users[Role.INTAKE_OPERATOR]).get(reverse("dispatch:home"))
    intake = next(q for q in response.context["queues"] if q.key == "intake")
    assert [c.pk for c in intake.cases] == [districts.pk]


def test_leader_overview_counts_todays_reports_and_overdue_cases(world: World) -> None:
    from datetime import timedelta

    from django.utils import timezone

    world.report()
    late = world.report()
    put_in_state(late, Status.FILED, stage_due_at=timezone.now() - timedelta(hours=1))
    data = _client_for(world.users[Role.DISTRICT_LEADER]).get(reverse("dispatch:overview")).json()
    assert data["reported"] == 2
    assert data["overdue"] == 1
    assert [row["code"] for row in data["by_street"]] == ["370203001"]


def test_street_officer_from_another_street_gets_404_for_a_case(world: World) -> None:
    case = _report_in_the_other_street(world)
    response = _client_for(world.users[Role.STREET_OFFICER]).get(
        reverse("dispatch:case", args=[case.pk])
    )
    assert response.status_code == 404


def test_overview_counters_leave_out_cases_outside_the_jurisdiction(world: World) -> None:
    _report_in_the_other_street(world)
    data = _client_for(world.users[Role.STREET_OFFICER]).get(reverse("dispatch:overview")).json()
    assert data["reported"] == 0


def test_a_levels_cases_at_the_units_are_listed_for_its_command_to_urge(world: World) -> None:
    own = put_in_state(
        world.report(),
        Status.HANDLING,
        handling_unit=world.street_office,
        handling_level="community",
    )
    districts = put_in_state(world.report(), Status.HANDLING, handling_unit=world.department)
    response = _client_for(world.users[Role.COMMUNITY_STAFF]).get(reverse("dispatch:home"))
    at_units = next(q for q in response.context["queues"] if q.key == "in_progress")
    assert [c.pk for c in at_units.cases] == [own.pk]
    response = _client_for(world.users[Role.DISPATCHER]).get(reverse("dispatch:home"))
    at_units = next(q for q in response.context["queues"] if q.key == "in_progress")
    assert [c.pk for c in at_units.cases] == [districts.pk]


def test_the_home_puts_queues_with_work_first_and_empty_ones_on_one_line(world: World) -> None:
    """A supervisor with one registered case: its filing queue comes before the empty intake
    queue (which comes first when both have work), and the empty ones are marked idle."""
    case = put_in_state(world.report(), Status.REGISTERED)
    response = _client_for(world.users[Role.SHIFT_SUPERVISOR]).get(reverse("dispatch:home"))
    keys = [queue.key for queue in response.context["queues"]]
    assert keys[0] == "filing", keys
    assert case in response.context["queues"][0].cases
    assert all(not queue.rows for queue in response.context["queues"][1:])
    html = response.content.decode()
    assert 'class="card queue" data-queue="filing"' in html
    assert 'class="card queue is-idle" data-queue="intake"' in html

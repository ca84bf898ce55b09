"""Joint handling (联办): co-handling units added and removed as workflow actions, granted the
case through django-guardian, each signing for and feeding back its part; the case is handled
when the lead unit feeds back."""

from __future__ import annotations

import pytest
from guardian.models import UserObjectPermission

from cases.errors import ActionNotAllowed, CaseNotFound, InvalidInput, NotPermitted
from cases.models import CaseEvent, CoHandling, Outbox, Status
from cases.selectors import case_qs_for_user
from cases.services import case_transition
from grids.models import Role, Unit, UnitKind
from tests.helpers import client_for

from .conftest import put_in_state, rid


def act(case, action, actor, **kwargs):
    return case_transition(case_id=case.pk, action=action, actor=actor, request_id=rid(), **kwargs)


@pytest.fixture
def handling(world):
    return put_in_state(world.report(), Status.HANDLING, handling_unit=world.department)


@pytest.fixture
def parks(world, make_user):
    unit = Unit.objects.create(
        code="370203-D05", name="区园林局", kind=UnitKind.DEPARTMENT, region=world.regions["370203"]
    )
    return unit, make_user(Role.UNIT_HANDLER, unit=unit, username="parks-handler")


def grants(case) -> set[int]:
    return set(
        UserObjectPermission.objects.filter(
            object_pk=str(case.pk), permission__codename="co_handle_case"
        ).values_list("user_id", flat=True)
    )


def test_a_dispatcher_adds_a_co_handler_whose_handlers_are_granted_and_told(world, handling, parks):
    unit, handler = parks
    case = act(
        handling, "add_co_handler", world.users[Role.DISPATCHER], payload={"unit_id": unit.pk}
    )
    assert case.status == Status.HANDLING  # the case stays with its lead unit
    part = CoHandling.objects.get(case=case)
    assert (part.unit, part.added_by, part.signed_at) == (unit, world.users[Role.DISPATCHER], None)
    assert grants(case) == {handler.pk}
    assert case_qs_for_user(handler).filter(pk=case.pk).exists()
    event = CaseEvent.objects.filter(case=case).latest("pk")
    assert (event.action, event.data) == (
        "add_co_handler",
        {"unit_id": unit.pk, "unit_name": unit.name},
    )
    notice = Outbox.objects.get(case=case, topic="case.add_co_handler")
    assert notice.recipients == {"units": [unit.pk, world.department.pk]}


def test_a_street_office_co_handles_through_its_streets_officers(world, handling):
    officer = world.users[Role.STREET_OFFICER]
    case = act(
        handling,
        "add_co_handler",
        world.users[Role.DISPATCHER],
        payload={"unit_id": world.street_office.pk},
    )
    assert grants(case) == {officer.pk}
    case = act(case, "co_sign_for", officer)
    case = act(case, "co_feedback", officer, note="已配合清理人行道")
    part = CoHandling.objects.get(case=case)
    assert part.signed_at is not None
    assert part.fed_back_at is not None
    assert part.feedback_note == "已配合清理人行道"
    assert case.status == Status.HANDLING
    # The lead unit hears of the part fed back.
    assert Outbox.objects.get(case=case, topic="case.co_feedback").recipients == {
        "units": [world.department.pk]
    }


def test_a_co_handler_signs_before_it_feeds_back_and_does_each_once(world, handling, parks):
    unit, handler = parks
    case = act(
        handling, "add_co_handler", world.users[Role.DISPATCHER], payload={"unit_id": unit.pk}
    )
    with pytest.raises(ActionNotAllowed):
        act(case, "co_feedback", handler, note="x")
    case = act(case, "co_sign_for", handler)
    with pytest.raises(ActionNotAllowed):
        act(case, "co_sign_for", handler)
    case = act(case, "co_feedback", handler, note="完成")
    with pytest.raises(ActionNotAllowed):
        act(case, "co_feedback", handler, note="again")


def test_the_case_is_handled_when_the_lead_unit_feeds_back(world, handling, parks):
    unit, handler = parks
    case = act(
        handling, "add_co_handler", world.users[Role.DISPATCHER], payload={"unit_id": unit.pk}
    )
    case = act(case, "co_sign_for", handler)
    # The co-handler's part is not the case: it cannot feed the case back.
    with pytest.raises(NotPermitted):
        act(case, "feedback", handler, note="x")
    case = act(case, "feedback", world.users[Role.UNIT_HANDLER], note="主办已处置")
    assert case.status == Status.HANDLED


def test_removing_a_co_handler_withdraws_its_grant(world, handling, parks):
    unit, handler = parks
    dispatcher = world.users[Role.DISPATCHER]
    case = act(handling, "add_co_handler", dispatcher, payload={"unit_id": unit.pk})
    case = act(case, "remove_co_handler", dispatcher, payload={"unit_id": unit.pk})
    part = CoHandling.objects.get(case=case)
    assert part.removed_at is not None
    assert grants(case) == set()
    assert not case_qs_for_user(handler).filter(pk=case.pk).exists()
    with pytest.raises(CaseNotFound):
        act(case, "co_sign_for", handler)
    # Added again: a new part, granted again.
    case = act(case, "add_co_handler", dispatcher, payload={"unit_id": unit.pk})
    assert CoHandling.objects.filter(case=case).count() == 2
    assert grants(case) == {handler.pk}


def test_the_lead_unit_or_a_unit_twice_cannot_be_added(world, handling, parks):
    unit, _handler = parks
    dispatcher = world.users[Role.DISPATCHER]
    with pytest.raises(InvalidInput):
        act(handling, "add_co_handler", dispatcher, payload={"unit_id": world.department.pk})
    case = act(handling, "add_co_handler", dispatcher, payload={"unit_id": unit.pk})
    with pytest.raises(InvalidInput):
        act(case, "add_co_handler", dispatcher, payload={"unit_id": unit.pk})
    with pytest.raises(InvalidInput):
        act(case, "remove_co_handler", dispatcher, payload={"unit_id": world.street_office.pk})


def test_an_approved_return_releases_the_co_handlers(world, handling, parks):
    unit, _handler = parks
    dispatcher = world.users[Role.DISPATCHER]
    case = act(handling, "add_co_handler", dispatcher, payload={"unit_id": unit.pk})
    case = act(case, "request_return", world.users[Role.UNIT_HANDLER], note="非本单位职责")
    case = act(case, "approve_return", dispatcher)
    assert case.status == Status.FILED
    assert CoHandling.objects.get(case=case).removed_at is not None
    assert grants(case) == set()


def test_only_the_levels_dispatcher_adds_co_handlers(world, handling, parks):
    unit, _handler = parks
    for role in (Role.UNIT_HANDLER, Role.INTAKE_OPERATOR, Role.COMMUNITY_STAFF):
        with pytest.raises((NotPermitted, CaseNotFound)):
            act(handling, "add_co_handler", world.users[role], payload={"unit_id": unit.pk})
    # At the community, its staff stand in for the dispatcher.
    community = put_in_state(
        world.report(),
        Status.DISPATCHED,
        handling_unit=world.department,
        handling_level="community",
    )
    case = act(
        community, "add_co_handler", world.users[Role.COMMUNITY_STAFF], payload={"unit_id": unit.pk}
    )
    assert CoHandling.objects.filter(case=case, unit=unit).exists()


def test_the_api_shows_the_co_handlers_and_offers_their_part(world, handling, parks):
    unit, handler = parks
    dispatcher = client_for(world.users[Role.DISPATCHER])
    hints = dispatcher.get(f"/api/v1/cases/{handling.pk}/actions/").json()
    add = next(h for h in hints if h["action"] == "add_co_handler")
    choices = {c["value"] for c in add["payload_fields"][0]["choices"]}
    assert unit.pk in choices
    assert world.department.pk not in choices
    assert "remove_co_handler" not in {h["action"] for h in hints}  # nobody to remove yet
    response = dispatcher.post(
        f"/api/v1/cases/{handling.pk}/actions/",
        {
            "action": "add_co_handler",
            "version": handling.version,
            "request_id": "co-1",
            "payload": {"unit_id": unit.pk},
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert [(c["unit"]["id"], c["active"], c["signed_at"]) for c in body["co_handlers"]] == [
        (unit.pk, True, None)
    ]
    mine = client_for(handler)
    offered = {h["action"] for h in mine.get(f"/api/v1/cases/{handling.pk}/actions/").json()}
    assert offered == {"co_sign_for"}


def test_a_unit_not_co_handling_gets_404_for_the_case(world, handling, make_user, parks):
    unit, _handler = parks
    other = Unit.objects.create(
        code="370203-D09", name="区卫健局", kind=UnitKind.DEPARTMENT, region=world.regions["370203"]
    )
    stranger = make_user(Role.UNIT_HANDLER, unit=other)
    act(handling, "add_co_handler", world.users[Role.DISPATCHER], payload={"unit_id": unit.pk})
    response = client_for(stranger).get(f"/api/v1/cases/{handling.pk}/")
    assert response.status_code == 404


def test_a_co_handlers_part_is_in_its_units_queue_until_fed_back(world, handling, parks):
    unit, handler = parks
    case = act(
        handling, "add_co_handler", world.users[Role.DISPATCHER], payload={"unit_id": unit.pk}
    )
    client = client_for(handler)

    def queue() -> list[int]:
        return [row["id"] for row in client.get("/api/v1/me/queue/").json()["results"]]

    assert queue() == [case.pk]
    case = act(case, "co_sign_for", handler)
    assert queue() == [case.pk]
    act(case, "co_feedback", handler, note="完成")
    assert queue() == []

"""The whole four-level loop end to end, through the API the clients use.

A community item runs in the community's own loop with a street office handling it and a
department co-handling; a hotline call runs through the district, is pushed down to the
street, extended twice (the second time by the leader), urged and supervised, reworked once
and rated; an overdue street case is escalated and supervised by the sweep. At every step
each level's people are offered only actions that succeed, and every level hears its work.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.test import override_settings
from django.utils import timezone

from cases.api.case_serializers import action_hints
from cases.errors import CaseError
from cases.models import Case, HandlingLevel, Outbox, Status, Supervision
from cases.services import actions_available
from dispatch.models import InboxMessage
from dispatch.notifications import deliver_outbox
from dispatch.sweeper import sweep_deadlines
from grids.models import Role, Unit, UnitKind, User
from tests.cases import conftest as cases_conftest
from tests.cases.conftest import POINT_IN_GRID, put_in_state
from tests.cases.test_offered_actions import take_and_roll_back
from tests.helpers import client_for

world = cases_conftest.world

_ids = itertools.count(1)


class Loop:
    """The people of the scenario, each with an API client, and the checks made at each step."""

    def __init__(self, world: Any, extra: dict[str, User]) -> None:
        self.world = world
        self.people: dict[str, User] = {
            "inspector": world.users[Role.INSPECTOR],
            "intake": world.users[Role.INTAKE_OPERATOR],
            "supervisor": world.users[Role.SHIFT_SUPERVISOR],
            "dispatcher": world.users[Role.DISPATCHER],
            "handler": world.users[Role.UNIT_HANDLER],
            "street": world.users[Role.STREET_OFFICER],
            "community": world.users[Role.COMMUNITY_STAFF],
            "leader": world.users[Role.DISTRICT_LEADER],
            **extra,
        }
        self.clients = {name: client_for(user) for name, user in self.people.items()}
        self.failures: list[str] = []

    def offered(self, who: str, case_id: int) -> list[dict[str, Any]]:
        response = self.clients[who].get(f"/api/v1/cases/{case_id}/actions/")
        return response.json() if response.status_code == 200 else []

    def check_offers(self, case_id: int) -> None:
        """Everyone's offered actions, each taken and rolled back: none may fail."""
        case = Case.objects.get(pk=case_id)
        for who, user in self.people.items():
            hints = action_hints(case, actions_available(case=case, actor=user), user)
            for hint in hints:
                try:
                    take_and_roll_back(case, user, hint)
                except CaseError as exc:
                    self.failures.append(f"{who} {hint['action']} ({case.status}): {exc.message}")

    def do(self, who: str, case_id: int, action: str, note: str = "", **payload: Any) -> dict:
        self.check_offers(case_id)
        offered = {h["action"] for h in self.offered(who, case_id)}
        assert action in offered, f"{who} is not offered {action}: {sorted(offered)}"
        version = self.clients[who].get(f"/api/v1/cases/{case_id}/").json()["version"]
        response = self.clients[who].post(
            f"/api/v1/cases/{case_id}/actions/",
            {
                "action": action,
                "version": version,
                "request_id": f"loop-{next(_ids)}",
                "payload": payload,
                "note": note,
            },
            format="json",
        )
        assert response.status_code == 200, (who, action, response.json())
        return response.json()


def run_the_whole_loop(world: Any) -> Loop:
    parks_unit = Unit.objects.create(
        code="370203-D05", name="区园林局", kind=UnitKind.DEPARTMENT, region=world.regions["370203"]
    )
    parks = User.objects.create_user(username="parks")
    parks.posts.create(role=Role.UNIT_HANDLER, unit=parks_unit)
    loop = Loop(world, {"parks": parks})
    world.item.entry_level = "community"
    world.item.save(update_fields=["entry_level"])

    # --- A: the community's own loop ----------------------------------------------------------
    report = loop.clients["inspector"].post(
        "/api/v1/cases/",
        {
            "request_id": "loop-a",
            "item": world.item.code,
            "description": "小区门口暴露垃圾",
            "lon": POINT_IN_GRID.x,
            "lat": POINT_IN_GRID.y,
        },
        format="json",
    )
    assert report.status_code == 201, report.json()
    a = report.json()["id"]
    assert report.json()["handling_level"] == "community"
    loop.do("community", a, "register")
    loop.do("community", a, "file")
    loop.do("community", a, "dispatch", unit_id=world.street_office.pk)
    loop.do("street", a, "sign_for")
    loop.do("community", a, "add_co_handler", unit_id=parks_unit.pk)
    loop.do("parks", a, "co_sign_for")
    loop.do("parks", a, "co_feedback", note="绿地部分已清理")
    loop.do("street", a, "feedback", note="已清理完毕")
    loop.do("community", a, "send_check")
    loop.do("inspector", a, "check_pass")
    body = loop.do("community", a, "close")
    assert (body["status"], body["handling_level"]) == ("closed", "community")

    # --- B: a hotline call through the district, down to the street ----------------------------
    intake = loop.clients["intake"].post(
        "/api/v1/intake/",
        {
            "source": "hotline_12345",
            "item": world.natural_item.code,
            "description": "人行道井盖缺失",
            "lon": POINT_IN_GRID.x,
            "lat": POINT_IN_GRID.y,
            "external_id": "12345-LOOP",
            "contact": {"name": "张三", "phone": "13812345678"},
        },
        format="json",
    )
    assert intake.status_code == 201, intake.json()
    b = intake.json()["id"]
    assert Case.objects.get(pk=b).handling_level == HandlingLevel.DISTRICT
    loop.do("intake", b, "send_verify")
    loop.do("inspector", b, "verify", confirmed=True)
    loop.do("intake", b, "register")
    loop.do("supervisor", b, "file")
    loop.do("dispatcher", b, "push_down")
    loop.do("street", b, "dispatch", unit_id=world.department.pk)
    loop.do("handler", b, "sign_for")
    loop.do("handler", b, "request_extension", note="需采购井盖", value=1, unit="working_days")
    loop.do("street", b, "approve_extension")
    loop.do("handler", b, "request_extension", note="厂家延迟", value=1, unit="working_days")
    offered = {h["action"] for h in loop.offered("street", b)}
    assert "approve_extension" not in offered  # higher approval
    loop.do("leader", b, "approve_extension")
    loop.do("street", b, "urge", note="群众反映强烈，请尽快")
    due = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    loop.do("supervisor", b, "supervise", note="区值班长督办", due_date=due)
    loop.do("handler", b, "feedback", note="已补装")
    loop.do("street", b, "send_check")
    loop.do("inspector", b, "check_fail", note="井盖不平")
    loop.do("handler", b, "feedback", note="已调平")
    loop.do("street", b, "send_check")
    loop.do("inspector", b, "check_pass")
    loop.do("street", b, "close")
    loop.do("intake", b, "rate", rating=5)
    assert Supervision.objects.get(case_id=b).settled_at is not None

    # --- C: an overdue street case, escalated and supervised by the sweep ----------------------
    c = world.report(item_id=world.natural_item.pk)
    now = timezone.now()
    put_in_state(
        c,
        Status.HANDLING,
        handling_unit=world.department,
        handling_level=HandlingLevel.STREET,
        stage_started_at=now - dt.timedelta(hours=3),
        stage_warn_at=now - dt.timedelta(hours=2),
        stage_due_at=now - dt.timedelta(hours=1),
    )
    sweep_deadlines(now=now)
    sweep_deadlines(now=now + dt.timedelta(days=5))
    c.refresh_from_db()
    assert c.handling_level == HandlingLevel.DISTRICT
    assert Supervision.objects.filter(case=c, kind=Supervision.Kind.AUTOMATIC).exists()
    loop.check_offers(c.pk)
    return loop


@override_settings(NOTIFICATION_BACKENDS=["dispatch.notifications.InboxBackend"])
def test_the_whole_loop_notifies_every_level_and_offers_only_what_succeeds(world):
    loop = run_the_whole_loop(world)
    assert not loop.failures, "\n".join(loop.failures[:20])
    # The sweep ran days ahead: deliver what it wrote then, too.
    deliver_outbox(now=timezone.now() + dt.timedelta(days=6), batch_size=1000)
    heard = {
        name: set(InboxMessage.objects.filter(user=user).values_list("topic", flat=True))
        for name, user in loop.people.items()
    }
    # Each level heard its own work.
    assert {"case.report", "case.register", "case.feedback"} <= heard["community"]
    assert {"case.push_down", "case.request_extension", "case.feedback"} <= heard["street"]
    assert "case.dispatch" in heard["street"]  # its street office's work
    assert {"case.send_verify", "case.send_check"} <= heard["inspector"]
    assert {"case.dispatch", "case.urge", "case.supervise", "case.check_fail"} <= heard["handler"]
    assert {"case.add_co_handler"} <= heard["parks"]
    assert "case.request_extension" in heard["leader"]  # the second extension
    assert {"case.report", "case.verify"} <= heard["intake"]
    assert "case.register" in heard["supervisor"]
    # The overdue street case arrived at the district: its command heard of it.
    assert {"case.escalate", "case.supervise"} <= heard["dispatcher"]
    # The community's own loop never reached the district's command centre.
    a = Case.objects.filter(item=world.item).order_by("pk").first()
    district = [loop.people[n] for n in ("intake", "supervisor", "dispatcher")]
    assert not InboxMessage.objects.filter(case_id=a.pk, user__in=district).exists()
    assert Outbox.objects.filter(state=Outbox.State.DEAD).count() == 0

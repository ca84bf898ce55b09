"""Hand-built case histories for the evaluation tests: every step goes through the real
services at a clock set by time-machine, with stage limits in natural hours so the expected
figures can be worked out by hand (register, file, dispatch, send check, close: 1 h each;
verify, check: 30 min; handling the manhole-cover item: 6 h)."""

from __future__ import annotations

import itertools
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cases.models import Case, LimitUnit, Stage, StageLimit
from cases.services import ReportInput, case_report, case_transition
from dispatch.evaluation.periods import Period
from dispatch.evaluation.stats import stats_rebuild
from grids.models import Role
from tests.cases.conftest import POINT_IN_GRID, World

SHANGHAI = ZoneInfo("Asia/Shanghai")
_ids = itertools.count(1)


def at(text: str) -> datetime:
    """'2026-11-03 09:00' in Shanghai time."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def month(year: int, number: int) -> Period:
    from dispatch.evaluation.periods import month_of

    return month_of(date(year, number, 1))


class Story:
    """World + a clock: `story.report(...)`, `story.act(case, action, role, when, ...)`."""

    def __init__(self, world: World) -> None:
        self.world = world
        limits = {
            Stage.REGISTER: "1",
            Stage.VERIFY: "0.5",
            Stage.FILE: "1",
            Stage.DISPATCH: "1",
            Stage.SEND_CHECK: "1",
            Stage.CHECK: "0.5",
            Stage.CLOSE: "1",
        }
        for stage, value in limits.items():
            StageLimit.objects.update_or_create(
                stage=stage,
                defaults={"limit_value": Decimal(value), "limit_unit": LimitUnit.NATURAL_HOURS},
            )

    def user(self, role: str) -> Any:
        return self.world.users[role]

    def report(self, when: str, *, source: str = "inspector", actor: Any = None, **kw: Any) -> Case:
        if actor is None:
            actor = self.user(Role.INSPECTOR if source == "inspector" else Role.INTAKE_OPERATOR)
        data = ReportInput(
            source=source,
            item_id=self.world.natural_item.pk,
            description="井盖缺失",
            point=kw.pop("point", POINT_IN_GRID),
        )
        with time_machine.travel(at(when), tick=False):
            return case_report(actor=actor, data=data, request_id=f"ev-{next(_ids)}", **kw)

    def act(
        self,
        case: Case,
        action: str,
        role: str,
        when: str,
        *,
        note: str = "",
        **payload: Any,
    ) -> Case:
        if not note and action in {
            "reject",
            "void",
            "feedback",
            "request_return",
            "request_extension",
            "request_suspension",
            "check_fail",
            "close_exceptionally",
            "deny_return",
        }:
            note = "原因"
        with time_machine.travel(at(when), tick=False):
            return case_transition(
                case_id=case.pk,
                action=action,
                actor=self.user(role),
                request_id=f"ev-{next(_ids)}",
                payload=payload,
                note=note,
            )

    # -- the common paths ---------------------------------------------------------------------

    def to_filed(self, case: Case, day: str, *, file_at: str = "09:20") -> Case:
        self.act(case, "register", Role.INTAKE_OPERATOR, f"{day} 09:10")
        return self.act(case, "file", Role.SHIFT_SUPERVISOR, f"{day} {file_at}")

    def to_handled(
        self, case: Case, day: str, *, dispatch_at: str = "09:30", feedback_at: str = "11:00"
    ) -> Case:
        self.act(
            case,
            "dispatch",
            Role.DISPATCHER,
            f"{day} {dispatch_at}",
            unit_id=self.world.department.pk,
        )
        self.act(case, "sign_for", Role.UNIT_HANDLER, f"{day} {dispatch_at[:3]}40")
        return self.act(case, "feedback", Role.UNIT_HANDLER, f"{day} {feedback_at}")

    def check_and_close(
        self,
        case: Case,
        day: str,
        *,
        send_check_at: str = "11:10",
        check_at: str = "11:20",
        close_at: str = "11:30",
    ) -> Case:
        self.act(case, "send_check", Role.INTAKE_OPERATOR, f"{day} {send_check_at}")
        self.act(case, "check_pass", Role.INSPECTOR, f"{day} {check_at}")
        return self.act(case, "close", Role.SHIFT_SUPERVISOR, f"{day} {close_at}")

    def full_loop(self, case: Case, day: str) -> Case:
        self.to_filed(case, day)
        self.to_handled(case, day)
        return self.check_and_close(case, day)

    def rebuild(self, start: str, end: str, now: str = "2026-12-31 00:00") -> None:
        stats_rebuild(start=date.fromisoformat(start), end=date.fromisoformat(end), now=at(now))


@pytest.fixture
def story(world: World) -> Story:
    return Story(world)

"""The outbox: who hears of what happened to a case, written in the transaction that did it.

`outbox_row` is the one way an outbox row is made, for the case services (after each
action) and for the deadline sweep (yellow and red cards): every message names the case,
its item, address, status and due instant, and its recipients are the table's audiences
(`cases.workflow.Audience`) resolved at the case's handling level as it stands now.

Recipients are stored as data and resolved into people at delivery (dispatch.notifications),
so a post changed meanwhile is respected:

    {"groups": [{"roles": [...], "region": code}],   # posts in these roles ON this region
     "units": [unit ids],                           # the units' handlers (street offices:
                                                    #   their street's officers)
     "users": [user ids], "contact": contact id}    # named people, a caller's phone
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from cases.models import Case, CaseEvent, HandlingLevel, Outbox, PendingRequest, Status
from cases.workflow import (
    COMMAND_ROLES,
    DISPATCHER,
    INTAKE,
    LEVEL_STAND_INS,
    SUPERVISOR,
    Audience,
)
from grids.models import Role

_LEVEL_ROLES: dict[Audience, frozenset[str]] = {
    Audience.INTAKE: INTAKE,
    Audience.SUPERVISOR: SUPERVISOR,
    Audience.DISPATCHER: DISPATCHER,
    Audience.COMMAND: COMMAND_ROLES,
    Audience.APPROVER: SUPERVISOR,
}

# Whoever must act on the running stage, by the case's state.
_STAGE_ACTOR: dict[str, Audience] = {
    Status.REPORTED: Audience.INTAKE,
    Status.VERIFYING: Audience.GRID,
    Status.REGISTERED: Audience.SUPERVISOR,
    Status.FILED: Audience.DISPATCHER,
    Status.DISPATCHED: Audience.UNIT,
    Status.HANDLING: Audience.UNIT,
    Status.SUSPENDED: Audience.SUPERVISOR,
    Status.HANDLED: Audience.INTAKE,
    Status.CHECKING: Audience.GRID,
    Status.CHECK_PASSED: Audience.SUPERVISOR,
}
_REQUEST_DECIDER: dict[str, Audience] = {
    PendingRequest.RETURN: Audience.DISPATCHER,
    PendingRequest.EXTENSION: Audience.APPROVER,
    PendingRequest.SUSPENSION: Audience.SUPERVISOR,
}


def level_region(case: Case) -> str:
    """The code of the region whose command runs the case's loop at its handling level."""
    regions: dict[str, str] = {
        HandlingLevel.DISTRICT: case.district_id,
        HandlingLevel.STREET: case.street_id,
        HandlingLevel.COMMUNITY: case.community_id,
        HandlingLevel.GRID: case.grid_id,
    }
    return regions[case.handling_level]


def level_roles(audience: Audience, level: str) -> frozenset[str]:
    """The roles that are `audience` at a level: the command-centre roles posted there, and
    at a street or community the officer or staff who stand in for them."""
    return _LEVEL_ROLES[audience] | LEVEL_STAND_INS.get(level, frozenset())


def stage_actor(case: Case) -> Audience:
    """Who must act on the case now: the decider of a waiting request, else the stage's."""
    if case.pending_request and case.pending_request in _REQUEST_DECIDER:
        return _REQUEST_DECIDER[case.pending_request]
    audience = _STAGE_ACTOR.get(case.status, Audience.COMMAND)
    if audience is Audience.UNIT and case.handling_unit_id is None:
        return Audience.DISPATCHER
    return audience


def recipients_for(
    case: Case, audiences: Iterable[Audience], data: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The audiences of a notice, resolved at the case's level, as outbox recipients data
    (empty when nobody is to hear of it)."""
    data = data or {}
    groups: list[dict[str, Any]] = []
    units: list[int] = []
    users: list[int] = []
    contact: int | None = None
    level, region = case.handling_level, level_region(case)

    def add_group(roles: Iterable[str], code: str) -> None:
        group = {"roles": sorted(roles), "region": code}
        if group not in groups:
            groups.append(group)

    def add_unit(unit_id: Any) -> None:
        if isinstance(unit_id, int) and unit_id not in units:
            units.append(unit_id)

    for audience in audiences:
        if audience is Audience.ACTOR:
            audience = stage_actor(case)
        if audience in _LEVEL_ROLES and level == HandlingLevel.GRID:
            # The grid's loop is its inspectors' (self-handling): they are its command.
            add_group([Role.INSPECTOR], case.grid_id)
        elif audience in _LEVEL_ROLES:
            add_group(level_roles(audience, level), region)
            if audience is Audience.APPROVER and case.extensions_count >= 1:
                # A second extension needs higher approval: a district leader.
                add_group([Role.DISTRICT_LEADER], case.district_id)
        elif audience is Audience.UNIT:
            add_unit(case.handling_unit_id)
        elif audience is Audience.CO_UNIT:
            add_unit(data.get("unit_id"))
        elif audience is Audience.GRID:
            if isinstance(data.get("inspector_id"), int):
                users.append(data["inspector_id"])
            else:
                add_group([Role.INSPECTOR], case.grid_id)
        elif audience is Audience.REPORTER:
            if case.reporter_id is not None:
                users.append(case.reporter_id)
            contact = case.reporter_contact_id
    recipients: dict[str, Any] = {}
    if groups:
        recipients["groups"] = groups
    if units:
        recipients["units"] = units
    if users:
        recipients["users"] = sorted(set(users))
    if contact is not None:
        recipients["contact"] = contact
    return recipients


def outbox_row(
    case: Case,
    *,
    topic: str,
    audiences: Iterable[Audience],
    now: datetime,
    event: CaseEvent | None = None,
    data: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> Outbox | None:
    """The outbox row (unsaved) telling the audiences about the case; None when nobody is to
    hear of it. The services save it at once; the sweep saves a batch's rows together."""
    recipients = recipients_for(case, audiences, data)
    if not recipients:
        return None
    payload = {
        "case_id": case.pk,
        "number": case.number,
        "status": case.status,
        "item": case.item.name,
        "address": case.address,
        "handling_level": case.handling_level,
        "stage_due_at": case.stage_due_at.isoformat() if case.stage_due_at else None,
        **(extra or {}),
    }
    return Outbox(
        case=case,
        event=event,
        topic=topic,
        recipients=recipients,
        payload=payload,
        created_at=now,
        next_attempt_at=now,
    )

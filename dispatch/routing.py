"""Automatic dispatch: a filed case whose routing rule says so goes to the rule's unit without
a dispatcher.

The rules and their lookup are catalogue data and live in cases (cases.routing); the command
centre acts on them here, as the system dispatcher, through the same case_transition a person
uses.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from cases.errors import CaseError
from cases.models import Case, HandlingLevel, Status
from cases.routing import routing_route
from cases.services import case_transition
from cases.workflow import Action
from grids.models import Post, Region, Role, User

logger = logging.getLogger(__name__)

SYSTEM_DISPATCHER_USERNAME = "system-dispatcher"


def system_dispatcher(*, district: Region) -> User:
    """The service account that dispatches automatically, holding a dispatcher post at the
    district. Created on first use; it cannot log in."""
    user_model = get_user_model()
    with transaction.atomic():
        user, created = user_model.objects.get_or_create(
            username=SYSTEM_DISPATCHER_USERNAME,
            defaults={"first_name": "System", "last_name": "dispatcher"},
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
    try:
        with transaction.atomic():
            Post.objects.get_or_create(user=user, role=Role.DISPATCHER, region=district, unit=None)
    except IntegrityError:  # a concurrent first use created it
        pass
    return user  # type: ignore[return-value]


def routing_auto_dispatch(case_id: int, *, now: datetime | None = None) -> Case | None:
    """Dispatch a filed case automatically when its matching rule says so.

    Returns the case as dispatched, or None when it is not for automatic dispatch (no such
    rule, not filed, or no longer in the district command centre's hands). Idempotent: the
    request id names the case version, so a retry replays instead of dispatching twice.
    """
    case = Case.objects.select_related("item__default_unit", "district").filter(pk=case_id).first()
    if case is None or case.status != Status.FILED:
        return None
    # The service account sits at the district; a case pushed down is its level's business.
    if case.handling_level != HandlingLevel.DISTRICT:
        return None
    route = routing_route(case)
    if route is None or not route.auto_dispatch:
        return None
    actor = system_dispatcher(district=case.district)
    try:
        return case_transition(
            case_id=case.pk,
            action=Action.DISPATCH,
            actor=actor,
            request_id=f"auto-dispatch-{case.pk}-v{case.version}",
            expected_version=case.version,
            payload={"unit_id": route.unit.pk, "rule_id": route.rule.pk if route.rule else None},
            now=now,
        )
    except CaseError as exc:
        # Someone acted first (dispatched by hand, voided): nothing to do automatically.
        logger.info("auto-dispatch of case %s skipped: %s", case_id, exc)
        return None

"""The deadline sweep: yellow and red cards, escalation after the overdue grace, reminders.

One function, `sweep_deadlines`, run every 30 s by Celery beat (dispatch.tasks) or by
`manage.py run_deadlines`. The database is the source of truth for time (ARCHITECTURE.md):
each phase asks the partial indexes on open cases what is due, claims a small batch with
`select_for_update(skip_locked=True)` in its own transaction, and writes one DeadlineAlert
per card. The alert's unique constraint (case, kind, stage clock, level) makes the sweep
idempotent: running it twice, or in two processes at once, issues each card once, and a
sweep after an outage issues everything that fell due meanwhile. A sweep with nothing due
is one query: an EXISTS per phase, each a probe of a partial index (`case_open_sweep_at`:
the next instant the sweep must look at a case, which the services set at every transition
and the sweep moves on from warning to due to none).

Phases, in order, so a long gap yields every card in one sweep (1 and 2 are one visit of
each case whose sweep_at has come):

0. filed cases whose routing rule says so are dispatched automatically (dispatch.routing);
1. yellow card when now ≥ stage_warn_at (a warning to whoever must act);
2. red card when now ≥ stage_due_at (overdue), with the instant the grace runs out;
3. once the grace has run out on a red card whose stage clock still runs: escalate one
   level up, then supervise (督办) the case there, both through case_transition (actor
   None: the system) — the supervision is a cases.Supervision, and its notice goes to
   whoever must act and the level's command. At the district, the top, the case is
   supervised but not moved.

Every notice goes through cases.outbox.outbox_row, with the audiences and words of the
workflow table (cases.workflow: NOTICES for the cards, the rows for escalate and
supervise).
4. a case escalated and still overdue gets a red card at its new level at the next sweep,
   and with it that level's grace: it climbs one level per grace until someone acts or it
   reaches the district (DOMAIN.md §5).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import (
    OPEN_STATUSES,
    Case,
    CaseEvent,
    HandlingLevel,
    Outbox,
    RoutingRule,
    Status,
    Supervision,
)
from cases.outbox import outbox_row
from cases.services import case_transition
from cases.workflow import NOTICE_OVERDUE, NOTICE_WARNING, NOTICES, Action
from cases.worktime import add_limit, load_calendar
from dispatch.models import DeadlineAlert, SweepSettings
from dispatch.routing import routing_auto_dispatch

logger = logging.getLogger(__name__)

# The partial indexes' predicate, written the same way so the planner can use them.
_OPEN = sorted(OPEN_STATUSES)

TOPIC_WARNING = NOTICE_WARNING
TOPIC_OVERDUE = NOTICE_OVERDUE


@dataclass
class SweepResult:
    auto_dispatched: int = 0
    yellow: int = 0
    red: int = 0
    escalated: int = 0
    supervised: int = 0
    settled_moot: int = 0
    notifications: int = 0
    errors: int = 0

    @property
    def cards(self) -> int:
        return self.yellow + self.red

    def __str__(self) -> str:
        return (
            f"auto_dispatched={self.auto_dispatched} yellow={self.yellow} red={self.red} "
            f"supervised={self.supervised} escalated={self.escalated} "
            f"notifications={self.notifications} errors={self.errors}"
        )


def sweep_deadlines(*, now: datetime | None = None, batch_size: int = 200) -> SweepResult:
    """Issue what is due at `now` (default: the current time); safe to run concurrently."""
    now = now if now is not None else timezone.now()
    result = SweepResult()
    auto = _auto_dispatch_candidates()
    visit = _visit_candidates(now)
    escalation = DeadlineAlert.objects.filter(
        kind=DeadlineAlert.Kind.RED, settled_at__isnull=True, escalate_at__lte=now
    ).order_by("escalate_at", "pk")
    # Most sweeps find nothing: one round trip of three index probes tells which phases
    # have work.
    any_auto, any_visit, any_escalation = _which_have_rows([auto, visit, escalation])
    if any_auto:
        # Cases routed to automatic dispatch leave the dispatch stage before it can warn.
        _claim_in_batches(auto, lambda case: _auto_dispatch(case, now, result), batch_size, result)
    if any_visit:
        grace = SweepSettings.current()
        _claim_in_batches(
            visit,
            lambda case: _visit(case, now, result, grace),
            batch_size,
            result,
            handle_batch=lambda cases: _visit_batch(cases, now, result, grace),
        )
    # Red cards just issued after a long gap may be past their grace already.
    if any_escalation or result.red:
        _claim_in_batches(
            escalation, lambda alert: _supervise(alert, now, result), batch_size, result
        )
    if result.cards or result.supervised or result.auto_dispatched or result.errors:
        logger.info("deadline sweep at %s: %s", now.isoformat(), result)
    return result


# --- claiming ---------------------------------------------------------------------------------


def _which_have_rows(querysets: list[QuerySet[Any]]) -> list[bool]:
    """For each query, whether it has any row: one SELECT EXISTS(...), ... for all."""
    parts: list[str] = []
    params: list[Any] = []
    for qs in querysets:
        sql, qs_params = qs.values("pk")[:1].query.sql_with_params()
        parts.append(f"EXISTS ({sql})")
        params.extend(qs_params)
    with connection.cursor() as cursor:
        # The SQL is Django's own, compiled from the querysets above; values are parameters.
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return [bool(value) for value in row]


def _claim_in_batches(
    candidates: QuerySet[Any],
    handle: Callable[[Any], bool | None],
    batch_size: int,
    result: SweepResult,
    *,
    handle_batch: Callable[[list[Any]], None] | None = None,
) -> None:
    """Claim rows batch by batch, each batch one transaction holding the rows' locks.

    Rows another sweeper holds are skipped (it is handling them). With `handle_batch`, a
    batch is first handled in one go (a few statements for all its rows); if that fails, it
    is rolled back and the rows are handled one by one. Rows that failed here, or that the
    handler left as they were (it returned False), are left for the next sweep, so one bad
    row never stops the others.
    """
    left: set[int] = set()
    while True:
        with transaction.atomic():
            batch = list(
                candidates.exclude(pk__in=sorted(left)).select_for_update(
                    skip_locked=True, of=("self",)
                )[:batch_size]
            )
            if not batch:
                return
            if handle_batch is not None:
                try:
                    with transaction.atomic():
                        handle_batch(batch)
                    continue
                except Exception:
                    logger.warning(
                        "deadline sweep: a batch of %s failed; one row at a time instead",
                        len(batch),
                        exc_info=True,
                    )
            for row in batch:
                try:
                    with transaction.atomic():
                        if handle(row) is False:
                            left.add(row.pk)
                except Exception:
                    logger.exception("deadline sweep: %s %s failed", type(row).__name__, row.pk)
                    left.add(row.pk)
                    result.errors += 1


def _visit_candidates(now: datetime) -> QuerySet[Case]:
    """Open cases whose next sweep instant has come (the partial index case_open_sweep_at),
    with their item (every notice names it)."""
    return (
        Case.objects.filter(status__in=_OPEN, sweep_at__lte=now)
        .select_related("item")
        .order_by("sweep_at", "pk")
    )


def _visit(case: Case, now: datetime, result: SweepResult, grace: SweepSettings) -> bool:
    """One case, in its own savepoint: the fallback when its batch failed."""
    _visit_cases([case], now, result, grace)
    return True


def _visit_batch(
    cases: list[Case], now: datetime, result: SweepResult, grace: SweepSettings
) -> None:
    """A whole claimed batch at once; if it fails, _claim_in_batches rolls it back and
    visits its cases one by one."""
    _visit_cases(cases, now, result, grace)


def _visit_cases(
    cases: list[Case], now: datetime, result: SweepResult, grace: SweepSettings
) -> None:
    """Issue the cards the cases' running clocks are owed at `now` and move sweep_at on, in
    five statements however many cases: the cards already issued, the new cards, their
    notifications, the next sweep instants.

    Called with the case rows locked, so the cards read here are all there are: a sweeper
    that held a case before committed before letting go. A yellow card is owed once per
    clock; a red card once per clock and level (escalated and still overdue: a fresh red
    card at the level it climbed to). The grace runs from the deadline at the first level
    and from the arrival at each level after that: each command gets its full grace.
    """
    issued: set[tuple[int, str, Any, Any, str]] = set()
    for case_id, kind, started_at, deadline, level in DeadlineAlert.objects.filter(
        case_id__in=[case.pk for case in cases]
    ).values_list("case_id", "kind", "stage_started_at", "deadline_at", "handling_level"):
        issued.add((case_id, kind, started_at, deadline, level))
    yellow_clocks = {(c, s, d) for c, k, s, d, _lvl in issued if k == DeadlineAlert.Kind.YELLOW}
    red_clocks = {(c, s, d) for c, k, s, d, _lvl in issued if k == DeadlineAlert.Kind.RED}
    red_levels = {(c, s, d, lvl) for c, k, s, d, lvl in issued if k == DeadlineAlert.Kind.RED}
    calendar = load_calendar()
    alerts: list[DeadlineAlert] = []
    outbox: list[Outbox] = []
    yellow = red = 0
    for case in cases:
        running = case.status != Status.SUSPENDED and case.stage_started_at is not None
        warn: datetime | None = case.stage_warn_at
        due: datetime | None = case.stage_due_at
        started = case.stage_started_at
        if (
            running
            and warn is not None
            and warn <= now
            and (case.pk, started, warn) not in yellow_clocks
        ):
            alerts.append(_alert(case, DeadlineAlert.Kind.YELLOW, warn, now, None))
            outbox += _card_notice(case, TOPIC_WARNING, now, card="yellow", due=warn)
            yellow += 1
        if (
            running
            and due is not None
            and due <= now
            and (case.pk, started, due, case.handling_level) not in red_levels
        ):
            climbed = (case.pk, started, due) in red_clocks
            escalate_at = add_limit(
                max(due, now) if climbed else due,
                Decimal(grace.grace_value),
                grace.grace_unit,
                calendar,
            )
            alerts.append(_alert(case, DeadlineAlert.Kind.RED, due, now, escalate_at))
            outbox += _card_notice(case, TOPIC_OVERDUE, now, card="red", due=due)
            red += 1
        upcoming = [
            instant for instant in (warn, due) if running and instant is not None and instant > now
        ]
        case.sweep_at = min(upcoming) if upcoming else None
    DeadlineAlert.objects.bulk_create(alerts)
    Outbox.objects.bulk_create(outbox)
    Case.objects.bulk_update(cases, ["sweep_at"])
    result.yellow += yellow
    result.red += red
    result.notifications += len(outbox)


def _alert(
    case: Case, kind: str, deadline_at: datetime, now: datetime, escalate_at: datetime | None
) -> DeadlineAlert:
    return DeadlineAlert(
        case=case,
        kind=kind,
        stage=case.stage,
        stage_started_at=case.stage_started_at,  # type: ignore[misc]  # a running clock has one
        deadline_at=deadline_at,
        handling_level=case.handling_level,
        created_at=now,
        escalate_at=escalate_at,
    )


# --- automatic dispatch -----------------------------------------------------------------------


def _auto_dispatch_candidates() -> QuerySet[Case]:
    """Filed cases in the district's hands whose item has an automatic routing rule."""
    auto_items = RoutingRule.objects.filter(is_active=True, auto_dispatch=True).values("item_id")
    return Case.objects.filter(
        status=Status.FILED, handling_level=HandlingLevel.DISTRICT, item_id__in=auto_items
    ).order_by("stage_started_at", "pk")


def _auto_dispatch(case: Case, now: datetime, result: SweepResult) -> bool:
    # A more specific manual rule may win over the automatic one: then a dispatcher decides.
    if routing_auto_dispatch(case.pk, now=now) is None:
        return False
    result.auto_dispatched += 1
    return True


# --- escalation and supervision ---------------------------------------------------------------


def _supervise(alert: DeadlineAlert, now: datetime, result: SweepResult) -> None:
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("item")
        .filter(pk=alert.case_id)
        .first()
    )
    if case is None or not _clock_still_runs(case, alert):
        # Handled, closed, suspended or given a new clock since the red card: nothing to urge.
        alert.settled_at = now
        alert.save(update_fields=["settled_at"])
        result.settled_moot += 1
        return
    from_level = case.handling_level
    stage = case.get_stage_display()
    escalation = None
    if from_level != HandlingLevel.DISTRICT:
        note = _(
            "Overdue at stage “%(stage)s” past the grace period: escalated by the deadline sweep."
        )
        request_id = f"sweep-escalate-{alert.pk}"
        case = case_transition(
            case_id=case.pk,
            action=Action.ESCALATE,
            actor=None,
            request_id=request_id,
            note=note % {"stage": stage},
            now=now,
        )
        escalation = CaseEvent.objects.filter(request_id=request_id).first()
        result.escalated += 1
        note = _("Overdue at stage “%(stage)s” past the grace period: escalated and supervised.")
    else:
        note = _("Overdue at stage “%(stage)s” past the grace period: supervised at the district.")
    request_id = f"sweep-supervise-{alert.pk}"
    case_transition(
        case_id=case.pk,
        action=Action.SUPERVISE,
        actor=None,
        request_id=request_id,
        note=note % {"stage": stage},
        payload={
            "escalation_event_id": escalation.pk if escalation is not None else None,
            "from_level": from_level,
            "stage": alert.stage,
        },
        now=now,
    )
    result.supervised += 1
    result.notifications += Outbox.objects.filter(event__request_id=request_id).count()
    alert.settled_at = now
    alert.supervision = Supervision.objects.filter(event__request_id=request_id).first()
    alert.save(update_fields=["settled_at", "supervision"])


def _clock_still_runs(case: Case, alert: DeadlineAlert) -> bool:
    return (
        case.status in OPEN_STATUSES
        and case.status != Status.SUSPENDED
        and case.stage_started_at == alert.stage_started_at
        and case.stage_due_at == alert.deadline_at
    )


# --- notifications ----------------------------------------------------------------------------


def _card_notice(
    case: Case, topic: str, now: datetime, *, card: str, due: datetime
) -> list[Outbox]:
    """A card's notice (unsaved: a batch's rows are saved together), for the card's audience
    at the case's level: whoever must act, and for a red card the level's command."""
    notice = NOTICES[topic]
    row = outbox_row(
        case,
        topic=topic,
        audiences=notice.audience,
        now=now,
        extra={"stage": case.stage, "card": card, "stage_due_at": due.isoformat()},
    )
    return [row] if row is not None else []

"""The statistics rebuild: cases → facts → daily statistics, idempotent for any range of days.

`stats_rebuild(start=, end=)` finds every case whose facts may fall in the range (an event in
it, an open stage or case deadline in it, or facts already dated in it), replays each of them
(dispatch.evaluation.facts), replaces their facts, and re-sums every day whose facts changed.
All of it in one transaction, under a lock, so two rebuilds (the nightly task and someone's
on-demand run) queue instead of interleaving, and running it twice writes the same rows.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from cases.catalogue import effective_limit
from cases.deadlines import stage_limits
from cases.models import OPEN_STATUSES, Case, CaseEvent, FilingCondition
from cases.partitions import ensure_partitions
from cases.worktime import load_calendar
from dispatch.evaluation.definitions import Metric
from dispatch.evaluation.facts import CaseRow, Clock, EventRow, Fact, case_facts
from dispatch.models import DailyStat, EvaluationFact, Group, PatrolStandard
from grids.models import Level, PatrolDay, Post, Role
from grids.tracks import BuildResult, patrol_days_build

logger = logging.getLogger(__name__)

CHUNK = 2000
# pg_advisory_xact_lock key: "eval" in ASCII.
_LOCK_KEY = 0x6576616C
_CASE_FIELDS = (
    "id",
    "source",
    "status",
    "grid_id",
    "community_id",
    "street_id",
    "handling_unit_id",
    "condition_id",
    "urgency",
    "case_due_at",
    "closed_at",
    "closure_kind",
)
_EVENT_FIELDS = (
    "case_id",
    "action",
    "created_at",
    "actor_id",
    "actor_role",
    "from_status",
    "to_status",
    "handling_unit_id",
    "data",
)


@dataclass(frozen=True)
class RebuildResult:
    start: date
    end: date
    cases: int
    facts: int
    days: int

    def __str__(self) -> str:
        return (
            f"{self.start}..{self.end}: {self.cases} cases, {self.facts} facts, "
            f"{self.days} days summed"
        )


def local_day(at: datetime) -> date:
    return timezone.localtime(at).date()


def day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[local midnight of start, local midnight after end)."""
    tz = timezone.get_current_timezone()
    lo = timezone.make_aware(datetime.combine(start, time.min), tz)
    hi = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), tz)
    return lo, hi


def make_clock() -> Clock:
    """Limits, calendar and postings, read once per rebuild."""
    limits: dict[tuple[int, str], tuple[Decimal, str]] = {}
    conditions: dict[int, FilingCondition] = {}

    def handling_limit(condition_id: int, urgency: str) -> tuple[Decimal, str]:
        key = (condition_id, urgency)
        if key not in limits:
            if condition_id not in conditions:
                conditions[condition_id] = FilingCondition.objects.get(pk=condition_id)
            value, unit = effective_limit(conditions[condition_id], urgency)
            limits[key] = (value, str(unit))
        return limits[key]

    inspectors: dict[str, list[int]] = defaultdict(list)
    for code, user_id in Post.objects.filter(
        role=Role.INSPECTOR, is_active=True, region__level=Level.GRID
    ).values_list("region__code", "user_id"):
        inspectors[code].append(user_id)
    return Clock(
        calendar=load_calendar(),
        stage_limits=stage_limits(),
        handling_limit=handling_limit,
        local_day=local_day,
        grid_inspectors=dict(inspectors),
    )


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
    # SQLite writes one transaction at a time already.


def _cases_touching(start: date, end: date) -> set[int]:
    lo, hi = day_bounds(start, end)
    ids: set[int] = set(
        CaseEvent.objects.filter(created_at__gte=lo, created_at__lt=hi)
        .values_list("case_id", flat=True)
        .distinct()
    )
    open_cases = Case.objects.filter(status__in=sorted(OPEN_STATUSES))
    ids.update(
        open_cases.filter(stage_due_at__gte=lo, stage_due_at__lt=hi).values_list("id", flat=True)
    )
    ids.update(
        open_cases.filter(case_due_at__gte=lo, case_due_at__lt=hi).values_list("id", flat=True)
    )
    ids.update(
        EvaluationFact.objects.filter(day__gte=start, day__lte=end)
        .values_list("case_id", flat=True)
        .distinct()
    )
    return ids


def _chunks(ids: Iterable[int], size: int) -> Iterator[list[int]]:
    ordered = sorted(ids)
    for i in range(0, len(ordered), size):
        yield ordered[i : i + size]


def load_histories(case_ids: list[int]) -> dict[int, tuple[CaseRow, list[EventRow]]]:
    """The cases' rows and their events in order (two queries)."""
    cases = {
        row[0]: CaseRow(*row)
        for row in Case.objects.filter(pk__in=case_ids).order_by().values_list(*_CASE_FIELDS)
    }
    by_case: dict[int, list[EventRow]] = defaultdict(list)
    events = (
        CaseEvent.objects.filter(case_id__in=case_ids)
        .order_by("case_id", "created_at", "pk")
        .values_list(*_EVENT_FIELDS)
    )
    for case_id, *rest in events.iterator(chunk_size=5000):
        by_case[case_id].append(EventRow(*rest))
    return {case_id: (case, by_case.get(case_id, [])) for case_id, case in cases.items()}


def facts_for_cases(case_ids: list[int], *, clock: Clock, now: datetime) -> list[Fact]:
    """Replay the given cases and return their facts."""
    facts: list[Fact] = []
    for case, events in load_histories(case_ids).values():
        facts.extend(case_facts(case, events, clock=clock, now=now))
    return facts


_FACT_FIELDS = ("case_id", "day", "metric", "group", "subject", "hit", "value")


def _write_facts(case_ids: list[int], facts: list[Fact]) -> set[date]:
    """Replace the cases' facts; the days whose facts changed (a fact added, gone or altered)."""
    old = EvaluationFact.objects.filter(case_id__in=case_ids)
    before = Counter(old.values_list(*_FACT_FIELDS).order_by())
    after = Counter((f.case_id, f.day, f.metric, f.group, f.subject, f.hit, f.value) for f in facts)
    changed = (before - after) + (after - before)
    if not changed:
        return set()
    old.delete()
    if facts:
        # Each month of the facts has its partition before they are written (cases.partitions).
        fact_days = [f.day for f in facts]
        ensure_partitions(EvaluationFact._meta.db_table, min(fact_days), max(fact_days))
    EvaluationFact.objects.bulk_create(
        (
            EvaluationFact(
                case_id=f.case_id,
                day=f.day,
                metric=f.metric,
                group=f.group,
                subject=f.subject,
                hit=f.hit,
                value=f.value,
            )
            for f in facts
        ),
        batch_size=5000,
    )
    return {row[1] for row in changed}


def _sum_days(days: Iterable[date]) -> None:
    """Rewrite the daily statistics of these days from the facts."""
    days = sorted(set(days))
    for i in range(0, len(days), 31):
        batch = days[i : i + 31]
        DailyStat.objects.filter(day__in=batch).delete()
        rows = (
            EvaluationFact.objects.filter(day__in=batch)
            .values("day", "metric", "group", "subject")
            .annotate(
                total=Count("id"),
                hits=Count("id", filter=Q(hit=True)),
                value_sum=Coalesce(Sum("value"), 0),
            )
            .order_by()
        )
        DailyStat.objects.bulk_create(
            (DailyStat(**row) for row in rows.iterator()), batch_size=5000
        )
        DailyStat.objects.bulk_create(_patrol_stats(batch), batch_size=5000)


def _patrol_stats(days: list[date]) -> list[DailyStat]:
    """The inspectors' patrol per working day (grids.tracks → PatrolDay): one row each for the
    standard (hit when met; value: the share of own grids covered, %) and the distance (hit
    when on patrol at all; value: metres). Inspectors posted to a grid only, as for the miss
    rate; days off do not count (a patrol on one is not asked for)."""
    calendar = load_calendar()
    working = [day for day in days if calendar.is_working_day(day)]
    if not working:
        return []
    standard = PatrolStandard.current()
    min_duty = float(standard.min_duty_hours) * 3600
    inspectors = Post.objects.filter(
        role=Role.INSPECTOR, is_active=True, region__level=Level.GRID
    ).values("user_id")
    stats: list[DailyStat] = []
    for user_id, day, share, duty, distance in (
        PatrolDay.objects.filter(day__in=working, user_id__in=inspectors)
        .order_by("day", "user_id")
        .values_list("user_id", "day", "covered_share", "duty_seconds", "distance_m")
    ):
        percent = round((share or 0.0) * 100)
        met = share is not None and percent >= standard.min_covered_percent and duty >= min_duty
        common = {"day": day, "group": Group.INSPECTOR, "subject": str(user_id), "total": 1}
        stats.append(
            DailyStat(**common, metric=Metric.INSPECTOR_PATROL, hits=int(met), value_sum=percent)
        )
        stats.append(
            DailyStat(
                **common,
                metric=Metric.INSPECTOR_PATROL_DISTANCE,
                hits=int(distance > 0),
                value_sum=round(distance),
            )
        )
    return stats


def stats_rebuild(*, start: date, end: date, now: datetime | None = None) -> RebuildResult:
    """Recompute the facts and daily statistics behind the days start..end (inclusive)."""
    if end < start:
        raise ValueError("end before start")
    now = now or timezone.now()
    with transaction.atomic():
        _lock()
        clock = make_clock()
        case_ids = _cases_touching(start, end)
        days: set[date] = set()
        n_facts = 0
        for chunk in _chunks(case_ids, CHUNK):
            facts = facts_for_cases(chunk, clock=clock, now=now)
            n_facts += len(facts)
            days |= _write_facts(chunk, facts)
        day = start
        while day <= end:
            days.add(day)
            day += timedelta(days=1)
        _sum_days(days)
    result = RebuildResult(start, end, len(case_ids), n_facts, len(days))
    logger.info("evaluation statistics rebuilt: %s", result)
    return result


def stats_rebuild_yesterday(*, now: datetime | None = None) -> RebuildResult:
    """The nightly run: the day that just closed (its patrols first, then the statistics)."""
    now = now or timezone.now()
    yesterday = local_day(now) - timedelta(days=1)
    patrols_build(day=yesterday, now=now)
    return stats_rebuild(start=yesterday, end=yesterday, now=now)


def patrols_build(*, day: date, now: datetime | None = None) -> BuildResult:
    """The day's patrol records (grids.tracks): on a working day every posted inspector gets
    one, so a day without a patrol is on record; on a day off only those who patrolled."""
    return patrol_days_build(
        day=day,
        idle_inspectors=load_calendar().is_working_day(day),
        # In parallel where that works (PostgreSQL, outside a transaction): 1,188 a night.
        workers=None,
        now=now,
    )

"""The trend pass: is an item unusually high in an area, today or this week?

For each item × community, item × street and item × district, today's count so far (midnight
to now) is compared with the same hours of the baseline days, and this week's count so far
(Monday to now) with the sum of its days' baselines. Baseline days come from the working-day
calendar (cases.worktime): the same weekday in the last `trend_baseline_weeks` weeks that was
a working day if today is one, a day off if today is one; when there are not enough (a public
holiday on a weekday, a weekend day made a working day), the most recent days of the same kind
fill in. So a holiday is compared with days off, never with busy Mondays.

Cases in a live hot spot are left out: a rise at one place is the hot spot's alarm, and a
trend is a rise spread over an area. A rise that lifts the whole district (snow, a storm, a
campaign) is the district's signal, not every street's: below the district, the baseline is
scaled up by how far the rest of the district is above its own baseline. Tail probabilities:
analysis.probability.

A count is flagged when it is at least `trend_min_cases`, above its expectation, and its upper
tail probability is below `trend_p_value`. Flags are stored once per (item, area, period) and
updated by later runs. Alarms: one per item and area and ISO week; a community's flag raises
one only when its street is not flagged for the item, the district's only when no street is.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from analysis.alarms import AlarmInput, alarm_raise
from analysis.hotspots import EXCLUDED_STATUSES
from analysis.models import Alarm, AlarmLevel, AnalysisSettings, HotspotCase, TrendFlag
from analysis.probability import predictive_from_baseline, sum_of, upper_tail
from cases.models import Case, Item
from cases.worktime import WorkCalendar, load_calendar
from grids.models import Level, Region

MIN_BASELINE_DAYS = 4
_ONE_DAY = timedelta(days=1)


@dataclass
class TrendResult:
    tested: int = 0
    flagged: int = 0
    new_flags: int = 0
    alarms: int = 0

    def __str__(self) -> str:
        return (
            f"trends: {self.tested} item × area tests, {self.flagged} flagged "
            f"({self.new_flags} new), {self.alarms} alarms"
        )


@dataclass(frozen=True)
class Finding:
    item_id: int
    region: str
    level: str
    period: str
    period_start: date
    count: int
    expected: float
    p_value: float
    baseline_days: int


def baseline_days(day: date, calendar: WorkCalendar, weeks: int) -> list[date]:
    """The days `day` is compared with: the same weekday of the same kind (working day or
    not) in the last `weeks` weeks, topped up with the most recent days of that kind."""
    working = calendar.is_working_day(day)
    chosen: list[date] = []
    earliest = day - timedelta(weeks=2 * weeks)
    candidate = day - timedelta(weeks=1)
    while candidate >= earliest and len(chosen) < weeks:
        if calendar.is_working_day(candidate) == working:
            chosen.append(candidate)
        candidate -= timedelta(weeks=1)
    candidate = day - _ONE_DAY
    while len(chosen) < weeks and candidate >= earliest:
        if candidate not in chosen and calendar.is_working_day(candidate) == working:
            chosen.append(candidate)
        candidate -= _ONE_DAY
    return sorted(chosen)


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def _ranges(days: list[date], length: timedelta | None) -> Q:
    """reported_at within each day (or its first `length`), contiguous days merged."""
    query = Q(pk__in=[])
    for day in days:
        start = _local_midnight(day)
        end = start + length if length is not None else _local_midnight(day + _ONE_DAY)
        query |= Q(reported_at__gte=start, reported_at__lt=end)
    return query


@dataclass
class _Layout:
    items: list[int]
    communities: list[str]
    # Per level: the area codes, and each community's index among them.
    levels: dict[str, tuple[list[str], np.ndarray]]


def _layout() -> _Layout | None:
    items = list(Item.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True))
    communities = list(
        Region.objects.filter(level=Level.COMMUNITY).order_by("code").values_list("code", flat=True)
    )
    if not items or not communities:
        return None
    levels: dict[str, tuple[list[str], np.ndarray]] = {
        AlarmLevel.COMMUNITY: (communities, np.arange(len(communities)))
    }
    for level, length in ((AlarmLevel.STREET, 9), (AlarmLevel.DISTRICT, 6)):
        codes = sorted({code[:length] for code in communities})
        index = {code: i for i, code in enumerate(codes)}
        levels[level] = (codes, np.array([index[code[:length]] for code in communities]))
    return _Layout(items=items, communities=communities, levels=levels)


def _counts(layout: _Layout, days: list[date], length: timedelta | None) -> np.ndarray:
    """items × communities × days, cases reported in each day (or its first `length`)."""
    out = np.zeros((len(layout.items), len(layout.communities), len(days)), dtype=np.int64)
    if not days:
        return out
    item_index = {pk: i for i, pk in enumerate(layout.items)}
    community_index = {code: i for i, code in enumerate(layout.communities)}
    day_index = {day: i for i, day in enumerate(days)}
    rows = (
        Case.objects.filter(_ranges(days, length))
        .exclude(status__in=EXCLUDED_STATUSES)
        # A rise at one place is a hot spot, and has its alarm: count what is left.
        .exclude(pk__in=HotspotCase.objects.filter(hotspot__gone_at__isnull=True).values("case_id"))
        .annotate(day=TruncDate("reported_at", tzinfo=timezone.get_current_timezone()))
        .values_list("item_id", "community_id", "day")
        .annotate(n=Count("id"))
        .order_by()
    )
    for item_id, community, day, n in rows:
        i = item_index.get(item_id)
        c = community_index.get(community)
        d = day_index.get(day)
        if i is not None and c is not None and d is not None:
            out[i, c, d] = n
    return out


def _sum_into(counts: np.ndarray, index: np.ndarray, n: int) -> np.ndarray:
    """items × areas × days from items × communities × days, by each community's area."""
    out = np.zeros((counts.shape[0], n, counts.shape[2]), dtype=np.int64)
    np.add.at(out, (slice(None), index, slice(None)), counts)  # type: ignore[arg-type]
    return out


@dataclass
class _Series:
    """One level's counts and predictions for a period, with its districts' totals."""

    count: np.ndarray  # items × areas
    mean: np.ndarray
    size: np.ndarray
    district_count: np.ndarray  # items × areas: the area's district
    district_mean: np.ndarray


def trend_findings(*, now: datetime, settings: AnalysisSettings) -> tuple[int, list[Finding]]:
    """(tests made, counts flagged) at `now`; reads cases, writes nothing."""
    layout = _layout()
    if layout is None:
        return 0, []
    calendar = load_calendar()
    weeks = settings.trend_baseline_weeks
    local_now = timezone.localtime(now)
    today = local_now.date()
    so_far = local_now - _local_midnight(today)
    monday = today - timedelta(days=today.weekday())
    today_base = baseline_days(today, calendar, weeks)
    if len(today_base) < MIN_BASELINE_DAYS:
        return 0, []
    week_days = []
    week_bases: dict[date, list[date]] = {}
    for n in range((today - monday).days):
        day = monday + timedelta(days=n)
        base = baseline_days(day, calendar, weeks)
        if len(base) >= MIN_BASELINE_DAYS:
            week_days.append(day)
            week_bases[day] = base
    full_days = sorted(set(week_days) | {d for base in week_bases.values() for d in base})
    full_at = {day: i for i, day in enumerate(full_days)}
    full = _counts(layout, full_days, None)
    partial = _counts(layout, [*today_base, today], so_far)
    district_codes, district_of = layout.levels[AlarmLevel.DISTRICT]
    partial_district = _sum_into(partial, district_of, len(district_codes))
    full_district = _sum_into(full, district_of, len(district_codes))
    tests = 0
    findings: list[Finding] = []
    for level, (codes, index) in layout.levels.items():
        part = _sum_into(partial, index, len(codes))
        whole = _sum_into(full, index, len(codes))
        # Each area's district: index of the area's first community's district.
        area_district = np.zeros(len(codes), dtype=np.int64)
        area_district[index] = district_of
        mean, size = predictive_from_baseline(part[:, :, :-1])
        district_mean = predictive_from_baseline(partial_district[:, :, :-1])[0]
        today_series = _Series(
            count=part[:, :, -1],
            mean=mean,
            size=size,
            district_count=partial_district[:, :, -1][:, area_district],
            district_mean=district_mean[:, area_district],
        )
        periods: list[tuple[str, date, _Series]] = [(TrendFlag.Period.DAY, today, today_series)]
        if week_days:
            means, sizes = [today_series.mean], [today_series.size]
            count = today_series.count.copy()
            d_count = today_series.district_count.copy()
            d_mean = today_series.district_mean
            for week_day in week_days:
                columns = np.array([full_at[d] for d in week_bases[week_day]])
                at = full_at[week_day]
                day_mean, day_size = predictive_from_baseline(whole[:, :, columns])
                means.append(day_mean)
                sizes.append(day_size)
                count = count + whole[:, :, at]
                d_count = d_count + full_district[:, :, at][:, area_district]
                d_mean = (
                    d_mean
                    + predictive_from_baseline(full_district[:, :, columns])[0][:, area_district]
                )
            w_mean, w_size = sum_of(np.stack(means, axis=-1), np.stack(sizes, axis=-1))
            periods.append(
                (TrendFlag.Period.WEEK, monday, _Series(count, w_mean, w_size, d_count, d_mean))
            )
        for period, start, series in periods:
            expected = series.mean
            if level != AlarmLevel.DISTRICT:
                # The rest of the district's rise (never a fall) lifts the expectation.
                rest_count = series.district_count - series.count
                rest_mean = np.maximum(series.district_mean - series.mean, 0.0)
                expected = expected * np.maximum(1.0, (rest_count + 1.0) / (rest_mean + 1.0))
            tests += series.count.size
            candidates = np.argwhere(
                (series.count >= settings.trend_min_cases) & (series.count > expected)
            )
            for i, r in candidates:
                count_ir = int(series.count[i, r])
                p_value = upper_tail(count_ir, float(expected[i, r]), float(series.size[i, r]))
                if p_value < settings.trend_p_value:
                    findings.append(
                        Finding(
                            item_id=layout.items[i],
                            region=codes[r],
                            level=level,
                            period=period,
                            period_start=start,
                            count=count_ir,
                            expected=float(expected[i, r]),
                            p_value=p_value,
                            baseline_days=len(today_base),
                        )
                    )
    return tests, findings


def trend_pass(*, now: datetime, settings: AnalysisSettings) -> TrendResult:
    """Flag what trend_findings finds and raise its alarms. Call it inside a transaction
    holding the analysis lock (analysis.services.run_analysis does)."""
    tests, findings = trend_findings(now=now, settings=settings)
    result = TrendResult(tested=tests, flagged=len(findings))
    flags: dict[tuple[int, str, str], TrendFlag] = {}
    for finding in findings:
        flag, created = TrendFlag.objects.get_or_create(
            item_id=finding.item_id,
            region_id=finding.region,
            period=finding.period,
            period_start=finding.period_start,
            defaults={
                "level": finding.level,
                "count": finding.count,
                "expected": finding.expected,
                "p_value": finding.p_value,
                "baseline_days": finding.baseline_days,
                "first_flagged_at": now,
                "last_flagged_at": now,
            },
        )
        if not created:
            TrendFlag.objects.filter(pk=flag.pk).update(
                count=finding.count,
                expected=finding.expected,
                p_value=min(flag.p_value, finding.p_value),
                last_flagged_at=now,
            )
        result.new_flags += int(created)
        flags[(finding.item_id, finding.region, finding.period)] = flag
    result.alarms = _raise_alarms(findings, flags, now)
    return result


def _raise_alarms(
    findings: list[Finding], flags: dict[tuple[int, str, str], TrendFlag], now: datetime
) -> int:
    streets_flagged: dict[int, set[str]] = defaultdict(set)
    for finding in findings:
        if finding.level == AlarmLevel.STREET:
            streets_flagged[finding.item_id].add(finding.region)
    names = dict(Item.objects.values_list("pk", "name"))
    region_names = dict(
        Region.objects.filter(code__in={f.region for f in findings}).values_list("code", "name")
    )
    iso = timezone.localtime(now).isocalendar()
    week = f"{iso.year}-W{iso.week:02d}"
    raised = 0
    # Day findings first: "today" says more than "this week".
    ordered = sorted(findings, key=lambda f: (f.period != TrendFlag.Period.DAY, f.p_value))
    for finding in ordered:
        if finding.level == AlarmLevel.COMMUNITY and finding.region[:9] in streets_flagged.get(
            finding.item_id, ()
        ):
            continue
        if finding.level == AlarmLevel.DISTRICT and streets_flagged.get(finding.item_id):
            continue
        key = f"trend:{finding.item_id}:{finding.region}:{week}"
        alarm = alarm_raise(
            AlarmInput(
                kind=Alarm.Kind.TREND,
                key=key,
                region_code=finding.region,
                message="trend_day" if finding.period == TrendFlag.Period.DAY else "trend_week",
                params={
                    "item": names.get(finding.item_id, ""),
                    "region": region_names.get(finding.region, finding.region),
                    "count": finding.count,
                    "expected": round(finding.expected, 2),
                    "p": finding.p_value,
                    "days": finding.baseline_days,
                },
                item_id=finding.item_id,
            ),
            now=now,
        )
        raised += int(alarm is not None)
        if alarm is None:
            alarm = Alarm.objects.get(key=key)
        flag = flags[(finding.item_id, finding.region, finding.period)]
        if flag.alarm_id is None:
            TrendFlag.objects.filter(pk=flag.pk).update(alarm=alarm)
            flag.alarm_id = alarm.pk
    return raised

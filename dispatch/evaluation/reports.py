"""Selectors behind the evaluation pages, exports and API: scores, rankings, drill-down.

Reports sum DailyStat rows (one indexed range scan per group and period), score them with
dispatch.evaluation.formulas and the settings in the database, and keep to the user's
jurisdiction: a street officer sees their street, its communities, its units and the staff
posted in it; command-centre staff and leaders see their whole command area.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet, Sum
from django.utils.translation import gettext as _

from cases.errors import CaseNotFound, InvalidInput, NotPermitted
from cases.models import Case
from cases.selectors import case_qs_for_user
from dispatch.evaluation import formulas
from dispatch.evaluation.definitions import (
    COMPONENTS,
    DEFAULT_GRADE_BANDS,
    DEFAULT_VOLUME_STEPS,
    FIGURES,
    GROUP_ROLES,
    OPTIONAL_COMPONENTS,
    Component,
    Figure,
    Kind,
    Metric,
    components_for,
)
from dispatch.evaluation.periods import Period
from dispatch.models import DailyStat, EvaluationFact, GradeBand, Group, ScoreWeight, VolumeStep
from grids.models import Level, Post, Region, Role, Unit, User
from grids.selectors import Jurisdiction, jurisdiction_for_user

EVALUATION_ROLES = frozenset(
    {
        Role.INTAKE_OPERATOR,
        Role.SHIFT_SUPERVISOR,
        Role.DISPATCHER,
        Role.DISTRICT_LEADER,
        Role.ADMINISTRATOR,
        Role.STREET_OFFICER,
    }
)
OUTCOMES = ("all", "hit", "miss")


class SubjectNotFound(CaseNotFound):
    """No such subject in the group, or one outside the user's jurisdiction."""


def may_evaluate(user: AbstractBaseUser | AnonymousUser) -> bool:
    if not user.is_authenticated:
        return False
    if getattr(user, "is_superuser", False):
        return True
    return bool(jurisdiction_for_user(user).roles & EVALUATION_ROLES)


def require_evaluator(user: AbstractBaseUser | AnonymousUser) -> Jurisdiction:
    if not may_evaluate(user):
        raise NotPermitted(_("The evaluation is for command-centre staff and leaders."))
    return jurisdiction_for_user(user)


def parse_group(value: str | None) -> str:
    if value not in Group.values:
        raise InvalidInput(
            _("Unknown group."),
            field_errors={
                "group": [_("One of: %(groups)s.") % {"groups": ", ".join(Group.values)}]
            },
        )
    return str(value)


# --- settings ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    weights: dict[str, Decimal]
    steps: tuple[tuple[int | None, Decimal], ...]
    bands: tuple[tuple[str, Decimal], ...]


def rules_for(group: str) -> Rules:
    """The group's weights, volume steps and grade bands; the DOMAIN.md defaults for any
    the admin has deleted."""
    weights = {
        c.key: c.default_weight for c in (*COMPONENTS[group], *OPTIONAL_COMPONENTS.get(group, ()))
    }
    weights.update(dict(ScoreWeight.objects.filter(group=group).values_list("component", "weight")))
    steps = tuple(VolumeStep.objects.filter(group=group).values_list("up_to", "score"))
    bands = tuple(GradeBand.objects.values_list("grade", "min_score"))
    return Rules(
        weights={k: Decimal(v) for k, v in weights.items()},
        steps=steps or DEFAULT_VOLUME_STEPS.get(group, ()),
        bands=bands or DEFAULT_GRADE_BANDS,
    )


# --- scoring -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sums:
    total: int = 0
    hits: int = 0
    value_sum: int = 0


@dataclass
class ComponentScore:
    key: str
    label: str
    metric: str
    kind: str
    weight: Decimal
    total: int
    hits: int
    value: Decimal | None  # on 0–100; None: no data


@dataclass
class FigureValue:
    key: str
    label: str
    metric: str
    show: str
    total: int
    hits: int
    value: Decimal | int | None


@dataclass
class SubjectScore:
    subject: str
    name: str
    components: list[ComponentScore]
    figures: list[FigureValue]
    score: Decimal | None
    coverage: Decimal
    grade: str | None
    rank: int | None = None
    previous_score: Decimal | None = None
    previous_rank: int | None = None

    @property
    def change(self) -> Decimal | None:
        if self.score is None or self.previous_score is None:
            return None
        return self.score - self.previous_score


@dataclass
class Report:
    group: str
    period: Period
    rows: list[SubjectScore]
    previous_period: Period | None = None
    rules: Rules | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _component_value(
    component: Component, sums: Sums, rules: Rules, period: Period
) -> Decimal | None:
    if component.kind is Kind.VOLUME:
        basis = formulas.volume_basis(
            sums.total, days=period.days, calendar_month=period.calendar_month
        )
        return formulas.volume_score(basis, rules.steps)
    if component.kind is Kind.INVERSE_RATE:
        return formulas.inverse_rate(sums.hits, sums.total)
    return formulas.rate(sums.hits, sums.total)


def _figure_value(figure: Figure, sums: Sums) -> Decimal | int | None:
    if figure.show == "misses":
        return sums.total - sums.hits
    if figure.show == "hits":
        return sums.hits
    if figure.show == "average":
        return formulas.average(sums.value_sum, sums.total)
    return formulas.rate(sums.hits, sums.total)


def score_subject(
    group: str, subject: str, name: str, sums: dict[str, Sums], rules: Rules, period: Period
) -> SubjectScore:
    components = []
    for component in components_for(group, rules.weights):
        s = sums.get(component.metric, Sums())
        components.append(
            ComponentScore(
                key=component.key,
                label=str(component.label),
                metric=str(component.metric),
                kind=str(component.kind),
                weight=rules.weights.get(component.key, component.default_weight),
                total=s.total,
                hits=s.hits,
                value=_component_value(component, s, rules, period),
            )
        )
    figures = []
    for figure in FIGURES[group]:
        s = sums.get(figure.metric, Sums())
        figures.append(
            FigureValue(
                key=figure.key,
                label=str(figure.label),
                metric=str(figure.metric),
                show=figure.show,
                total=s.total,
                hits=s.hits,
                value=_figure_value(figure, s),
            )
        )
    weighted = formulas.weighted_score((c.value, c.weight) for c in components)
    return SubjectScore(
        subject=subject,
        name=name,
        components=components,
        figures=figures,
        score=weighted.score,
        coverage=weighted.coverage,
        grade=formulas.grade(weighted.score, rules.bands),
    )


# --- scope and names -----------------------------------------------------------------------------


def visible_subjects(jurisdiction: Jurisdiction, group: str) -> set[str] | None:
    """The subjects of the group inside the jurisdiction; None: all of them."""
    if jurisdiction.everything:
        return None
    if group in (Group.STREET, Group.COMMUNITY):
        level = Level.STREET if group == Group.STREET else Level.COMMUNITY
        return set(
            Region.objects.filter(level=level)
            .filter(jurisdiction.region_filter("code"))
            .values_list("code", flat=True)
        )
    if group == Group.UNIT:
        units = Unit.objects.filter(
            jurisdiction.region_filter("region__code") | Q(pk__in=sorted(jurisdiction.unit_ids))
        )
        return {str(pk) for pk in units.values_list("pk", flat=True)}
    posts = Post.objects.filter(role=GROUP_ROLES[group], is_active=True).filter(
        jurisdiction.region_filter("region__code")
    )
    return {str(pk) for pk in posts.values_list("user_id", flat=True)}


def subject_names(group: str, subjects: set[str]) -> dict[str, str]:
    if not subjects:
        return {}
    if group in (Group.STREET, Group.COMMUNITY):
        return dict(Region.objects.filter(code__in=sorted(subjects)).values_list("code", "name"))
    ids = sorted(int(s) for s in subjects if s.isascii() and s.isdigit() and len(s) <= 12)
    if group == Group.UNIT:
        return {
            str(pk): name for pk, name in Unit.objects.filter(pk__in=ids).values_list("pk", "name")
        }
    names = {}
    for user in User.objects.filter(pk__in=ids).only("username", "first_name", "last_name"):
        names[str(user.pk)] = user.get_full_name() or user.get_username()
    return names


# --- reports -------------------------------------------------------------------------------------


def _sums(group: str, period: Period, subjects: set[str] | None) -> dict[str, dict[str, Sums]]:
    qs = DailyStat.objects.filter(group=group, day__gte=period.start, day__lte=period.end)
    if subjects is not None:
        qs = qs.filter(subject__in=sorted(subjects))
    out: dict[str, dict[str, Sums]] = defaultdict(dict)
    rows = (
        qs.values_list("subject", "metric")
        .annotate(Sum("total"), Sum("hits"), Sum("value_sum"))
        .order_by()
    )
    for subject, metric, total, hits, value_sum in rows:
        out[subject][metric] = Sums(total or 0, hits or 0, value_sum or 0)
    return out


def _ranked(rows: list[SubjectScore]) -> list[SubjectScore]:
    rows.sort(key=lambda r: (r.score is None, -(r.score or 0), r.name, r.subject))
    previous: Decimal | None = None
    rank = 0
    for position, row in enumerate(rows, start=1):
        if row.score is None:
            row.rank = None
            continue
        if row.score != previous:
            rank = position
            previous = row.score
        row.rank = rank
    return rows


def _scores(
    group: str, period: Period, subjects: set[str] | None, rules: Rules
) -> list[SubjectScore]:
    sums = _sums(group, period, subjects)
    names = subject_names(group, set(sums))
    rows = [
        score_subject(group, subject, names.get(subject, subject), metrics, rules, period)
        for subject, metrics in sums.items()
    ]
    return _ranked(rows)


def evaluation_report(
    *, user: AbstractBaseUser | AnonymousUser, group: str, period: Period, compare: bool = True
) -> Report:
    """Every subject of the group with figures in the period, ranked, with the change
    against the previous period."""
    jurisdiction = require_evaluator(user)
    group = parse_group(group)
    subjects = visible_subjects(jurisdiction, group)
    rules = rules_for(group)
    rows = _scores(group, period, subjects, rules)
    report = Report(group=group, period=period, rows=rows, rules=rules)
    if compare:
        previous = period.previous()
        before = {row.subject: row for row in _scores(group, previous, subjects, rules)}
        for row in rows:
            old = before.get(row.subject)
            if old is not None:
                row.previous_score, row.previous_rank = old.score, old.rank
        report.previous_period = previous
    return report


def subject_report(
    *,
    user: AbstractBaseUser | AnonymousUser,
    group: str,
    subject: str,
    period: Period,
) -> SubjectScore:
    """One subject's score with every component's numerator and denominator."""
    jurisdiction = require_evaluator(user)
    group = parse_group(group)
    _require_visible(jurisdiction, group, subject)
    rules = rules_for(group)
    name = subject_names(group, {subject}).get(subject)
    if name is None:
        raise SubjectNotFound(_("No such subject."))
    sums = _sums(group, period, {subject}).get(subject, {})
    row = score_subject(group, subject, name, sums, rules, period)
    previous = _sums(group, period.previous(), {subject}).get(subject)
    if previous is not None:
        row.previous_score = score_subject(
            group, subject, name, previous, rules, period.previous()
        ).score
    return row


def _require_visible(jurisdiction: Jurisdiction, group: str, subject: str) -> None:
    visible = visible_subjects(jurisdiction, group)
    if visible is not None and subject not in visible:
        raise SubjectNotFound(_("No such subject in your jurisdiction."))


def group_metrics(group: str) -> set[str]:
    components = (*COMPONENTS[group], *OPTIONAL_COMPONENTS.get(group, ()))
    return {str(c.metric) for c in components} | {str(f.metric) for f in FIGURES[group]}


def drilldown_cases(
    *,
    user: AbstractBaseUser | AnonymousUser,
    group: str,
    subject: str,
    metric: str,
    outcome: str,
    period: Period,
) -> QuerySet[Case]:
    """The cases behind one figure: the facts of the subject's metric in the period (all,
    only the numerator's, or only the rest), as far as the user may see those cases."""
    jurisdiction = require_evaluator(user)
    group = parse_group(group)
    errors: dict[str, list[str]] = {}
    if metric not in group_metrics(group):
        errors["metric"] = [_("Not a metric of this group.")]
    if outcome not in OUTCOMES:
        errors["outcome"] = [_("all, hit or miss.")]
    if errors:
        raise InvalidInput(_("The request has errors."), field_errors=errors)
    _require_visible(jurisdiction, group, subject)
    facts = EvaluationFact.objects.filter(
        group=group,
        subject=subject,
        metric=metric,
        day__gte=period.start,
        day__lte=period.end,
    )
    if outcome != "all":
        facts = facts.filter(hit=outcome == "hit")
    return (
        case_qs_for_user(user)
        .filter(pk__in=facts.values("case_id"))
        .select_related("item", "handling_unit")
        .order_by("-reported_at", "-id")
    )


def trend(
    *,
    user: AbstractBaseUser | AnonymousUser,
    group: str,
    period: Period,
    count: int = 6,
    subject: str | None = None,
) -> list[dict[str, Any]]:
    """The last `count` periods up to this one: the group's mean score (or one subject's
    score) and each component's pooled value."""
    jurisdiction = require_evaluator(user)
    group = parse_group(group)
    subjects = visible_subjects(jurisdiction, group)
    if subject is not None:
        _require_visible(jurisdiction, group, subject)
        subjects = {subject}
    rules = rules_for(group)
    periods = [period]
    while len(periods) < count:
        periods.append(periods[-1].previous())
    points = []
    for p in reversed(periods):
        sums = _sums(group, p, subjects)
        scores = [
            score_subject(group, s, s, metrics, rules, p).score for s, metrics in sums.items()
        ]
        rated = [s for s in scores if s is not None]
        pooled: dict[str, Sums] = {}
        for metrics in sums.values():
            for metric, s in metrics.items():
                old = pooled.get(metric, Sums())
                pooled[metric] = Sums(
                    old.total + s.total, old.hits + s.hits, old.value_sum + s.value_sum
                )
        group_row = score_subject(group, "", "", pooled, rules, p)
        points.append(
            {
                "period": p.label,
                "start": p.start.isoformat(),
                "end": p.end.isoformat(),
                "score": formulas.rounded(sum(rated, Decimal(0)) / len(rated)) if rated else None,
                "rated": len(rated),
                "components": {
                    c.key: formulas.rounded(c.value) if c.kind != Kind.VOLUME else None
                    for c in group_row.components
                },
            }
        )
    return points


__all__ = [
    "EVALUATION_ROLES",
    "Metric",
    "Report",
    "SubjectNotFound",
    "SubjectScore",
    "drilldown_cases",
    "evaluation_report",
    "may_evaluate",
    "subject_report",
    "trend",
]

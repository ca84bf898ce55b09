"""What is measured and how it is scored: metrics, score components and their defaults.

docs/evaluation.md explains each metric; the defaults are DOMAIN.md §6 (the migration seeds
them into ScoreWeight, VolumeStep and GradeBand, which the admin edits).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from dispatch.models import Group


class Metric(enum.StrEnum):
    # inspectors
    INSPECTOR_VALID_REPORT = "inspector_valid_report"
    INSPECTOR_PUBLIC_FIRST = "inspector_public_first"
    INSPECTOR_VERIFY = "inspector_verify"
    INSPECTOR_CHECK = "inspector_check"
    # patrols (grids.tracks → PatrolDay): per working day, not per case
    INSPECTOR_PATROL = "inspector_patrol"
    INSPECTOR_PATROL_DISTANCE = "inspector_patrol_distance"
    # intake operators
    INTAKE_VOLUME = "intake_volume"
    INTAKE_SEND_VERIFY = "intake_send_verify"
    INTAKE_SEND_CHECK = "intake_send_check"
    # shift supervisors
    SUPERVISOR_FILE = "supervisor_file"
    SUPERVISOR_FILE_ACCURATE = "supervisor_file_accurate"
    SUPERVISOR_CLOSE = "supervisor_close"
    # dispatchers
    DISPATCHER_VOLUME = "dispatcher_volume"
    DISPATCHER_DISPATCH = "dispatcher_dispatch"
    DISPATCHER_ACCURATE = "dispatcher_accurate"
    # handling units
    UNIT_VOLUME = "unit_volume"
    UNIT_HANDLED = "unit_handled"
    UNIT_HANDLING_ON_TIME = "unit_handling_on_time"
    UNIT_CLOSING = "unit_closing"
    UNIT_REWORK = "unit_rework"
    UNIT_EXTENSION = "unit_extension"
    UNIT_SATISFACTION = "unit_satisfaction"
    UNIT_URGED = "unit_urged"
    UNIT_SUPERVISED = "unit_supervised"
    # streets and communities
    REGION_PUBLIC = "region_public"
    REGION_CLOSING = "region_closing"
    REGION_CLOSE_ON_TIME = "region_close_on_time"
    REGION_SATISFACTION = "region_satisfaction"


class Kind(enum.StrEnum):
    RATE = "rate"  # hits / total × 100
    INVERSE_RATE = "inverse_rate"  # (1 − hits / total) × 100
    VOLUME = "volume"  # total, scored by the volume steps


@dataclass(frozen=True)
class Component:
    key: str
    label: Promise
    metric: Metric
    kind: Kind
    default_weight: Decimal


@dataclass(frozen=True)
class Figure:
    """A figure reported beside the score (not weighted)."""

    key: str
    label: Promise
    metric: Metric
    # rate: hits/total %; misses: total − hits (a count); hits: a count; average:
    # value_sum / total.
    show: str


COMPONENTS: dict[str, tuple[Component, ...]] = {
    Group.INSPECTOR: (
        Component(
            "valid_report",
            _("Valid-report rate"),
            Metric.INSPECTOR_VALID_REPORT,
            Kind.RATE,
            Decimal(40),
        ),
        Component(
            "no_miss",
            _("1 − miss rate"),
            Metric.INSPECTOR_PUBLIC_FIRST,
            Kind.INVERSE_RATE,
            Decimal(20),
        ),
        Component(
            "verify_on_time",
            _("On-time verification rate"),
            Metric.INSPECTOR_VERIFY,
            Kind.RATE,
            Decimal(20),
        ),
        Component(
            "check_on_time", _("On-time check rate"), Metric.INSPECTOR_CHECK, Kind.RATE, Decimal(20)
        ),
    ),
    Group.INTAKE: (
        Component("volume", _("Volume score"), Metric.INTAKE_VOLUME, Kind.VOLUME, Decimal(25)),
        Component(
            "verify_sent_on_time",
            _("Verify tasks sent on time"),
            Metric.INTAKE_SEND_VERIFY,
            Kind.RATE,
            Decimal(40),
        ),
        Component(
            "check_sent_on_time",
            _("Check tasks sent on time"),
            Metric.INTAKE_SEND_CHECK,
            Kind.RATE,
            Decimal(35),
        ),
    ),
    Group.SUPERVISOR: (
        Component(
            "file_on_time", _("On-time filing"), Metric.SUPERVISOR_FILE, Kind.RATE, Decimal(25)
        ),
        Component(
            "file_accurate",
            _("Accurate filing"),
            Metric.SUPERVISOR_FILE_ACCURATE,
            Kind.RATE,
            Decimal(40),
        ),
        Component(
            "close_on_time", _("On-time closing"), Metric.SUPERVISOR_CLOSE, Kind.RATE, Decimal(35)
        ),
    ),
    Group.DISPATCHER: (
        Component("volume", _("Volume score"), Metric.DISPATCHER_VOLUME, Kind.VOLUME, Decimal(20)),
        Component(
            "dispatch_on_time",
            _("On-time dispatch"),
            Metric.DISPATCHER_DISPATCH,
            Kind.RATE,
            Decimal(40),
        ),
        Component(
            "dispatch_accurate",
            _("Accurate dispatch (not returned)"),
            Metric.DISPATCHER_ACCURATE,
            Kind.RATE,
            Decimal(40),
        ),
    ),
    Group.UNIT: (
        Component("volume", _("Volume score"), Metric.UNIT_VOLUME, Kind.VOLUME, Decimal(10)),
        Component("closing", _("Closing rate"), Metric.UNIT_CLOSING, Kind.RATE, Decimal(30)),
        Component(
            "handling_on_time",
            _("On-time handling rate"),
            Metric.UNIT_HANDLING_ON_TIME,
            Kind.RATE,
            Decimal(30),
        ),
        Component(
            "no_rework", _("1 − rework rate"), Metric.UNIT_REWORK, Kind.INVERSE_RATE, Decimal(30)
        ),
    ),
}
# Regions: DOMAIN.md names the figures but no weights; these are local defaults (data).
_REGION_COMPONENTS = (
    Component("closing", _("Closing rate"), Metric.REGION_CLOSING, Kind.RATE, Decimal(40)),
    Component(
        "close_on_time",
        _("On-time closing rate"),
        Metric.REGION_CLOSE_ON_TIME,
        Kind.RATE,
        Decimal(40),
    ),
    Component(
        "not_public",
        _("1 − public-report rate"),
        Metric.REGION_PUBLIC,
        Kind.INVERSE_RATE,
        Decimal(20),
    ),
)
COMPONENTS[Group.STREET] = _REGION_COMPONENTS
COMPONENTS[Group.COMMUNITY] = _REGION_COMPONENTS

# Parts a district may add to a group's score (local choices). DOMAIN.md §6's parts make 100
# without them, so they count only while their weight (Score weights in the admin) is above
# zero; their figures are reported all the same (docs/evaluation.md).
OPTIONAL_COMPONENTS: dict[str, tuple[Component, ...]] = {
    Group.INSPECTOR: (
        Component(
            "patrol",
            _("Patrol standard met (working days)"),
            Metric.INSPECTOR_PATROL,
            Kind.RATE,
            Decimal(0),
        ),
    ),
}


def components_for(group: str, weights: Mapping[str, Decimal]) -> tuple[Component, ...]:
    """The group's scored parts: DOMAIN.md's, and the optional ones given a weight."""
    optional = tuple(
        c for c in OPTIONAL_COMPONENTS.get(group, ()) if weights.get(c.key, c.default_weight) > 0
    )
    return COMPONENTS[group] + optional


_SATISFACTION = _("Citizen satisfaction (average of 1–5)")
FIGURES: dict[str, tuple[Figure, ...]] = {
    Group.INSPECTOR: (
        Figure("miss_rate", _("Miss rate"), Metric.INSPECTOR_PUBLIC_FIRST, "rate"),
        Figure(
            "patrol_covered",
            _("Own grids covered, average of working days (%)"),
            Metric.INSPECTOR_PATROL,
            "average",
        ),
        Figure(
            "patrol_distance",
            _("Distance walked, average of working days (m)"),
            Metric.INSPECTOR_PATROL_DISTANCE,
            "average",
        ),
    ),
    Group.INTAKE: (),
    Group.SUPERVISOR: (),
    Group.DISPATCHER: (),
    Group.UNIT: (
        Figure("handled_rate", _("Handled rate"), Metric.UNIT_HANDLED, "rate"),
        Figure("rework_rate", _("Rework rate"), Metric.UNIT_REWORK, "rate"),
        Figure("overdue", _("Overdue count"), Metric.UNIT_HANDLING_ON_TIME, "misses"),
        Figure("extension_rate", _("Extension rate"), Metric.UNIT_EXTENSION, "rate"),
        Figure("satisfaction", _SATISFACTION, Metric.UNIT_SATISFACTION, "average"),
        # Pressure counted against the unit (DOMAIN.md §6): cases urged (催办) and supervised
        # (督办) while the unit handled them.
        Figure("urged", _("Urged cases"), Metric.UNIT_URGED, "hits"),
        Figure("supervised", _("Supervised cases"), Metric.UNIT_SUPERVISED, "hits"),
    ),
    Group.STREET: (
        Figure("public_rate", _("Public-report rate"), Metric.REGION_PUBLIC, "rate"),
        Figure("satisfaction", _SATISFACTION, Metric.REGION_SATISFACTION, "average"),
    ),
}
FIGURES[Group.COMMUNITY] = FIGURES[Group.STREET]

# What each metric's total and hits count, for the drill-down and the docs.
METRIC_LABELS: dict[Metric, tuple[Promise, Promise]] = {
    Metric.INSPECTOR_VALID_REPORT: (_("reports decided"), _("filed or self-handled")),
    Metric.INSPECTOR_PUBLIC_FIRST: (
        _("cases filed in the grids"),
        _("first reported by the public"),
    ),
    Metric.INSPECTOR_VERIFY: (_("verifications"), _("on time")),
    Metric.INSPECTOR_CHECK: (_("checks"), _("on time")),
    Metric.INSPECTOR_PATROL: (_("working days"), _("standard met")),
    Metric.INSPECTOR_PATROL_DISTANCE: (_("working days"), _("on patrol")),
    Metric.INTAKE_VOLUME: (_("intake actions"), _("intake actions")),
    Metric.INTAKE_SEND_VERIFY: (_("verify tasks sent"), _("on time")),
    Metric.INTAKE_SEND_CHECK: (_("check tasks sent"), _("on time")),
    Metric.SUPERVISOR_FILE: (_("cases filed"), _("on time")),
    Metric.SUPERVISOR_FILE_ACCURATE: (_("filed cases settled"), _("accurate")),
    Metric.SUPERVISOR_CLOSE: (_("cases closed"), _("on time")),
    Metric.DISPATCHER_VOLUME: (_("dispatches"), _("dispatches")),
    Metric.DISPATCHER_DISPATCH: (_("dispatches"), _("on time")),
    Metric.DISPATCHER_ACCURATE: (_("dispatches settled"), _("not returned")),
    Metric.UNIT_VOLUME: (_("cases dispatched"), _("cases dispatched")),
    Metric.UNIT_HANDLED: (_("handling tasks due"), _("handled")),
    Metric.UNIT_HANDLING_ON_TIME: (_("handling tasks due"), _("handled on time")),
    Metric.UNIT_CLOSING: (_("cases due to close"), _("closed")),
    Metric.UNIT_REWORK: (_("cases due to close"), _("reworked")),
    Metric.UNIT_EXTENSION: (_("cases due to close"), _("extended")),
    Metric.UNIT_SATISFACTION: (_("ratings"), _("ratings")),
    Metric.UNIT_URGED: (_("cases urged"), _("cases urged")),
    Metric.UNIT_SUPERVISED: (_("cases supervised"), _("cases supervised")),
    Metric.REGION_PUBLIC: (_("reports"), _("from the public")),
    Metric.REGION_CLOSING: (_("cases due to close"), _("closed")),
    Metric.REGION_CLOSE_ON_TIME: (_("cases due to close"), _("closed on time")),
    Metric.REGION_SATISFACTION: (_("ratings"), _("ratings")),
}

# Volume steps (cases in a calendar month). Units: DOMAIN.md §6 (fewer cases arising in the
# unit's remit, higher score). Intake operators and dispatchers: local defaults, more work,
# higher score.
DEFAULT_VOLUME_STEPS: dict[str, tuple[tuple[int | None, Decimal], ...]] = {
    Group.UNIT: (
        (50, Decimal(100)),
        (100, Decimal(90)),
        (200, Decimal(75)),
        (500, Decimal(60)),
        (1000, Decimal(40)),
        (None, Decimal(0)),
    ),
    Group.INTAKE: (
        (0, Decimal(0)),
        (500, Decimal(60)),
        (1000, Decimal(75)),
        (2000, Decimal(90)),
        (None, Decimal(100)),
    ),
    Group.DISPATCHER: (
        (0, Decimal(0)),
        (300, Decimal(60)),
        (600, Decimal(75)),
        (1200, Decimal(90)),
        (None, Decimal(100)),
    ),
}

DEFAULT_GRADE_BANDS: tuple[tuple[str, Decimal], ...] = (
    ("A", Decimal(90)),
    ("B", Decimal(75)),
    ("C", Decimal(60)),
    ("D", Decimal(40)),
    ("E", Decimal(0)),
)

# The role an actor must have acted in for an action to count for a staff group.
GROUP_ROLES: dict[str, str] = {
    Group.INSPECTOR: "inspector",
    Group.INTAKE: "intake_operator",
    Group.SUPERVISOR: "shift_supervisor",
    Group.DISPATCHER: "dispatcher",
}
PERSON_GROUPS = frozenset(GROUP_ROLES)
# Metrics counted per working day from the patrol records, not per case: nothing to drill into.
PATROL_METRICS = frozenset({Metric.INSPECTOR_PATROL, Metric.INSPECTOR_PATROL_DISTANCE})
REGION_GROUPS = frozenset({Group.STREET, Group.COMMUNITY})


def metric_groups() -> dict[str, str]:
    """metric → the group its facts belong to (regions: street and community both)."""
    out: dict[str, str] = {}
    for group, components in COMPONENTS.items():
        for component in (*components, *OPTIONAL_COMPONENTS.get(group, ())):
            out.setdefault(component.metric, group)
    for group, figures in FIGURES.items():
        for figure in figures:
            out.setdefault(figure.metric, group)
    return out

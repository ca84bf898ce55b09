"""The population picture of a region: persons, households, dwellings, the age and sex
pyramid, key groups, vacant dwellings and organisations by kind, for a grid and rolled up to
community, street and district.

Figures are counted per grid (or per child region) in a handful of GROUP BY queries over the
grid-code columns, so the same code serves one grid, a roll-up and the nightly snapshot
(citizens.models.GridFigures). A grid, a community and a street are counted live; the
district reads the snapshot (its age is shown), or counts live when there is none yet.

Definitions (the registry has no household entity):
- a person lives in the grid of `Person.grid` (where they actually live);
- a dwelling is *lived in* when someone is linked to it now as tenant or resident, or as an
  owner who lives in the same grid; `households` counts the dwellings for living in (use
  "home") that are lived in, `vacant_dwellings` those that are not;
- ages are whole years today; the pyramid has 5-year bands up to 85+; persons without a sex
  or birth date are counted as `unknown`.

Privacy: figures about persons (persons, households, vacant dwellings, the pyramid, key
groups) are suppressed below 5 for a viewer who may not see the persons of the region (it is
outside their jurisdiction: citizens.selectors). The test is on what the viewer cannot
otherwise know: the region's count minus the part inside their own jurisdiction, so a small
number cannot be had by subtracting one's own grid from the community. In a partition (the
pyramid's cells; households and vacant dwellings) one hidden cell hides the next smallest
too, so it cannot be had from the total. Places (buildings, dwellings, organisations) are not
personal data and are shown whole.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from celery import shared_task
from django.db import transaction
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Left
from django.utils import timezone
from django.utils.translation import gettext as _

from citizens.errors import RecordNotFound
from citizens.models import (
    Building,
    Dwelling,
    DwellingUse,
    GridFigures,
    KeyGroup,
    Occupancy,
    OccupancyRole,
    Organisation,
    Person,
    PersonKeyGroup,
)
from citizens.selectors import AnyUser, registry_jurisdiction
from config.dbstats import analyze
from grids.models import Level, Region
from grids.selectors import Jurisdiction

THRESHOLD = 5
BAND_YEARS = 5
BANDS = 18  # 0–4, 5–9, … 80–84, 85+
ELDERLY_FROM_BAND = 12  # 60+
# Children of each level, by the length of their code; a grid's figures are its own.
CHILD_CODE_LENGTH: dict[str, int] = {
    Level.DISTRICT: 9,
    Level.STREET: 12,
    Level.COMMUNITY: 15,
    Level.GRID: 15,
}
PERSON_FIGURES = ("persons", "households", "vacant_dwellings")
PLACE_FIGURES = ("dwellings", "homes", "buildings", "organisations")


def band_labels() -> list[str]:
    labels = [f"{n * BAND_YEARS}–{n * BAND_YEARS + BAND_YEARS - 1}" for n in range(BANDS - 1)]
    return [*labels, f"{(BANDS - 1) * BAND_YEARS}+"]


@dataclass
class Figures:
    """Counts of one region (additive: a roll-up is the sum of its parts)."""

    persons: int = 0
    households: int = 0
    dwellings: int = 0
    homes: int = 0
    vacant_dwellings: int = 0
    buildings: int = 0
    organisations: int = 0
    male: list[int] = field(default_factory=lambda: [0] * BANDS)
    female: list[int] = field(default_factory=lambda: [0] * BANDS)
    age_unknown: int = 0
    key_groups: Counter[str] = field(default_factory=Counter)
    organisation_kinds: Counter[str] = field(default_factory=Counter)

    def add(self, other: Figures) -> None:
        for name in (*PERSON_FIGURES, *PLACE_FIGURES, "age_unknown"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.male = [a + b for a, b in zip(self.male, other.male, strict=True)]
        self.female = [a + b for a, b in zip(self.female, other.female, strict=True)]
        self.key_groups.update(other.key_groups)
        self.organisation_kinds.update(other.organisation_kinds)

    @property
    def aged_60_plus(self) -> int:
        return sum(self.male[ELDERLY_FROM_BAND:]) + sum(self.female[ELDERLY_FROM_BAND:])

    @classmethod
    def total(cls, parts: Iterable[Figures]) -> Figures:
        result = cls()
        for part in parts:
            result.add(part)
        return result


# --- counting ------------------------------------------------------------------------------


def _living_links() -> QuerySet[Occupancy]:
    """Current links of people who live where they are linked: tenants, residents, and
    owners living in the same grid (an owner living elsewhere is a landlord). Correlated
    EXISTS rather than a join: the planner probes the person's primary key per owner link
    instead of hashing the whole person table."""
    owner_lives_here = Exists(
        Person.objects.filter(pk=OuterRef("person_id"), grid_id=OuterRef("grid_id"))
    )
    return Occupancy.objects.filter(
        Q(role__in=[OccupancyRole.TENANT, OccupancyRole.RESIDENT])
        | Q(owner_lives_here, role=OccupancyRole.OWNER),
        until__isnull=True,
    )


def lived_in_links_qs() -> QuerySet[Occupancy]:
    """The links of the people living in dwellings for living in (use "home")."""
    return _living_links().filter(dwelling__use=DwellingUse.HOME)


def dwelling_lived_in() -> Exists:
    """For a Dwelling query: someone lives in it (one probe of the (dwelling, until) index)."""
    return Exists(_living_links().filter(dwelling_id=OuterRef("pk")))


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _band(today: date) -> Case:
    """Age band of Person.birth_date today (-1 without a birth date)."""
    whens = [When(birth_date__isnull=True, then=Value(-1))]
    for band in range(BANDS - 1):
        # Younger than (band + 1) × 5 years: born after that many years before today.
        cut = _years_before(today, (band + 1) * BAND_YEARS)
        whens.append(When(birth_date__gt=cut, then=Value(band)))
    return Case(*whens, default=Value(BANDS - 1), output_field=IntegerField())


def _group(qs: QuerySet, column: str, prefix: str, length: int) -> QuerySet:
    """Rows under the region `prefix`, grouped by the first `length` characters of the grid
    code in `column` (the child region)."""
    if prefix:  # the code the foreign key points at: a prefix test on the local column
        qs = qs.filter(**{f"{column.removesuffix('_id')}__code__startswith": prefix})
    return qs.annotate(child=Left(column, length, output_field=CharField()))


def figures_live(prefix: str, length: int, *, today: date | None = None) -> dict[str, Figures]:
    """Figures per child region (grid codes cut to `length`) under the code `prefix`."""
    today = today or timezone.localdate()
    out: dict[str, Figures] = {}

    def at(code: str) -> Figures:
        return out.setdefault(code, Figures())

    persons = (
        _group(Person.objects.all(), "grid_id", prefix, length)
        .annotate(band=_band(today))
        .values("child", "sex", "band")
        .annotate(n=Count("pk"))
        .values_list("child", "sex", "band", "n")
        .order_by()
    )
    for child, sex, band, n in persons:
        if child is None:
            continue
        figures = at(child)
        figures.persons += n
        if band < 0 or sex not in ("M", "F"):
            figures.age_unknown += n
        else:
            (figures.male if sex == "M" else figures.female)[band] += n

    tags = (
        _group(PersonKeyGroup.objects.filter(group__is_active=True), "person__grid_id", prefix,
               length)
        .values("child", "group__code")
        .annotate(n=Count("pk"))
        .values_list("child", "group__code", "n")
        .order_by()
    )  # fmt: skip
    for child, group, n in tags:
        if child is not None:
            at(child).key_groups[group] += n

    home = Q(use=DwellingUse.HOME)
    for child, total, homes, households in (
        _group(Dwelling.objects.annotate(lived_in=dwelling_lived_in()), "grid_id", prefix, length)
        .values("child")
        .annotate(
            total=Count("pk"),
            homes=Count("pk", filter=home),
            households=Count("pk", filter=home & Q(lived_in=True)),
        )
        .values_list("child", "total", "homes", "households")
        .order_by()
    ):
        figures = at(child)
        figures.dwellings, figures.homes, figures.households = total, homes, households

    for child, n in (
        _group(Building.objects.all(), "grid_id", prefix, length)
        .values("child")
        .annotate(n=Count("pk"))
        .values_list("child", "n")
        .order_by()
    ):
        at(child).buildings = n

    for child, kind, n in (
        _group(Organisation.objects.all(), "grid_id", prefix, length)
        .values("child", "kind")
        .annotate(n=Count("pk"))
        .values_list("child", "kind", "n")
        .order_by()
    ):
        figures = at(child)
        figures.organisations += n
        figures.organisation_kinds[kind] += n

    for figures in out.values():
        figures.vacant_dwellings = max(0, figures.homes - figures.households)
    return out


# --- the nightly snapshot --------------------------------------------------------------------


def figures_rebuild(*, now: datetime | None = None) -> int:
    """Count every grid afresh and write the snapshot, in one transaction; returns the
    number of grids. Run nightly (Celery beat), after generating or importing a registry.

    An upsert per grid (INSERT … ON CONFLICT DO UPDATE on both backends): two runs at once
    (beat and the command) both succeed, the later count winning; readers see one count or
    the other, never a half-written one. A grid deleted takes its row with it (CASCADE)."""
    now = now or timezone.now()
    counted = figures_live("", 15, today=timezone.localdate(now))
    grids = Region.objects.filter(level=Level.GRID).values_list("code", flat=True)
    rows = []
    for code in grids:
        figures = counted.get(code, Figures())
        rows.append(
            GridFigures(
                grid_id=code,
                **{name: getattr(figures, name) for name in (*PERSON_FIGURES, *PLACE_FIGURES)},
                pyramid={"M": figures.male, "F": figures.female, "unknown": figures.age_unknown},
                key_groups=dict(figures.key_groups),
                organisation_kinds=dict(figures.organisation_kinds),
                computed_at=now,
            )
        )
    with transaction.atomic():
        GridFigures.objects.bulk_create(
            rows,
            batch_size=500,
            update_conflicts=True,
            unique_fields=["grid"],
            update_fields=[
                *_ROW_FIELDS,
                "pyramid",
                "key_groups",
                "organisation_kinds",
                "computed_at",
            ],
        )
    analyze(GridFigures)
    return len(rows)


@shared_task(acks_late=True, ignore_result=True)
def rebuild_registry_stats_task() -> int:
    """The nightly count (Celery beat). Idempotent: a repeated run writes the same rows."""
    return figures_rebuild()


_ROW_FIELDS = (*PERSON_FIGURES, *PLACE_FIGURES)


def _from_row(values: tuple[Any, ...]) -> Figures:
    counts, (pyramid, key_groups, kinds) = values[: len(_ROW_FIELDS)], values[len(_ROW_FIELDS) :]
    pyramid = pyramid or {}
    return Figures(
        **dict(zip(_ROW_FIELDS, counts, strict=True)),
        male=list(pyramid.get("M") or [0] * BANDS),
        female=list(pyramid.get("F") or [0] * BANDS),
        age_unknown=int(pyramid.get("unknown") or 0),
        key_groups=Counter(key_groups or {}),
        organisation_kinds=Counter(kinds or {}),
    )


def figures_snapshot(prefix: str, length: int) -> tuple[dict[str, Figures], datetime | None]:
    """The snapshot's figures per child region under `prefix`, and when it was counted
    (the oldest row's time; None when there is no snapshot)."""
    out: dict[str, Figures] = {}
    oldest: datetime | None = None
    rows = GridFigures.objects.filter(grid__code__startswith=prefix).values_list(
        "grid_id", "computed_at", *_ROW_FIELDS, "pyramid", "key_groups", "organisation_kinds"
    )
    for code, computed_at, *values in rows:
        out.setdefault(code[:length], Figures()).add(_from_row(tuple(values)))
        oldest = computed_at if oldest is None else min(oldest, computed_at)
    return out, oldest


# --- a region for a user ------------------------------------------------------------------------


@dataclass(frozen=True)
class RegionStats:
    region: Region
    chain: list[Region]  # district … parent
    source: str  # "live" or "nightly"
    computed_at: datetime
    suppressed: bool
    total: Figures
    covered: Figures  # the part of the total inside the viewer's jurisdiction
    children: list[tuple[Region, Figures, Figures, bool]]  # region, figures, covered, suppressed


def region_get_for_stats(user: AnyUser, code: str, jurisdiction: Jurisdiction) -> Region:
    """A region the user may see on the map (their regions and the ones above), else 404."""
    region = (
        Region.objects.filter(jurisdiction.map_region_filter(), code=code)
        .only("code", "name", "level", "parent_id")
        .first()
        if user.is_authenticated
        else None
    )
    if region is None:
        raise RecordNotFound(_("No region %(code)s in your jurisdiction.") % {"code": code})
    return region


def _covered_roots(jurisdiction: Jurisdiction, code: str) -> list[str]:
    """The viewer's region roots strictly inside the region (the parts they may see whole)."""
    inside = sorted(root for root in jurisdiction.region_codes if root.startswith(code))
    return [root for root in inside if not any(root.startswith(o) for o in inside if o != root)]


def region_stats(user: AnyUser, code: str, *, now: datetime | None = None) -> RegionStats:
    jurisdiction = registry_jurisdiction(user)
    region = region_get_for_stats(user, code, jurisdiction)
    length = CHILD_CODE_LENGTH[region.level]
    computed_at: datetime | None = None
    if region.level == Level.DISTRICT:
        by_child, computed_at = figures_snapshot(region.code, length)
    if computed_at is None:
        by_child, computed_at = figures_live(region.code, length), now or timezone.now()
        source = "live"
    else:
        source = "nightly"
    suppressed = not jurisdiction.covers_region(region.code)
    covered_parts: dict[str, Figures] = {}
    if suppressed:
        for root in _covered_roots(jurisdiction, region.code):
            if source == "live":
                parts = figures_live(root, len(root))
            else:
                parts = figures_snapshot(root, len(root))[0]
            covered_parts[root] = Figures.total(parts.values())
    children: list[tuple[Region, Figures, Figures, bool]] = []
    if region.level != Level.GRID:
        visible = Region.objects.filter(jurisdiction.map_region_filter(), parent__code=region.code)
        for child in visible.only("code", "name", "level").order_by("code"):
            child_suppressed = not jurisdiction.covers_region(child.code)
            covered = Figures.total(
                part for root, part in covered_parts.items() if root.startswith(child.code)
            )
            children.append((child, by_child.get(child.code, Figures()), covered, child_suppressed))
    chain_codes = [region.code[:n] for n in (6, 9, 12) if n < len(region.code)]
    chain = list(Region.objects.filter(code__in=chain_codes).only("code", "name", "level"))
    chain.sort(key=lambda r: len(r.code))
    return RegionStats(
        region=region,
        chain=chain,
        source=source,
        computed_at=computed_at,
        suppressed=suppressed,
        total=Figures.total(by_child.values()),
        covered=Figures.total(covered_parts.values()),
        children=children,
    )


# --- showing figures: suppression ----------------------------------------------------------


def _hide(value: int, known: int, suppressed: bool) -> bool:
    return suppressed and value - known < THRESHOLD


def _partition(values: list[int], known: list[int], suppressed: bool) -> list[int | None]:
    """Hide the small cells; if exactly one is hidden and it holds someone, hide the next
    smallest too (else the total minus the others gives it away; a hidden 0 gives away
    nobody)."""
    hidden = [_hide(v, k, suppressed) for v, k in zip(values, known, strict=True)]
    lone = [v - k for v, k, h in zip(values, known, hidden, strict=True) if h]
    if len(lone) == 1 and lone[0] > 0:
        rest = [(v - k, i) for i, (v, k) in enumerate(zip(values, known, strict=True))
                if not hidden[i]]  # fmt: skip
        if rest:
            hidden[min(rest)[1]] = True
    return [None if h else v for v, h in zip(values, hidden, strict=True)]


def figures_shown(
    figures: Figures, covered: Figures, suppressed: bool, groups: list[KeyGroup]
) -> dict[str, Any]:
    """The figures as a viewer may see them: counts about persons below THRESHOLD (beyond
    what the viewer may see whole) become None."""
    households, vacant = _partition(
        [figures.households, figures.vacant_dwellings],
        [covered.households, covered.vacant_dwellings],
        suppressed,
    )
    cells = _partition(
        [*figures.male, *figures.female, figures.age_unknown],
        [*covered.male, *covered.female, covered.age_unknown],
        suppressed,
    )
    return {
        "persons": None if _hide(figures.persons, covered.persons, suppressed) else figures.persons,
        "households": households,
        "vacant_dwellings": vacant,
        "aged_60_plus": None
        if _hide(figures.aged_60_plus, covered.aged_60_plus, suppressed)
        else figures.aged_60_plus,
        **{name: getattr(figures, name) for name in PLACE_FIGURES},
        "pyramid": {
            "bands": band_labels(),
            "male": cells[:BANDS],
            "female": cells[BANDS : 2 * BANDS],
            "unknown": cells[-1],
        },
        "key_groups": [
            {
                "code": group.code,
                "name": group.name,
                "count": None
                if _hide(figures.key_groups[group.code], covered.key_groups[group.code], suppressed)
                else figures.key_groups[group.code],
            }
            for group in groups
        ],
        "organisation_kinds": [
            {"kind": kind, "count": n}
            for kind, n in sorted(
                figures.organisation_kinds.items(), key=lambda kv: (-kv[1], kv[0])
            )
        ],
    }

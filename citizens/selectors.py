"""The only code that reads the registry for a user; every read starts from the user's
jurisdiction (grids.selectors.jurisdiction_for_user), and a record outside it is a 404.

Linked queries, both ways:
- down: parcel → buildings → dwellings → people (`parcel_buildings`, `building_dwellings`,
  `building_residents_qs`, `parcel_residents_qs`, `dwelling_people_qs`);
- up: person → dwellings → building → parcel → grid → community → street → district
  (`person_chain`).

Rows are scoped by the grid code stored on them (a prefix of it is each level above), so a
check is a string comparison and a list is one index range. Whoever shows a person's data
goes through citizens.access, which logs the read; these functions only select.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from citizens.errors import NotPermitted, RecordNotFound
from citizens.models import (
    Building,
    Dwelling,
    KeyGroup,
    Occupancy,
    Parcel,
    Person,
    PersonAccessLog,
    PersonKeyGroup,
)
from grids.models import Region
from grids.selectors import NO_JURISDICTION, Jurisdiction, jurisdiction_for_user

AnyUser = AbstractBaseUser | AnonymousUser


def registry_jurisdiction(user: AnyUser) -> Jurisdiction:
    if not user.is_authenticated:
        return NO_JURISDICTION
    return jurisdiction_for_user(user)


def _scoped(qs: QuerySet, jurisdiction: Jurisdiction) -> QuerySet:
    return qs.filter(jurisdiction.region_filter("grid__code"))


# --- single records (404 outside the jurisdiction) -------------------------------------------


def parcel_visible(parcel: Parcel, jurisdiction: Jurisdiction) -> bool:
    """The parcel's grid, or one of its buildings, lies in the jurisdiction."""
    return (
        jurisdiction.covers_region(parcel.grid_id)
        or _scoped(Building.objects.filter(parcel=parcel), jurisdiction).exists()
    )


def parcel_get_for_user(
    user: AnyUser, parcel_id: int, *, jurisdiction: Jurisdiction | None = None
) -> Parcel:
    j = jurisdiction or registry_jurisdiction(user)
    parcel = Parcel.objects.filter(pk=parcel_id).first()
    if parcel is None or not parcel_visible(parcel, j):
        raise RecordNotFound(_("No parcel %(id)s in your jurisdiction.") % {"id": parcel_id})
    return parcel


def building_get_for_user(
    user: AnyUser, building_id: int, *, jurisdiction: Jurisdiction | None = None
) -> Building:
    j = jurisdiction or registry_jurisdiction(user)
    building = Building.objects.select_related("parcel").filter(pk=building_id).first()
    if building is None or not j.covers_region(building.grid_id):
        raise RecordNotFound(_("No building %(id)s in your jurisdiction.") % {"id": building_id})
    return building


def dwelling_get_for_user(
    user: AnyUser, dwelling_id: int, *, jurisdiction: Jurisdiction | None = None
) -> Dwelling:
    j = jurisdiction or registry_jurisdiction(user)
    dwelling = Dwelling.objects.select_related("building__parcel").filter(pk=dwelling_id).first()
    if dwelling is None or not j.covers_region(dwelling.grid_id):
        raise RecordNotFound(_("No dwelling %(id)s in your jurisdiction.") % {"id": dwelling_id})
    return dwelling


def person_visible(person: Person, jurisdiction: Jurisdiction) -> bool:
    """Where the person lives, or a dwelling they are linked to now, is in the jurisdiction."""
    if jurisdiction.everything:
        return True
    if person.grid_id and jurisdiction.covers_region(person.grid_id):
        return True
    links = Occupancy.objects.filter(person=person, until__isnull=True)
    return _scoped(links, jurisdiction).exists()


def person_get_for_user(
    user: AnyUser, person_id: int, *, jurisdiction: Jurisdiction | None = None
) -> Person:
    j = jurisdiction or registry_jurisdiction(user)
    person = Person.objects.filter(pk=person_id).first()
    if person is None or not person_visible(person, j):
        raise RecordNotFound(_("No person %(id)s in your jurisdiction.") % {"id": person_id})
    return person


def person_find_by_hash(
    user: AnyUser, id_number_hash: str, *, jurisdiction: Jurisdiction | None = None
) -> Person:
    """The person with this keyed hash of an ID number, if the user may see them."""
    j = jurisdiction or registry_jurisdiction(user)
    person = (
        Person.objects.filter(id_number_hash=id_number_hash).first() if id_number_hash else None
    )
    if person is None or not person_visible(person, j):
        raise RecordNotFound(_("No person with this ID number in your jurisdiction."))
    return person


# --- down the chain ----------------------------------------------------------------------------


def parcel_buildings(user: AnyUser, parcel: Parcel) -> QuerySet[Building]:
    """The parcel's buildings in the user's jurisdiction, with their current resident counts."""
    qs = _scoped(Building.objects.filter(parcel=parcel), registry_jurisdiction(user))
    return qs.annotate(
        dwelling_count=Count("dwellings", distinct=True),
    ).order_by("code")


def building_dwellings(building: Building) -> QuerySet[Dwelling]:
    """The building's dwellings with how many people are linked to each now."""
    return (
        Dwelling.objects.filter(building=building)
        .annotate(people=Count("occupancies", filter=Q(occupancies__until__isnull=True)))
        .order_by("unit", "floor", "room", "pk")
    )


def _current_links() -> QuerySet[Occupancy]:
    return Occupancy.objects.filter(until__isnull=True).select_related("person", "dwelling")


def building_residents_qs(building: Building) -> QuerySet[Occupancy]:
    """Everyone linked to one of the building's dwellings now (one index range)."""
    return _current_links().filter(building=building).order_by("dwelling_id", "role", "person_id")


def parcel_residents_qs(user: AnyUser, parcel: Parcel) -> QuerySet[Occupancy]:
    """Everyone linked now to a dwelling on the parcel, in the user's jurisdiction."""
    qs = _current_links().filter(building__parcel=parcel)
    return _scoped(qs, registry_jurisdiction(user)).order_by("building_id", "dwelling_id", "pk")


def dwelling_people_qs(dwelling: Dwelling, *, include_past: bool = False) -> QuerySet[Occupancy]:
    qs = Occupancy.objects.filter(dwelling=dwelling).select_related("person")
    if not include_past:
        qs = qs.filter(until__isnull=True)
    return qs.order_by("until", "role", "person_id")


# --- up the chain ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonChain:
    """A person's dwellings now (with building and parcel) and the regions they live in."""

    links: list[Occupancy]
    regions: dict[str, Region | None]  # grid, community, street, district


CHAIN_LEVELS = (("grid", 15), ("community", 12), ("street", 9), ("district", 6))


def region_chain(grid_code: str | None) -> dict[str, Region | None]:
    """The grid and the regions above it, by the prefixes of its code: one query."""
    if not grid_code:
        return {level: None for level, _n in CHAIN_LEVELS}
    codes = {level: grid_code[:n] for level, n in CHAIN_LEVELS}
    found = {region.code: region for region in Region.objects.filter(code__in=codes.values())}
    return {level: found.get(code) for level, code in codes.items()}


def person_chain(person: Person) -> PersonChain:
    links = list(
        Occupancy.objects.filter(person=person, until__isnull=True)
        .select_related("dwelling__building__parcel")
        .order_by("role", "pk")
    )
    grid_code = person.grid_id or (links[0].grid_id if links else None)
    return PersonChain(links=links, regions=region_chain(grid_code))


# --- key groups -------------------------------------------------------------------------------


def grid_get_for_user(user: AnyUser, grid_code: str) -> Region:
    region = Region.objects.filter(code=grid_code, level="grid").first()
    if region is None or not registry_jurisdiction(user).covers_region(region.code):
        raise RecordNotFound(_("No grid %(code)s in your jurisdiction.") % {"code": grid_code})
    return region


def key_group_counts(grid: Region) -> list[tuple[KeyGroup, int]]:
    """Every active key group with how many people living in the grid belong to it."""
    counts = dict(
        PersonKeyGroup.objects.filter(person__grid=grid)
        .values("group_id")
        .annotate(n=Count("pk"))
        .values_list("group_id", "n")
    )
    return [(group, counts.get(group.pk, 0)) for group in KeyGroup.objects.filter(is_active=True)]


def key_group_get(code: str) -> KeyGroup:
    group = KeyGroup.objects.filter(code=code, is_active=True).first()
    if group is None:
        raise RecordNotFound(_("No key group %(code)s.") % {"code": code})
    return group


def key_group_members_qs(grid: Region, group: KeyGroup) -> QuerySet[Person]:
    return Person.objects.filter(grid=grid, personkeygroup__group=group).order_by("pk")


# --- the access log ---------------------------------------------------------------------------


def access_log_for_user(user: AnyUser) -> QuerySet[PersonAccessLog]:
    """The reads of persons in the auditor's region; superusers see all; nobody else any."""
    if not user.is_authenticated:
        raise NotPermitted(_("Only auditors may read the access log."))
    if getattr(user, "is_superuser", False):
        return PersonAccessLog.objects.all()
    roots = registry_jurisdiction(user).audit_region_codes
    if not roots:
        raise NotPermitted(_("Only auditors may read the access log."))
    query = Q(pk__in=[])
    for root in sorted(roots):
        query |= Q(grid_code__startswith=root)
    return PersonAccessLog.objects.filter(query)

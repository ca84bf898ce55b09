"""The only code that writes the registry: one function per use case, keyword-only, each its
own transaction. The importer (citizens.importer) and the generator call these or write the
same columns the same way."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Polygon
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from citizens import idnumbers
from citizens.errors import InvalidInput
from citizens.models import (
    Building,
    BuildingUse,
    Dwelling,
    KeyGroup,
    Occupancy,
    OccupancyRole,
    Parcel,
    Person,
    PersonKeyGroup,
)
from grids.models import Level, Region
from grids.selectors import LocateError, locate


def grid_for_geometry(geom: GEOSGeometry, grid_code: str = "") -> str:
    """The grid named (it must exist and be a grid), or the grid under a point of the shape."""
    if grid_code:
        if not Region.objects.filter(code=grid_code, level=Level.GRID).exists():
            raise InvalidInput(
                _("No grid %(code)s.") % {"code": grid_code},
                field_errors={"grid_code": [_("Not a grid's code.")]},
            )
        return grid_code
    try:
        return locate(geom.point_on_surface).grid.code
    except LocateError as exc:
        raise InvalidInput(str(exc), field_errors={"footprint": [str(exc)]}) from None


def parcel_create(*, code: str, geom: GEOSGeometry, name: str = "", grid_code: str = "") -> Parcel:
    if isinstance(geom, Polygon):
        geom = MultiPolygon(geom, srid=geom.srid)
    return Parcel.objects.create(  # type: ignore[misc]  # a MultiPolygon by now
        code=code, name=name, geom=geom, grid_id=grid_for_geometry(geom, grid_code)
    )


def building_create(
    *,
    code: str,
    address: str,
    footprint: Polygon,
    floors: int,
    underground_floors: int = 0,
    use: str = BuildingUse.RESIDENTIAL,
    name: str = "",
    parcel: Parcel | None = None,
    grid_code: str = "",
) -> Building:
    return Building.objects.create(
        code=code,
        name=name,
        address=address,
        footprint=footprint,
        floors=floors,
        underground_floors=underground_floors,
        use=use,
        parcel=parcel,
        grid_id=grid_for_geometry(footprint, grid_code),
    )


def dwelling_create(
    *,
    building: Building,
    room: str,
    floor: int,
    use: str,
    unit: str = "",
    area_m2: Decimal | None = None,
) -> Dwelling:
    return Dwelling.objects.create(
        building=building,
        unit=unit,
        floor=floor,
        room=room,
        use=use,
        area_m2=area_m2,
        grid_id=building.grid_id,
    )


def person_register(
    *,
    name: str,
    id_number: str,
    phone: str = "",
    birth_date: date | None = None,
    registered_address: str = "",
    actual_address: str = "",
) -> Person:
    """A new person, by a valid ID number not yet in the registry."""
    try:
        parsed = idnumbers.parse(id_number)
    except idnumbers.IdNumberError as exc:
        raise InvalidInput(str(exc), field_errors={"id_number": [str(exc)]}) from None
    if birth_date is not None and birth_date != parsed.birth_date:
        message = _("The birth date differs from the one in the ID number.")
        raise InvalidInput(message, field_errors={"birth_date": [message]})
    encrypted, hashed = idnumbers.protect(parsed.number)
    try:
        with transaction.atomic():
            return Person.objects.create(
                name=name.strip(),
                id_number_encrypted=encrypted,
                id_number_hash=hashed,
                sex=parsed.sex,
                birth_date=parsed.birth_date,
                phone=phone.strip(),
                registered_address=registered_address.strip(),
                actual_address=actual_address.strip(),
            )
    except IntegrityError:
        message = _("A person with this ID number is already in the registry.")
        raise InvalidInput(message, field_errors={"id_number": [message]}) from None


@transaction.atomic
def occupancy_link(
    *,
    person: Person,
    dwelling: Dwelling,
    role: str,
    since: date | None = None,
    lives_here: bool | None = None,
) -> Occupancy:
    """Link a person to a dwelling in a role. Tenants and residents live there; an owner does
    unless told otherwise (`lives_here=False`: a landlord). Where the person lives sets their
    grid, which is what scopes them. Linking twice in the same role returns the current link."""
    if role not in OccupancyRole.values:
        raise InvalidInput(
            _("Unknown role %(role)s.") % {"role": role},
            field_errors={"role": [_("owner, tenant or resident.")]},
        )
    locked = Person.objects.select_for_update().get(pk=person.pk)
    link, _created = Occupancy.objects.get_or_create(
        person=locked,
        dwelling=dwelling,
        role=role,
        until=None,
        defaults={"since": since, "building_id": dwelling.building_id, "grid_id": dwelling.grid_id},
    )
    if lives_here is None or lives_here:
        locked.grid_id = dwelling.grid_id
        locked.save(update_fields=["grid", "updated_at"])
        person.grid_id = dwelling.grid_id
    return link


@transaction.atomic
def occupancy_end(*, occupancy_id: int, until: date) -> Occupancy:
    """End a link (moved out, sold). The person's grid stays until they are linked elsewhere."""
    link = Occupancy.objects.select_for_update().get(pk=occupancy_id)
    if link.until is None:
        if link.since and until < link.since:
            message = _("A link cannot end before it began.")
            raise InvalidInput(message, field_errors={"until": [message]})
        link.until = until
        link.save(update_fields=["until"])
    return link


def key_group_tag(*, person: Person, group: KeyGroup, since: date | None = None) -> None:
    PersonKeyGroup.objects.get_or_create(person=person, group=group, defaults={"since": since})


DEFAULT_KEY_GROUPS = (
    ("elderly_alone", "独居老人", "Aged 60 or more and living alone."),
    ("disabled", "残疾人", "Holds a disability certificate."),
    ("under_care", "低保/特困供养", "Receives minimum living allowance or special care."),
    ("left_behind_child", "留守儿童", "A child whose parents work elsewhere."),
    ("community_correction", "社区矫正", "Under community correction."),
)


def key_groups_seed() -> list[KeyGroup]:
    """The usual key groups, created when missing (then edited in the admin)."""
    groups = []
    for code, name, description in DEFAULT_KEY_GROUPS:
        group, _created = KeyGroup.objects.get_or_create(
            code=code, defaults={"name": name, "description": description}
        )
        groups.append(group)
    return groups

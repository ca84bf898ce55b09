"""A building's resident list to print or to export: only for those who may read the residents
whole (citizens.access), and every person on it logged as read, like any other read."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from citizens.access import PersonView, may_read_whole, may_read_whole_in, persons_read
from citizens.errors import NotPermitted
from citizens.models import Building, Dwelling, Occupancy, OccupancyRole, ReadPurpose
from citizens.selectors import building_residents_qs


@dataclass(frozen=True)
class ResidentRow:
    dwelling: Dwelling
    role: str
    since: date | None
    person: PersonView


def building_residents_export(
    *,
    user: AbstractBaseUser,
    building: Building,
    reason: str,
    request_id: str = "",
    ip: str | None = None,
) -> list[ResidentRow]:
    """Everyone linked to the building now, whole where the user may read them whole (a
    landlord living in another community stays masked), each logged as printed/exported.

    Refused (NotPermitted, nothing logged) unless the user may read whole the persons living
    in the building's grid."""
    if not may_read_whole_in(user, building.grid_id):
        raise NotPermitted(
            _(
                "Only community staff with the permission to see ID numbers whole may print or "
                "export a building's residents, in their own community."
            )
        )
    links: list[Occupancy] = list(building_residents_qs(building))
    persons = {link.person_id: link.person for link in links}
    whole = [p for p in persons.values() if may_read_whole(user, p)]
    masked = [p for p in persons.values() if p.pk not in {w.pk for w in whole}]
    via = {link.person_id: link.grid_id for link in links}
    views: dict[int, PersonView] = {}
    with transaction.atomic():  # the list's log rows: all of them or none
        for group, full in ((whole, True), (masked, False)):
            if group:
                for view in persons_read(
                    user=user,
                    persons=group,
                    purpose=ReadPurpose.EXPORT,
                    reason=reason,
                    full=full,
                    request_id=request_id,
                    ip=ip,
                    via_grids=via,
                ):
                    views[view.id] = view
    return [
        ResidentRow(dwelling=link.dwelling, role=link.role, since=link.since, person=views[p])
        for link in links
        if (p := link.person_id) in views
    ]


def residents_csv(building: Building, rows: list[ResidentRow]) -> str:
    """The list as CSV (UTF-8 with a byte-order mark, so spreadsheet programs read Chinese)."""
    roles = dict(OccupancyRole.choices)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(
        [
            _("Address"),
            _("Entrance unit"),
            _("Floor"),
            _("Room"),
            _("Role"),
            pgettext("a person's", "Name"),
            _("Sex"),
            _("Age"),
            _("ID number"),
            _("Phone"),
            _("Key groups"),
        ]
    )
    for row in rows:
        writer.writerow(
            [
                building.address,
                row.dwelling.unit,
                row.dwelling.floor,
                row.dwelling.room,
                str(roles.get(row.role, row.role)),
                _csv_safe(row.person.name),
                row.person.sex,
                "" if row.person.age is None else row.person.age,
                row.person.id_number,
                row.person.phone,
                " ".join(row.person.key_groups),
            ]
        )
    return out.getvalue()


def _csv_safe(text: str) -> str:
    """A cell a spreadsheet would run as a formula is quoted (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text

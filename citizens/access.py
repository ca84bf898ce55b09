"""Showing a person's record: masked or whole, and never without a row in the access log.

Whoever shows personal data calls `persons_read` with the persons already selected inside the
user's jurisdiction (citizens.selectors); it logs one row per person (who, when, which, how,
why) and returns what may be shown.

Where a person lives is shown only to readers whose area covers it: a landlord reached through
a flat he owns in the reader's grid shows his name and (masked) phone, not his home address or
grid elsewhere.

Who sees an ID number (and phone) whole: community staff (or street officers) posted to a
region that covers the person's grid, who also hold the permission
`citizens.view_full_id_number` (an administrator grants it, through a group, to the few who
need it), and superusers; only on request (`full`) and with a reason. Everyone else with the
person in their jurisdiction sees the first 6 and last 4 characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import PermissionsMixin
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.intake import mask_phone
from citizens import idnumbers
from citizens.errors import InvalidInput, NotPermitted
from citizens.models import Person, PersonAccessLog, PersonKeyGroup
from grids.models import Post, Role
from grids.selectors import Jurisdiction, jurisdiction_for_user

# Posts from which a person's ID number may be read whole (with the permission below).
WHOLE_ID_ROLES = frozenset({Role.COMMUNITY_STAFF, Role.STREET_OFFICER})
WHOLE_ID_PERMISSION = "citizens.view_full_id_number"
REASON_MAX = 255


@dataclass(frozen=True)
class PersonView:
    """What may be shown of a person: the ID number and phone masked unless `masked` is False."""

    id: int
    name: str
    sex: str
    birth_date: date | None  # None when masked: with it the masked number is whole again
    age: int | None
    id_number: str
    phone: str
    registered_address: str
    actual_address: str
    grid_code: str
    key_groups: list[str]
    masked: bool


def _posts(user: AbstractBaseUser) -> list[tuple[str, str]]:
    return list(
        Post.objects.filter(user_id=user.pk, is_active=True, region__isnull=False).values_list(
            "role", "region__code"
        )
    )


def _role_over(posts: list[tuple[str, str]], grid_code: str, roles: frozenset[str] | None) -> str:
    for role, region_code in posts:
        if (roles is None or role in roles) and grid_code.startswith(region_code):
            return role
    return ""


def may_read_whole(user: AbstractBaseUser, person: Person) -> bool:
    """Whether the user may see this person's ID number and phone whole."""
    return may_read_whole_in(user, person.grid_id or "")


def may_read_whole_in(user: AbstractBaseUser, grid_code: str) -> bool:
    """Whether the user may see whole the records of persons living in this grid."""
    if getattr(user, "is_superuser", False):
        return True
    if not grid_code or not _has_whole_permission(user):
        return False
    return bool(_role_over(_posts(user), grid_code, WHOLE_ID_ROLES))


def _has_whole_permission(user: AbstractBaseUser) -> bool:
    return isinstance(user, PermissionsMixin) and user.has_perm(WHOLE_ID_PERMISSION)


def whole_read_roots(user: AbstractBaseUser) -> list[str]:
    """The region codes under which the user may read persons whole ("" for everywhere)."""
    if getattr(user, "is_superuser", False):
        return [""]
    if not _has_whole_permission(user):
        return []
    return sorted({code for role, code in _posts(user) if role in WHOLE_ID_ROLES})


def clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(
            _("Say why you read these records (reason)."),
            field_errors={"reason": [_("This field is required.")]},
        )
    return reason[:REASON_MAX]


def persons_read(
    *,
    user: AbstractBaseUser,
    persons: Sequence[Person],
    purpose: str,
    reason: str,
    full: bool = False,
    request_id: str = "",
    ip: str | None = None,
    now: datetime | None = None,
    via_grids: dict[int, str] | None = None,
    jurisdiction: Jurisdiction | None = None,
) -> list[PersonView]:
    """Log one read per person, then return them masked (or whole, when asked and allowed).

    The persons come from a selector that has checked the jurisdiction. Asking for them whole
    without the right is refused outright (nothing is shown, nothing is logged).

    `via_grids` names, per person id, the grid of the record they were reached through (a
    building's residents include a landlord living elsewhere): the log keeps that grid, and
    the reader's role there, so the auditor of that region sees the read.
    """
    via_grids = via_grids or {}
    reason = clean_reason(reason)
    if full:
        refused = [person.pk for person in persons if not may_read_whole(user, person)]
        if refused:
            raise NotPermitted(
                _(
                    "Only community staff with the permission to see ID numbers whole may "
                    "read them, for the persons of their own community."
                )
            )
    posts = _posts(user)
    grids = [via_grids.get(person.pk) or person.grid_id or "" for person in persons]
    _log(
        user_id=user.pk,
        roles=[_role_over(posts, grid, None) for grid in grids],
        person_ids=[person.pk for person in persons],
        grids=grids,
        common={
            "purpose": purpose,
            "full": full,
            "reason": reason,
            "accessed_at": now or timezone.now(),
            "request_id": request_id[:64],
            "ip": ip or None,
        },
    )
    groups: dict[int, list[str]] = {}
    for person_id, code in PersonKeyGroup.objects.filter(
        person__in=[person.pk for person in persons]
    ).values_list("person_id", "group__code"):
        groups.setdefault(person_id, []).append(code)
    reader = jurisdiction if jurisdiction is not None else jurisdiction_for_user(user)
    return [
        _view(
            person,
            full=full,
            groups=sorted(groups.get(person.pk, [])),
            home_visible=reader.covers_region(person.grid_id or ""),
        )
        for person in persons
    ]


_LOG_FIELDS = (
    "user",
    "role",
    "person",
    "purpose",
    "full",
    "reason",
    "accessed_at",
    "request_id",
    "ip",
)
_LOG_INSERT = """
INSERT INTO {table} ({user}, {role}, {person}, {grid}, {purpose}, {full}, {reason},
                     {accessed_at}, {request_id}, {ip})
SELECT %s, unnest(%s::text[]), unnest(%s::bigint[]), unnest(%s::text[]), %s, %s, %s, %s, %s,
       %s::inet
"""


def _log(
    *,
    user_id: int,
    roles: list[str],
    person_ids: list[int],
    grids: list[str],
    common: dict[str, object],
) -> None:
    """One access-log row per person. On PostgreSQL a single INSERT … SELECT unnest(…): a
    list of a hundred residents is logged for a quarter of what bulk_create costs."""
    if not person_ids:
        return
    if connection.vendor != "postgresql":
        PersonAccessLog.objects.bulk_create(
            [
                PersonAccessLog(
                    user_id=user_id, role=role, person_id=person_id, grid_code=grid, **common
                )
                for role, person_id, grid in zip(roles, person_ids, grids, strict=True)
            ]
        )
        return
    meta = PersonAccessLog._meta
    columns = {name: connection.ops.quote_name(meta.get_field(name).column) for name in _LOG_FIELDS}  # type: ignore[union-attr,arg-type]  # concrete fields only
    columns["grid"] = connection.ops.quote_name(meta.get_field("grid_code").column)  # type: ignore[arg-type]
    sql = _LOG_INSERT.format(table=connection.ops.quote_name(meta.db_table), **columns)
    params = [
        user_id,
        roles,
        person_ids,
        grids,
        common["purpose"],
        common["full"],
        common["reason"],
        common["accessed_at"],
        common["request_id"],
        common["ip"],
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)  # type: ignore[arg-type]


def _age(born: date | None) -> int | None:
    if born is None:
        return None
    today = timezone.localdate()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _view(person: Person, *, full: bool, groups: list[str], home_visible: bool) -> PersonView:
    number = idnumbers.decrypt(person.id_number_encrypted)
    return PersonView(
        id=person.pk,
        name=person.name,
        sex=person.sex,
        birth_date=person.birth_date if full else None,
        age=_age(person.birth_date),
        id_number=number if full else idnumbers.mask(number),
        phone=person.phone if full else mask_phone(person.phone),
        registered_address=person.registered_address,
        # Where they live, only when it lies in the reader's area.
        actual_address=person.actual_address if home_visible else "",
        grid_code=(person.grid_id or "") if home_visible else "",
        key_groups=groups,
        masked=not full,
    )

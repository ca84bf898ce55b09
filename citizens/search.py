"""Finding a place: buildings by address, parcels by name or code, organisations by name.
Never a person: people are reached through a place or by ID number (citizens.selectors).

Matching is a case-insensitive substring test of every word of the query (so "延安二路83",
"83号" and "延安二路 83" all find 延安二路83号), the same SQL on both backends; on PostgreSQL
the trigram GIN indexes of migration 0003 (pg_trgm) answer it without reading the table.

Ranking is portable SQL too, so both backends give the same answers in the same order:
the whole text equal to the query first, then texts that start with it, then matches at a
clean position, then the rest ("83号" in 延安二路183号 is a match after a digit: another
number, ranked last); within a rank, shorter texts first (closer to what was typed), then the
kind (building, parcel, organisation), then the id. No collation is involved.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.contrib.gis.db.models.functions import PointOnSurface
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Greatest, Length, StrIndex, Substr, Upper
from django.utils.translation import gettext as _

from citizens.errors import InvalidInput
from citizens.models import Building, Organisation
from citizens.places import parcels_for
from citizens.selectors import AnyUser, registry_jurisdiction
from grids.selectors import Jurisdiction

QUERY_MIN = 2
QUERY_MAX = 100
DEFAULT_LIMIT = 10
MAX_LIMIT = 50

KIND_ORDER = {"building": 0, "parcel": 1, "organisation": 2}
_DIGITS = [str(digit) for digit in range(10)]
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Hit:
    kind: str
    id: int
    label: str
    detail: str
    lon: float
    lat: float
    grid_code: str
    building_id: int | None
    rank: int
    length: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "label": self.label,
            "detail": self.detail,
            "lon": self.lon,
            "lat": self.lat,
            "grid_code": self.grid_code,
            "building_id": self.building_id,
        }


def normalise_query(text: str) -> list[str]:
    """The words of the query: NFKC (full-width digits and letters become ASCII), upper
    case, split on white space. Raises InvalidInput when too short or too long."""
    cleaned = _SPACE.sub(" ", unicodedata.normalize("NFKC", text or "")).strip()
    if len(cleaned.replace(" ", "")) < QUERY_MIN:
        message = _("Type at least %(n)s characters.") % {"n": QUERY_MIN}
        raise InvalidInput(message, field_errors={"q": [message]})
    if len(cleaned) > QUERY_MAX:
        message = _("At most %(n)s characters.") % {"n": QUERY_MAX}
        raise InvalidInput(message, field_errors={"q": [message]})
    return cleaned.upper().split(" ")


def _matches(words: list[str], fields: tuple[str, ...]) -> Q:
    """Every word in one of the fields (icontains: UPPER(col) LIKE UPPER('%word%'))."""
    query = Q()
    for word in words:
        one = Q()
        for name in fields:
            one |= Q(**{f"{name}__icontains": word})
        query &= one
    return query


def _ranked(qs: QuerySet, text: Any, words: list[str], limit: int) -> QuerySet:
    """Order by rank: 0 the whole text equals the query, 1 it starts with the first word,
    2 a clean match, 3 the first word after a digit (part of a longer number) or not in this
    text at all (matched in another field); then shorter texts first, then the id."""
    qs = qs.annotate(_text=Upper(text))
    qs = qs.annotate(
        length=Length("_text"),
        **{f"_pos{i}": StrIndex("_text", Value(word)) for i, word in enumerate(words)},
    )
    whens = [
        When(Q(_text=" ".join(words)), then=Value(0)),
        When(Q(_pos0=0), then=Value(3)),
    ]
    for i, word in enumerate(words):
        if word[0].isdigit():  # a number inside a longer one: "83" in "183"
            before = Substr("_text", Greatest(F(f"_pos{i}") - 1, Value(1)), 1)
            qs = qs.annotate(**{f"_before{i}": before})
            whens.append(When(Q(**{f"_pos{i}__gt": 1, f"_before{i}__in": _DIGITS}), then=Value(3)))
    whens.append(When(Q(_pos0=1), then=Value(1)))
    rank = Case(*whens, default=Value(2), output_field=IntegerField())
    return qs.annotate(rank=rank).order_by("rank", "length", "pk")[:limit]


def _scope(qs: QuerySet, jurisdiction: Jurisdiction) -> QuerySet:
    return qs.filter(jurisdiction.region_filter("grid__code"))


def places_search(user: AnyUser, query: str, *, limit: int = DEFAULT_LIMIT) -> list[Hit]:
    """Buildings, parcels and organisations in the user's jurisdiction matching the query,
    best first. No person is ever searched (names, representatives and phones are not)."""
    words = normalise_query(query)
    limit = max(1, min(limit, MAX_LIMIT))
    jurisdiction = registry_jurisdiction(user)
    if not (jurisdiction.everything or jurisdiction.region_codes):
        return []
    hits: list[Hit] = []

    buildings = (
        _scope(Building.objects.filter(_matches(words, ("address", "name"))), jurisdiction)
        .annotate(spot=PointOnSurface("footprint"))
        .only("pk", "code", "address", "name", "grid_id")
    )
    for row in _ranked(buildings, F("address"), words, limit):
        label = f"{row.address}（{row.name}）" if row.name else row.address
        hits.append(_hit("building", row, label, row.code, row.pk))

    parcels = parcels_for(jurisdiction).filter(_matches(words, ("name", "code")))
    parcels = parcels.annotate(spot=PointOnSurface("geom")).only("pk", "code", "name", "grid_id")
    # A parcel without a name goes by its code, and is ranked by it.
    label = Case(When(name="", then=F("code")), default=F("name"))
    for row in _ranked(parcels, label, words, limit):
        hits.append(_hit("parcel", row, row.name or row.code, row.code, None))

    organisations = (
        _scope(Organisation.objects.filter(_matches(words, ("name",))), jurisdiction)
        .annotate(spot=PointOnSurface("building__footprint"), address=F("building__address"))
        .only("pk", "name", "grid_id", "building_id")
    )
    for row in _ranked(organisations, F("name"), words, limit):
        hits.append(_hit("organisation", row, row.name, row.address, row.building_id))

    hits.sort(key=lambda hit: (hit.rank, hit.length, KIND_ORDER[hit.kind], hit.id))
    return hits[:limit]


def _hit(kind: str, row: Any, label: str, detail: str, building_id: int | None) -> Hit:
    return Hit(
        kind=kind,
        id=row.pk,
        label=label,
        detail=detail,
        lon=round(row.spot.x, 6),
        lat=round(row.spot.y, 6),
        grid_code=row.grid_id,
        building_id=building_id,
        rank=row.rank,
        length=row.length,
    )

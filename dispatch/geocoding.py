"""Finding a place by what a caller says: the intake desk's address search.

`settings.GEOCODER` names the geocoder: a dotted path to a callable

    geocode(query: str, *, user, limit: int) -> list[dict]

returning at most `limit` places, best first, each a dict with `label` (what to show and put
in the address), `lon` and `lat` (WGS84) and `kind` (what sort of place: "building",
"street", "poi", …); `detail` (a second line) is optional. A deployment plugs in its city's
address service (a 天地图 or in-house geocoder) this way.

The default, `registry_geocode`, does what the desk did on its own: the names of the streets
and communities, then the registry's buildings, parcels and organisations, all in the user's
jurisdiction.

`geocode` runs the configured one and keeps only well-formed places; a geocoder that fails
raises GeocoderUnavailable (a 503 from the API, never a 500).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.db.models.functions import PointOnSurface
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from citizens.search import normalise_query, places_search
from config.api import ServiceError
from grids.models import Level
from grids.selectors import regions_for_user_qs

logger = logging.getLogger(__name__)

DEFAULT_GEOCODER = "dispatch.geocoding.registry_geocode"
DEFAULT_LIMIT = 10
MAX_LIMIT = 30
# Region names lead the list (a caller often names only the street or community), at most these.
REGION_HITS = 4

Place = dict[str, Any]
Geocoder = Callable[..., list[Place]]


class GeocoderUnavailable(ServiceError):
    """The configured geocoder failed (down or misconfigured): a 503 with this code."""

    code = "geocoder_unavailable"
    http_status = 503


def registry_geocode(
    query: str, *, user: AbstractBaseUser | AnonymousUser, limit: int = DEFAULT_LIMIT
) -> list[Place]:
    """Streets' and communities' names, then the registry's places, in the user's view."""
    words = normalise_query(query)
    regions = regions_for_user_qs(user).filter(level__in=[Level.STREET, Level.COMMUNITY])
    for word in words:
        regions = regions.filter(name__icontains=word)
    found: list[Place] = [
        {
            "label": region.name,
            "detail": region.code,
            "kind": region.level,
            "lon": round(region.spot.x, 6),
            "lat": round(region.spot.y, 6),
        }
        for region in regions.annotate(spot=PointOnSurface("geom"))
        .only("code", "name", "level")
        .order_by("level", "code")[: min(REGION_HITS, limit)]
    ]
    for hit in places_search(user, query, limit=limit):
        found.append(
            {
                "label": hit.label,
                "detail": hit.detail,
                "kind": hit.kind,
                "lon": hit.lon,
                "lat": hit.lat,
            }
        )
    return found[:limit]


def geocoder() -> Geocoder:
    path = getattr(settings, "GEOCODER", "") or DEFAULT_GEOCODER
    return import_string(path)


def _place(raw: Any) -> Place | None:
    """A well-formed place from what a geocoder returned, or None."""
    if not isinstance(raw, dict):
        return None
    try:
        lon, lat = float(raw["lon"]), float(raw["lat"])
    except (KeyError, TypeError, ValueError):
        return None
    label = str(raw.get("label") or "").strip()
    if not label or not (math.isfinite(lon) and math.isfinite(lat)):
        return None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return None
    return {
        "label": label[:255],
        "detail": str(raw.get("detail") or "")[:255],
        "kind": str(raw.get("kind") or "place")[:32],
        "lon": lon,
        "lat": lat,
    }


def geocode(
    query: str, *, user: AbstractBaseUser | AnonymousUser, limit: int = DEFAULT_LIMIT
) -> list[Place]:
    """The configured geocoder's places for the query, well-formed ones only, at most `limit`.

    Raises the project's InvalidInput for a query too short or too long (checked here, the
    same for every geocoder), GeocoderUnavailable when the geocoder fails.
    """
    normalise_query(query)
    limit = max(1, min(limit, MAX_LIMIT))
    try:
        found = geocoder()(query, user=user, limit=limit)
        rows = list(found or [])
    except ServiceError:
        raise  # said on purpose, with its own code and status
    except Exception as exc:  # a plugged-in service may fail any way
        logger.warning("geocoder failed for a %d-character query: %r", len(query), exc)
        raise GeocoderUnavailable(
            _("The address search is not available now; click the map instead.")
        ) from exc
    places = [place for place in map(_place, rows) if place is not None]
    if len(places) < len(rows):
        logger.warning("geocoder returned %d malformed places", len(rows) - len(places))
    return places[:limit]

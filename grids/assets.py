"""City components (部件, GB/T 30428.2): who may see which, the nearest ones, those in a box.

An asset's 16-digit code is 6 admin + 2 major + 2 minor + 6 serial (DOMAIN.md §2); a
catalogue item of the component family carries the same major and minor class, which is how
a report about "路灯" (B011801) finds the street lamps (major 01, minor 18) around its point.
"""

from __future__ import annotations

import re

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.geos import Point
from django.db import connection
from django.db.models import F, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _

from grids.emergency import Near, nearest
from grids.geo import Box, bbox_polygon
from grids.models import Asset
from grids.selectors import jurisdiction_for_user

ASSET_CODE = re.compile(r"^[0-9]{16}$")
ASSET_CLASS = re.compile(r"^[0-9]{4}$")
MAX_ASSETS_IN_BOX = 5000
# Asset.status is free text from the source data; the common values have words.
ASSET_STATUS_LABELS = {
    "in_use": _("In use"),
    "damaged": _("Damaged"),
    "under_repair": _("Under repair"),
    "removed": _("Removed"),
}


def asset_status_label(status: str) -> str:
    return str(ASSET_STATUS_LABELS.get(status, status))


def asset_class_of_code(code: str) -> str:
    """The 4-digit class (major + minor) inside a 16-digit asset code."""
    return code[6:10]


def assets_for_user_qs(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Asset]:
    """Assets in the regions the user may see on the map (staff only; citizens see none)."""
    jurisdiction = jurisdiction_for_user(user)
    if not (jurisdiction.everything or jurisdiction.roles):
        return Asset.objects.none()
    return Asset.objects.filter(jurisdiction.map_region_filter("grid__code"))


def filter_asset_class(qs: QuerySet[Asset], asset_class: str | None) -> QuerySet[Asset]:
    """Only assets of one 4-digit class (major + minor), when given."""
    if not asset_class:
        return qs
    return qs.filter(major_class=asset_class[:2], minor_class=asset_class[2:])


def with_asset_refs(qs: QuerySet[Asset]) -> QuerySet[Asset]:
    """The grid's code as a column and the maintenance unit joined: select_related on the grid
    would also parse its boundary for every asset."""
    return qs.annotate(grid_code=F("grid__code")).select_related("maintenance_unit")


def assets_nearest(qs: QuerySet[Asset], point: Point, n: int) -> list[Near]:
    """The n assets of qs nearest to point, in geodesic metres, nearest first."""
    return nearest(with_asset_refs(qs), point, n)


def assets_in_bbox(qs: QuerySet[Asset], box: Box) -> tuple[list[Asset], bool]:
    """Assets of qs inside the box, at most MAX_ASSETS_IN_BOX (by code), and whether there
    were more."""
    if connection.vendor == "sqlite":
        qs = qs.filter(
            pk__in=RawSQL(
                "SELECT rowid FROM SpatialIndex WHERE f_table_name = %s "
                "AND f_geometry_column = %s AND search_frame = BuildMbr(%s, %s, %s, %s, 4326)",
                (Asset._meta.db_table, "point", *box),
            )
        )
    rows = list(
        with_asset_refs(qs.filter(point__intersects=bbox_polygon(box))).order_by("code")[
            : MAX_ASSETS_IN_BOX + 1
        ]
    )
    return rows[:MAX_ASSETS_IN_BOX], len(rows) > MAX_ASSETS_IN_BOX

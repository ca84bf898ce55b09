"""Reads over the map and the org chart: locating a point, and who may see what.

`locate` is on every report's hot path, so it asks the database for the one grid under a
point through the spatial index on both backends (PostGIS does that by itself; SpatiaLite
needs the SpatialIndex virtual table spelled out).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.geos import Point
from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from grids.models import Level, Post, Region, Role, Unit, UnitKind


class LocateError(ValueError):
    """The point cannot be placed in a grid."""


class OutsideDistrictError(LocateError):
    """The point lies outside every grid of the district."""


@dataclass(frozen=True)
class Location:
    grid: Region
    community: Region
    street: Region
    district: Region

    def as_dict(self) -> dict[str, dict[str, str]]:
        return {
            level: {"code": region.code, "name": region.name, "kind": region.kind}
            for level, region in (
                ("grid", self.grid),
                ("community", self.community),
                ("street", self.street),
                ("district", self.district),
            )
        }


def _spatialite_index_filter(point: Point) -> Q:
    # SpatiaLite's R*Tree is only consulted through the SpatialIndex virtual table; without
    # this the Intersects() filter scans every region.
    return Q(
        pk__in=RawSQL(
            "SELECT rowid FROM SpatialIndex WHERE f_table_name = %s "
            "AND f_geometry_column = %s AND search_frame = MakePoint(%s, %s, 4326)",
            (Region._meta.db_table, "geom", point.x, point.y),
        )
    )


def _as_wgs84(point: Point) -> Point:
    if point.srid is None:
        return Point(point.x, point.y, srid=4326)
    if point.srid != 4326:
        return point.transform(4326, clone=True)  # type: ignore[return-value]  # a Point
    return point


def grids_at_point_qs(point: Point) -> QuerySet[Region]:
    """Grids whose boundary contains or touches the point (one, or a few on shared edges).

    Deliberately unordered: with ORDER BY code the planner walks the code index and tests
    every grid in turn instead of asking the spatial index.
    """
    point = _as_wgs84(point)
    qs = Region.objects.filter(level=Level.GRID, geom__intersects=point)
    if connection.vendor == "sqlite":
        qs = qs.filter(_spatialite_index_filter(point))
    return qs.order_by()


def locate(point: Point) -> Location:
    """The unit or extended grid at a WGS84 point, and its chain up to the district.

    A point on an edge or vertex shared by several grids belongs to the one with the lowest
    code, so the answer is the same every time. Raises OutsideDistrictError when no grid
    covers the point.
    """
    point = _as_wgs84(point)
    if not (-180 <= point.x <= 180 and -90 <= point.y <= 90):
        raise LocateError(
            _("Coordinates out of range: longitude %(x)s, latitude %(y)s.")
            % {
                "x": point.x,
                "y": point.y,
            }
        )
    # The chain's outlines are not needed once the grid is found (a district's is large).
    candidates = list(
        grids_at_point_qs(point)
        .select_related("parent__parent__parent")
        .defer("geom", "parent__geom", "parent__parent__geom", "parent__parent__parent__geom")
    )
    grid = min(candidates, key=lambda region: region.code, default=None)
    if grid is None:
        raise OutsideDistrictError(
            _("The point (%(x).6f, %(y).6f) lies outside the district.")
            % {"x": point.x, "y": point.y}
        )
    community = grid.parent
    street = community.parent if community else None
    district = street.parent if street else None
    if community is None or street is None or district is None:  # pragma: no cover - DB CHECK
        raise LocateError(_("Grid %(code)s is not attached to a full chain.") % {"code": grid.code})
    return Location(grid=grid, community=community, street=street, district=district)


# --- Jurisdiction ---------------------------------------------------------------------------

# Roles whose region post reaches everything in the deployment.
ALL_SEEING_ROLES = frozenset({Role.DISTRICT_LEADER, Role.ADMINISTRATOR})


@dataclass(frozen=True)
class Jurisdiction:
    """What a user may see and act for, derived from their active posts.

    region_codes are subtree roots: a region (or a case located in one) is inside when its
    code starts with one of them. unit_ids are the units the user acts for.
    """

    everything: bool = False
    region_codes: frozenset[str] = field(default_factory=frozenset)
    unit_ids: frozenset[int] = field(default_factory=frozenset)
    roles: frozenset[str] = field(default_factory=frozenset)
    # Regions a unit's handlers may view on the map (the unit's own region subtree); it
    # does not widen which cases they see.
    map_region_codes: frozenset[str] = field(default_factory=frozenset)
    # Regions whose personal-data access logs an auditor reads; an auditor's post grants
    # nothing else (no cases, no persons).
    audit_region_codes: frozenset[str] = field(default_factory=frozenset)

    def covers_region(self, code: str) -> bool:
        return self.everything or any(code.startswith(root) for root in self.region_codes)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def region_filter(self, field_name: str = "code") -> Q:
        """A Q on a region-code column selecting this jurisdiction (nothing when empty)."""
        return _prefix_filter(self.region_codes, field_name, everything=self.everything)

    def map_region_filter(self, field_name: str = "code") -> Q:
        """Regions this user may see on the map: their subtrees, their units' subtrees, and
        the ancestors of both (so an inspector still sees the outline of their district)."""
        roots = self.region_codes | self.map_region_codes
        below = _prefix_filter(roots, field_name, everything=self.everything)
        if self.everything:
            return below
        ancestors = {root[:n] for root in roots for n in (6, 9, 12) if n < len(root)}
        return below | Q(**{f"{field_name}__in": sorted(ancestors)})


def _prefix_filter(roots: frozenset[str], field_name: str, *, everything: bool) -> Q:
    if everything:
        return Q()
    query = Q(pk__in=[])
    # Drop roots already inside another root: fewer ORs, same set.
    for root in sorted(roots):
        if not any(root != other and root.startswith(other) for other in roots):
            query |= Q(**{f"{field_name}__startswith": root})
    return query


NO_JURISDICTION = Jurisdiction()


# An API request marks its user (a fresh object per request, from the token or key) with this
# attribute: the user's posts are then read once per request, however many guards ask.
PER_REQUEST = "_posts_per_request"
_POSTS_MEMO = "_active_posts_memo"


def active_posts(user: AbstractBaseUser | AnonymousUser) -> list[Post]:
    """The user's active posts with their regions and units (without the regions' outlines).

    Read once per API request (see PER_REQUEST); otherwise on every call, so that code
    holding a user object for long still sees posts change."""
    memo = user.__dict__.get(_POSTS_MEMO)
    if memo is not None:
        return memo
    if user.pk is None:  # anonymous: no posts, no query
        return []
    posts = list(
        Post.objects.filter(user_id=user.pk, is_active=True)
        .select_related("region", "unit__region")
        .defer("region__geom", "unit__region__geom")
    )
    if user.__dict__.get(PER_REQUEST):
        user.__dict__[_POSTS_MEMO] = posts
    return posts


def jurisdiction_for_user(user: AbstractBaseUser | AnonymousUser) -> Jurisdiction:
    """The regions and units a user may see and act for, from their active posts.

    - superusers, district leaders and administrators: everything;
    - inspectors: their grids; community staff: their community; street officers: their
      street and its street office; intake operators, shift supervisors and dispatchers:
      the subtree of the command centre they sit in (district or street);
    - unit handlers: their unit (and its region for the map);
    - auditors: nothing but the access logs of their region (audit_region_codes).
    """
    if not user.is_authenticated or not user.is_active:
        return NO_JURISDICTION
    posts = active_posts(user)
    roles = frozenset(post.role for post in posts)
    if getattr(user, "is_superuser", False) or roles & ALL_SEEING_ROLES:
        return Jurisdiction(everything=True, roles=roles)
    region_codes: set[str] = set()
    unit_ids: set[int] = set()
    map_codes: set[str] = set()
    audit_codes: set[str] = set()
    for post in posts:
        if post.role == Role.AUDITOR and post.region is not None:
            audit_codes.add(post.region.code)
        elif post.role == Role.UNIT_HANDLER and post.unit is not None:
            unit_ids.add(post.unit.pk)
            map_codes.add(post.unit.region.code)
        elif post.region is not None:
            region_codes.add(post.region.code)
    street_codes = [
        post.region.code
        for post in posts
        if post.role == Role.STREET_OFFICER and post.region and post.region.level == Level.STREET
    ]
    if street_codes:
        unit_ids.update(
            Unit.objects.filter(
                kind=UnitKind.STREET_OFFICE, region__code__in=street_codes, is_active=True
            ).values_list("pk", flat=True)
        )
    return Jurisdiction(
        region_codes=frozenset(region_codes),
        unit_ids=frozenset(unit_ids),
        roles=roles,
        map_region_codes=frozenset(map_codes),
        audit_region_codes=frozenset(audit_codes),
    )


def holds_staff_post(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Whether the user is staff: a superuser, or holding an active post (citizens and other
    agencies' service accounts hold none)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if getattr(user, "is_superuser", False):
        return True
    if user.__dict__.get(PER_REQUEST):
        return bool(active_posts(user))
    return Post.objects.filter(user_id=user.pk, is_active=True).exists()


def regions_for_user_qs(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Region]:
    """Regions the user may see on the map."""
    return Region.objects.filter(jurisdiction_for_user(user).map_region_filter())


def unit_member_ids(unit_ids: list[int] | set[int] | tuple[int, ...]) -> set[int]:
    """Active users who act for these units: their handlers, and for a street office the
    officers posted on its street (as in the case workflow's unit scope)."""
    unit_ids = sorted(set(unit_ids))
    if not unit_ids:
        return set()
    street_codes = list(
        Unit.objects.filter(pk__in=unit_ids, kind=UnitKind.STREET_OFFICE).values_list(
            "region__code", flat=True
        )
    )
    posts = Q(role=Role.UNIT_HANDLER, unit_id__in=unit_ids)
    if street_codes:
        posts |= Q(role=Role.STREET_OFFICER, region__code__in=street_codes)
    return set(
        Post.objects.filter(posts, is_active=True, user__is_active=True).values_list(
            "user_id", flat=True
        )
    )

"""Patrol tracks: batches of GPS fixes from inspectors' handhelds, and each inspector's latest
position.

A handheld records a fix every few seconds and uploads them in batches when it has a signal,
retrying a batch after a timeout. `patrol_record` therefore checks each fix on its own (one
bad fix does not cost the batch), skips fixes it already holds (by the device's client id or
device time), inserts the rest in one statement, and moves the inspector's latest position
forward in device time only: a late batch from a tunnel does not put the inspector back.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.geos import Point
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.geo import bbox_polygon
from grids.models import InspectorPosition, Level, PatrolFix, Post, Region, Role, User
from grids.selectors import Jurisdiction, jurisdiction_for_user

MAX_BATCH = 500
# Handheld clocks drift; a fix a little "in the future" is a fix from a fast clock.
MAX_CLOCK_SKEW = timedelta(minutes=10)
# Older fixes are no longer worth a track: the handheld has been offline for a week.
MAX_FIX_AGE = timedelta(days=7)
MAX_CLIENT_ID = 64
# A fix that claims worse accuracy than this is not a position.
MAX_ACCURACY_M = 10_000.0
# Faster than an aircraft: a receiver glitch, not an inspector.
MAX_SPEED_MPS = 350.0


class PatrolBatchTooLarge(ValueError):
    """More fixes in one batch than MAX_BATCH."""


@dataclass(frozen=True)
class FixInput:
    """One fix as the handheld sent it (WGS84 degrees, the device's aware timestamp)."""

    lon: float
    lat: float
    recorded_at: datetime
    accuracy_m: float | None = None
    speed_mps: float | None = None
    client_id: str = ""


@dataclass(frozen=True)
class RejectedFix:
    index: int
    errors: dict[str, list[str]]


@dataclass
class PatrolResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[RejectedFix] = field(default_factory=list)


def inspector_grids_qs(user: User | AnonymousUser) -> QuerySet[Region]:
    """The grids the user patrols: those of their active inspector posts."""
    if not user.is_authenticated or not user.is_active:
        return Region.objects.none()
    return Region.objects.filter(
        level=Level.GRID,
        pk__in=Post.objects.filter(user=user, role=Role.INSPECTOR, is_active=True).values(
            "region_id"
        ),
    ).order_by("code")


def is_inspector(user: User | AnonymousUser) -> bool:
    return (
        user.is_authenticated
        and user.is_active
        and Post.objects.filter(user=user, role=Role.INSPECTOR, is_active=True).exists()
    )


def _finite(value: float | None) -> bool:
    return value is None or math.isfinite(value)


def fix_errors(fix: FixInput, *, now: datetime) -> dict[str, list[str]]:
    """What is wrong with one fix, by field (empty when it is fine)."""
    errors: dict[str, list[str]] = {}
    if not (_finite(fix.lon) and -180 <= fix.lon <= 180):
        errors["lon"] = [_("Longitude must be between -180 and 180.")]
    if not (_finite(fix.lat) and -90 <= fix.lat <= 90):
        errors["lat"] = [_("Latitude must be between -90 and 90.")]
    if timezone.is_naive(fix.recorded_at):
        errors["recorded_at"] = [_("Give the time with its UTC offset.")]
    elif fix.recorded_at > now + MAX_CLOCK_SKEW:
        errors["recorded_at"] = [
            _("The time is more than %(minutes)d minutes in the future.")
            % {"minutes": MAX_CLOCK_SKEW.total_seconds() // 60}
        ]
    elif fix.recorded_at < now - MAX_FIX_AGE:
        errors["recorded_at"] = [
            _("The fix is more than %(days)d days old.") % {"days": MAX_FIX_AGE.days}
        ]
    if fix.accuracy_m is not None and not (
        _finite(fix.accuracy_m) and 0 <= fix.accuracy_m <= MAX_ACCURACY_M
    ):
        errors["accuracy_m"] = [
            _("Accuracy must be between 0 and %(max)d metres.") % {"max": MAX_ACCURACY_M}
        ]
    if fix.speed_mps is not None and not (
        _finite(fix.speed_mps) and 0 <= fix.speed_mps <= MAX_SPEED_MPS
    ):
        errors["speed_mps"] = [
            _("Speed must be between 0 and %(max)d m/s.") % {"max": MAX_SPEED_MPS}
        ]
    if len(fix.client_id) > MAX_CLIENT_ID:
        errors["client_id"] = [_("At most %(n)d characters.") % {"n": MAX_CLIENT_ID}]
    return errors


def patrol_record(
    *,
    user: User,
    fixes: Sequence[FixInput] | Mapping[int, FixInput],
    now: datetime | None = None,
) -> PatrolResult:
    """Store a batch of an inspector's fixes and move their latest position forward.

    `fixes` is the batch, or a mapping from each fix's index in the batch as the client sent
    it (when the caller has already dropped fixes it could not parse) to the fix. Rejections
    name those indexes. A fix already stored, or repeated within the batch, is a duplicate:
    a replayed batch writes nothing.
    """
    if not is_inspector(user):
        raise PermissionDenied(_("Only inspectors upload patrol tracks."))
    indexed = dict(fixes) if isinstance(fixes, Mapping) else dict(enumerate(fixes))
    if len(indexed) > MAX_BATCH:
        raise PatrolBatchTooLarge(
            _("At most %(n)d fixes in one batch.") % {"n": MAX_BATCH},
        )
    now = now or timezone.now()
    result = PatrolResult()
    valid: list[FixInput] = []
    for index in sorted(indexed):
        errors = fix_errors(indexed[index], now=now)
        if errors:
            result.rejected.append(RejectedFix(index=index, errors=errors))
        else:
            valid.append(indexed[index])
    fresh = _drop_known(user, valid)
    with transaction.atomic():
        if fresh:
            # Conflicts still ignored: a concurrent retry of the same batch may have won.
            PatrolFix.objects.bulk_create(
                [
                    PatrolFix(
                        user=user,
                        point=Point(fix.lon, fix.lat, srid=4326),
                        recorded_at=fix.recorded_at,
                        received_at=now,
                        accuracy_m=fix.accuracy_m,
                        speed_mps=fix.speed_mps,
                        client_id=fix.client_id,
                    )
                    for fix in fresh
                ],
                ignore_conflicts=True,
            )
            # Rows written by this call, whatever a concurrent retry did.
            result.accepted = PatrolFix.objects.filter(
                user=user, recorded_at__in=[fix.recorded_at for fix in fresh], received_at=now
            ).count()
            _move_position(user, max(fresh, key=lambda fix: fix.recorded_at), now)
    result.duplicates = len(valid) - result.accepted
    return result


def _drop_known(user: User, fixes: list[FixInput]) -> list[FixInput]:
    """The fixes neither stored already nor repeated earlier in the batch."""
    if not fixes:
        return []
    client_ids = {fix.client_id for fix in fixes if fix.client_id}
    known_ids = set(
        PatrolFix.objects.filter(user=user, client_id__in=sorted(client_ids)).values_list(
            "client_id", flat=True
        )
        if client_ids
        else ()
    )
    known_times = set(
        PatrolFix.objects.filter(
            user=user, recorded_at__in=[fix.recorded_at for fix in fixes]
        ).values_list("recorded_at", flat=True)
    )
    fresh = []
    for fix in fixes:
        if fix.recorded_at in known_times or (fix.client_id and fix.client_id in known_ids):
            continue
        known_times.add(fix.recorded_at)
        if fix.client_id:
            known_ids.add(fix.client_id)
        fresh.append(fix)
    return fresh


def _move_position(user: User, fix: FixInput, now: datetime) -> None:
    values = {
        "point": Point(fix.lon, fix.lat, srid=4326),
        "recorded_at": fix.recorded_at,
        "accuracy_m": fix.accuracy_m,
        "updated_at": now,
    }
    # The condition in the UPDATE is the guard: two batches racing cannot move it back.
    forward = InspectorPosition.objects.filter(user=user, recorded_at__lt=fix.recorded_at)
    if forward.update(**values):
        return
    _position, created = InspectorPosition.objects.get_or_create(user=user, defaults=values)
    if not created:
        # Either it is newer already (nothing to do), or a concurrent first batch created it
        # between our UPDATE and INSERT: try once more.
        forward.update(**values)


def inspector_position_get(user: User) -> InspectorPosition | None:
    """The user's latest known position, if they ever uploaded a fix."""
    return InspectorPosition.objects.filter(user=user).first()


# Who may watch inspectors move: the command centre and the officers above the grids. An
# inspector sees their own position through me/ on the handheld, not the others'.
POSITION_VIEWER_ROLES = frozenset(
    {
        Role.INTAKE_OPERATOR,
        Role.SHIFT_SUPERVISOR,
        Role.DISPATCHER,
        Role.STREET_OFFICER,
        Role.COMMUNITY_STAFF,
        Role.DISTRICT_LEADER,
        Role.ADMINISTRATOR,
    }
)


def inspector_positions_qs(jurisdiction: Jurisdiction) -> QuerySet[InspectorPosition]:
    """Latest positions of the active inspectors posted inside a jurisdiction, for those who
    direct them (POSITION_VIEWER_ROLES; nothing for anyone else).

    An inspector is inside when one of their active inspector posts is on a region in the
    viewer's subtrees (where they stand does not matter: a grid's inspector who walks into
    the next street is still theirs).
    """
    return InspectorPosition.objects.filter(
        user__in=directed_inspectors_qs(jurisdiction), user__is_active=True
    )


@dataclass(frozen=True)
class GridInspector:
    name: str
    last_fix_at: datetime | None


def grid_inspectors(grid_code: str) -> list[GridInspector]:
    """The active inspectors posted on one grid, by username, with when their position was
    last heard (the map's grid card; no position is given away)."""
    posts = list(
        Post.objects.filter(
            role=Role.INSPECTOR, is_active=True, region__code=grid_code, user__is_active=True
        )
        .select_related("user")
        .order_by("user__username")
    )
    seen = dict(
        InspectorPosition.objects.filter(user_id__in=[p.user_id for p in posts]).values_list(
            "user_id", "recorded_at"
        )
    )
    return [
        GridInspector(
            name=post.user.get_full_name() or post.user.get_username(),
            last_fix_at=seen.get(post.user_id),
        )
        for post in posts
    ]


def directed_inspectors_qs(jurisdiction: Jurisdiction) -> QuerySet[User]:
    """The active inspectors with an active inspector post inside the jurisdiction, for those
    who direct them (POSITION_VIEWER_ROLES; nobody for anyone else): whose positions and
    tracks they may see."""
    if not (jurisdiction.everything or jurisdiction.has_role(*POSITION_VIEWER_ROLES)):
        return User.objects.none()
    posts = Post.objects.filter(
        jurisdiction.region_filter("region__code"), role=Role.INSPECTOR, is_active=True
    )
    return User.objects.filter(pk__in=posts.values("user"), is_active=True)


def inspector_positions_for_user_qs(
    user: User | AnonymousUser,
    *,
    fresh_since: datetime | None = None,
    bbox: tuple[float, float, float, float] | None = None,
) -> QuerySet[InspectorPosition]:
    """inspector_positions_qs for the user's jurisdiction, newest first; `fresh_since` drops
    positions recorded before it, `bbox` those outside the box."""
    positions = inspector_positions_qs(jurisdiction_for_user(user))
    if fresh_since is not None:
        positions = positions.filter(recorded_at__gte=fresh_since)
    if bbox is not None:
        positions = positions.filter(point__within=bbox_polygon(bbox))
    return positions.select_related("user").order_by("-recorded_at", "pk")


# --- the inspector's own track ------------------------------------------------------------------

EARTH_RADIUS_M = 6_371_008.8  # mean radius: a walk's length to within a fraction of a percent
# A fix this imprecise (a phone indoors, a cell-tower guess) is kept but not walked.
TRACK_MAX_ACCURACY_M = 100.0
MAX_TRACK_FIXES = 20_000


def great_circle_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """The distance between two WGS84 points in metres (haversine on the mean sphere)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlam = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlam / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class TrackFix:
    lon: float
    lat: float
    recorded_at: datetime
    accuracy_m: float | None


@dataclass(frozen=True)
class Track:
    """A user's fixes of one local day, oldest first, and the distance walked through them."""

    day_start: datetime
    fixes: list[TrackFix]
    distance_m: float
    truncated: bool


def patrol_track(*, user: User, day_start: datetime) -> Track:
    """The user's own fixes from day_start for 24 hours (device time), and their length.

    Fixes less precise than TRACK_MAX_ACCURACY_M are listed but do not add distance.
    """
    rows = list(
        PatrolFix.objects.filter(
            user=user, recorded_at__gte=day_start, recorded_at__lt=day_start + timedelta(days=1)
        )
        .order_by("recorded_at")
        .values_list("point", "recorded_at", "accuracy_m")[: MAX_TRACK_FIXES + 1]
    )
    truncated = len(rows) > MAX_TRACK_FIXES
    fixes = [
        TrackFix(lon=point.x, lat=point.y, recorded_at=at, accuracy_m=accuracy)
        for point, at, accuracy in rows[:MAX_TRACK_FIXES]
    ]
    distance = 0.0
    previous: TrackFix | None = None
    for fix in fixes:
        if fix.accuracy_m is not None and fix.accuracy_m > TRACK_MAX_ACCURACY_M:
            continue
        if previous is not None:
            distance += great_circle_m(previous.lon, previous.lat, fix.lon, fix.lat)
        previous = fix
    return Track(day_start=day_start, fixes=fixes, distance_m=distance, truncated=truncated)

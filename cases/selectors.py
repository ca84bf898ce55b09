"""The only code that lists cases for a user: everything starts from case_qs_for_user."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.contrib.gis.geos import Point
from django.contrib.gis.measure import D
from django.db.models import BigIntegerField, Q, QuerySet
from django.db.models.functions import Cast
from django.utils.translation import gettext as _
from guardian.models import UserObjectPermission

from cases.errors import CaseNotFound
from cases.models import OPEN_STATUSES, Attachment, Case, CaseEvent, Item
from grids.selectors import Jurisdiction, jurisdiction_for_user

CO_HANDLE_PERMISSION = "co_handle_case"


def _exception_case_ids(user: AbstractBaseUser) -> QuerySet:
    """Cases granted to this user one by one (co-handling, delegation) through guardian.

    Only this user's rows are read; never get_objects_for_user over the whole case table.
    """
    return (
        UserObjectPermission.objects.filter(
            user_id=user.pk,
            content_type=ContentType.objects.get_for_model(Case),
            permission__codename=CO_HANDLE_PERMISSION,
        )
        .annotate(case_pk=Cast("object_pk", BigIntegerField()))
        .values("case_pk")
    )


def case_filter_for(user: AbstractBaseUser, jurisdiction: Jurisdiction) -> Q:
    """The Q behind case_qs_for_user, for callers that already hold the jurisdiction."""
    if jurisdiction.everything:
        return Q()
    visible = jurisdiction.region_filter("grid__code")
    if jurisdiction.unit_ids:
        visible |= Q(handling_unit_id__in=sorted(jurisdiction.unit_ids))
    if jurisdiction.roles:
        # Staff keep the cases they reported (an inspector moved to another grid still sees
        # how their reports ended). Citizens and agencies' service accounts hold no post: they
        # follow their reports through the citizen API's public timeline, never this one.
        visible |= Q(reporter_id=user.pk)
    visible |= Q(pk__in=_exception_case_ids(user))
    return visible


def case_qs_for_user(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Case]:
    """Cases the user may see.

    Inspectors: their grids. Community, street and district staff: their subtree. Units:
    the cases assigned to them. Leaders: all. Staff with a post: the cases they reported
    themselves. Everyone: the cases granted to them one by one (co-handling, delegation).
    Citizens see none here: their reports are read through citizens.reports.
    """
    if not user.is_authenticated:
        return Case.objects.none()
    return Case.objects.filter(case_filter_for(user, jurisdiction_for_user(user)))


def case_get_for_user(user: AbstractBaseUser | AnonymousUser, case_id: int) -> Case:
    """The case, or CaseNotFound (a 404) when it does not exist or lies outside the user's view."""
    case = case_qs_for_user(user).filter(pk=case_id).first()
    if case is None:
        raise CaseNotFound(_("No case %(id)s in your jurisdiction.") % {"id": case_id})
    return case


def case_events(case: Case) -> QuerySet[CaseEvent]:
    """The case's events. None is older than the case's report (the services stamp both with
    the same clock), and saying so lets PostgreSQL skip the months before it (events are
    partitioned by month: 10 ms → a few over ten years of partitions)."""
    return (
        case.events.filter(created_at__gte=case.reported_at)
        .select_related("actor", "handling_unit")
        .prefetch_related("attachments")
    )


def duplicate_candidates(
    *, item: Item, point: Point, at: object, exclude_case_id: int | None = None, limit: int = 10
) -> list[Case]:
    """Open cases of the same item within the item's radius and time window, nearest first."""
    radius_m = item.duplicate_radius_m
    window = timedelta(hours=item.duplicate_window_hours)
    # A degree box around the point lets the spatial index do the first cut; the metre
    # distance then decides (1° of latitude ≈ 111 km; longitude shrinks with cos(lat)).
    pad = radius_m / 111_000 * 2
    qs = Case.objects.filter(
        item=item,
        status__in=sorted(OPEN_STATUSES),
        reported_at__gte=at - window,  # type: ignore[operator]
        reported_at__lte=at + window,  # type: ignore[operator]
        point__bboverlaps=Point(point.x, point.y, srid=4326).buffer(pad),
        point__distance_lte=(point, D(m=radius_m)),
    )
    if exclude_case_id is not None:
        qs = qs.exclude(pk=exclude_case_id)
    candidates = list(qs[:200])
    candidates.sort(key=lambda case: case.point.distance(point))
    return candidates[:limit]


def attachment_get_for_user(
    user: AbstractBaseUser | AnonymousUser, attachment_id: int
) -> Attachment:
    """A photo the user may see: their own upload (a citizen's report photos), or one on a case
    they can see; else 404."""
    if not user.is_authenticated:
        raise CaseNotFound(_("No photo %(id)s.") % {"id": attachment_id})
    attachment = (
        Attachment.objects.filter(pk=attachment_id)
        .filter(Q(uploaded_by=user) | Q(case__in=case_qs_for_user(user)))
        .first()
    )
    if attachment is None:
        raise CaseNotFound(_("No photo %(id)s.") % {"id": attachment_id})
    return attachment

"""The registry API: linked queries both ways inside the user's jurisdiction. Every response
that shows a person needs a reason and logs the read (citizens.access); a record outside the
jurisdiction is a 404. Parse, call a selector and persons_read, render."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import django_filters
from django.contrib.gis.geos import GEOSGeometry
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from cases.api.cases import IdFilter
from citizens import idnumbers
from citizens.access import PersonView, persons_read
from citizens.api.registry_serializers import (
    AccessLogSerializer,
    BuildingDetailSerializer,
    DwellingDetailSerializer,
    KeyGroupCountSerializer,
    LinkOutSerializer,
    LookupSerializer,
    ParcelDetailSerializer,
    PersonDetailSerializer,
    PersonOutSerializer,
    ReasonQuerySerializer,
)
from citizens.errors import InvalidInput, RecordNotFound
from citizens.models import Occupancy, Person, PersonAccessLog, ReadPurpose
from citizens.selectors import (
    access_log_for_user,
    building_dwellings,
    building_get_for_user,
    building_residents_qs,
    dwelling_get_for_user,
    dwelling_people_qs,
    grid_get_for_user,
    key_group_counts,
    key_group_get,
    key_group_members_qs,
    parcel_buildings,
    parcel_get_for_user,
    parcel_residents_qs,
    person_chain,
    person_find_by_hash,
    person_get_for_user,
    region_chain,
    registry_jurisdiction,
)
from config.api import error_responses
from grids.selectors import Jurisdiction

# Misses of the ID-number lookup (a record read is logged in PersonAccessLog instead).
security_log = logging.getLogger("citizens.security")


_errors = error_responses  # config.api


def _reason_query(request: Request) -> dict[str, Any]:
    query = ReasonQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    return dict(query.validated_data)


def _read(
    request: Request,
    persons: Iterable[Person],
    *,
    purpose: str,
    reason: str,
    full: bool,
    via_grids: dict[int, str] | None = None,
    jurisdiction: Jurisdiction | None = None,
) -> dict[int, PersonView]:
    """Log and render the persons (each once, however many links they have here)."""
    unique = list({person.pk: person for person in persons}.values())
    views = persons_read(
        user=request.user,
        persons=unique,
        purpose=purpose,
        reason=reason,
        full=full,
        request_id=request.META.get("HTTP_X_REQUEST_ID", "")[:64],
        ip=request.META.get("REMOTE_ADDR") or None,
        via_grids=via_grids,
        jurisdiction=jurisdiction,
    )
    return {view.id: view for view in views}


def _links(links: list[Occupancy], views: dict[int, PersonView]) -> list[dict[str, Any]]:
    return [
        {
            "id": link.pk,
            "role": link.role,
            "since": link.since,
            "until": link.until,
            "dwelling": link.dwelling,
            "person": views[link.person_id].__dict__,
        }
        for link in links
    ]


def _spot(geom: GEOSGeometry) -> dict[str, float]:
    """A point on the shape, for the map (the centroid of an L-shaped footprint is not)."""
    point = geom.point_on_surface
    return {"lon": round(point.x, 6), "lat": round(point.y, 6)}


def _location(grid_code: str | None) -> dict[str, Any]:
    return {
        level: {"code": region.code, "name": region.name} if region else None
        for level, region in region_chain(grid_code).items()
    }


class ResidentsPage(LimitOffsetPagination):
    default_limit = 100
    max_limit = 500


class _LoggedLinksView(generics.GenericAPIView):
    """A paginated list of dwelling links whose persons are logged as read, page by page."""

    pagination_class = ResidentsPage
    serializer_class = LinkOutSerializer
    filter_backends: list = []
    purpose = ""

    def links(self, request: Request, **kwargs: Any) -> QuerySet[Occupancy]:
        raise NotImplementedError

    def get(self, request: Request, **kwargs: Any) -> Response:
        links_qs = self.links(request, **kwargs)
        query = _reason_query(request)
        page = list(self.paginate_queryset(links_qs) or [])
        views = _read(
            request,
            (link.person for link in page),
            purpose=self.purpose,
            reason=query["reason"],
            full=query["full"],
            via_grids={link.person_id: link.grid_id for link in page},
        )
        return self.get_paginated_response(LinkOutSerializer(_links(page, views), many=True).data)


@extend_schema_view(
    get=extend_schema(
        responses={200: ParcelDetailSerializer, **_errors(404)},
        summary="A parcel and its buildings",
    )
)
class ParcelDetailView(APIView):
    """A parcel and its buildings in your jurisdiction (no personal data)."""

    def get(self, request: Request, parcel_id: int) -> Response:
        parcel = parcel_get_for_user(request.user, parcel_id)
        body = {
            "id": parcel.pk,
            "code": parcel.code,
            "name": parcel.name,
            "grid_code": parcel.grid_id,
            **_spot(parcel.geom),
            "location": _location(parcel.grid_id),
            "buildings": parcel_buildings(request.user, parcel),
        }
        return Response(ParcelDetailSerializer(body).data)


@extend_schema_view(
    get=extend_schema(
        parameters=[ReasonQuerySerializer],
        responses={200: LinkOutSerializer(many=True), **_errors(400, 403, 404)},
        summary="Everyone living on a parcel (logged)",
    )
)
class ParcelResidentsView(_LoggedLinksView):
    """Everyone linked now to a dwelling on the parcel, in your jurisdiction. Logged."""

    purpose = ReadPurpose.PARCEL

    def links(self, request: Request, **kwargs: Any) -> QuerySet[Occupancy]:
        parcel = parcel_get_for_user(request.user, kwargs["parcel_id"])
        return parcel_residents_qs(request.user, parcel)


@extend_schema_view(
    get=extend_schema(
        responses={200: BuildingDetailSerializer, **_errors(404)},
        summary="A building, its dwellings and where it stands",
    )
)
class BuildingDetailView(APIView):
    """A building, its dwellings with how many people each has, the organisations in it, its
    parcel and its grid chain."""

    def get(self, request: Request, building_id: int) -> Response:
        building = building_get_for_user(request.user, building_id)
        body = {
            **{
                field: getattr(building, field)
                for field in ("id", "code", "name", "address", "floors", "underground_floors")
            },
            "use": building.use,
            **_spot(building.footprint),
            "parcel": building.parcel,
            "location": _location(building.grid_id),
            "dwellings": building_dwellings(building),
            "organisations": building.organisations.order_by("credit_code"),
        }
        return Response(BuildingDetailSerializer(body).data)


@extend_schema_view(
    get=extend_schema(
        parameters=[ReasonQuerySerializer],
        responses={200: LinkOutSerializer(many=True), **_errors(400, 403, 404)},
        summary="A building's residents (logged)",
    )
)
class BuildingResidentsView(_LoggedLinksView):
    """Everyone linked now to one of the building's dwellings. Logged."""

    purpose = ReadPurpose.BUILDING

    def links(self, request: Request, **kwargs: Any) -> QuerySet[Occupancy]:
        return building_residents_qs(building_get_for_user(request.user, kwargs["building_id"]))


class DwellingDetailView(APIView):
    """A dwelling, its building and parcel, and the people linked to it now. Logged."""

    @extend_schema(
        parameters=[ReasonQuerySerializer],
        responses={200: DwellingDetailSerializer, **_errors(400, 403, 404)},
    )
    def get(self, request: Request, dwelling_id: int) -> Response:
        dwelling = dwelling_get_for_user(request.user, dwelling_id)
        query = _reason_query(request)
        links = list(dwelling_people_qs(dwelling).select_related("dwelling"))
        views = _read(
            request,
            (link.person for link in links),
            purpose=ReadPurpose.DWELLING,
            reason=query["reason"],
            full=query["full"],
            via_grids={link.person_id: link.grid_id for link in links},
        )
        body = {
            "id": dwelling.pk,
            "unit": dwelling.unit,
            "floor": dwelling.floor,
            "room": dwelling.room,
            "use": dwelling.use,
            "building": dwelling.building,
            "parcel": dwelling.building.parcel,
            "people": _links(links, views),
        }
        return Response(DwellingDetailSerializer(body).data)


def _person_detail(
    request: Request,
    person: Person,
    *,
    jurisdiction: Jurisdiction,
    purpose: str,
    reason: str,
    full: bool,
) -> Response:
    chain = person_chain(person)
    via_grids: dict[int, str] = {}
    if not jurisdiction.covers_region(person.grid_id or ""):
        # Reached through a dwelling they own here while living elsewhere: log it here.
        via = next(
            (link.grid_id for link in chain.links if jurisdiction.covers_region(link.grid_id)), ""
        )
        via_grids = {person.pk: via} if via else {}
    view = _read(
        request,
        [person],
        purpose=purpose,
        reason=reason,
        full=full,
        via_grids=via_grids,
        jurisdiction=jurisdiction,
    )[person.pk]
    # Only what the reader may open: the dwellings in their area, and where the person lives
    # when that is in their area too (the levels above their own posts are common knowledge).
    own_chain = {root[:n] for root in jurisdiction.region_codes for n in (6, 9, 12, 15)}
    body = {
        "person": view.__dict__,
        "dwellings": [
            {
                "id": link.pk,
                "role": link.role,
                "since": link.since,
                "dwelling": link.dwelling,
                "building": link.dwelling.building,
                "parcel": link.dwelling.building.parcel,
            }
            for link in chain.links
            if jurisdiction.covers_region(link.grid_id)
        ],
        "location": {
            level: {"code": region.code, "name": region.name}
            if region and (jurisdiction.covers_region(region.code) or region.code in own_chain)
            else None
            for level, region in chain.regions.items()
        },
    }
    return Response(PersonDetailSerializer(body).data)


class PersonDetailView(APIView):
    """A person's record and the chain up: dwellings, buildings, parcels, grid, community,
    street, district. Needs a reason; logged."""

    @extend_schema(
        parameters=[ReasonQuerySerializer],
        responses={200: PersonDetailSerializer, **_errors(400, 403, 404)},
    )
    def get(self, request: Request, person_id: int) -> Response:
        jurisdiction = registry_jurisdiction(request.user)
        person = person_get_for_user(request.user, person_id, jurisdiction=jurisdiction)
        query = _reason_query(request)
        return _person_detail(
            request,
            person,
            jurisdiction=jurisdiction,
            purpose=ReadPurpose.RECORD,
            reason=query["reason"],
            full=query["full"],
        )


class PersonLookupView(APIView):
    """Find a person by ID number (sent in the body, never in the URL), in your jurisdiction.
    The number is matched by its keyed hash. Logged, misses too; limited per user, since a
    masked number with its sex and age leaves few candidates to try."""

    throttle_scope = "registry_lookup"
    throttle_classes = [*api_settings.DEFAULT_THROTTLE_CLASSES, ScopedRateThrottle]

    @extend_schema(
        request=LookupSerializer,
        responses={200: PersonDetailSerializer, **_errors(400, 403, 404)},
    )
    def post(self, request: Request) -> Response:
        data = LookupSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            number = idnumbers.parse(data.validated_data["id_number"]).number
        except idnumbers.IdNumberError as exc:
            raise InvalidInput(str(exc), field_errors={"id_number": [str(exc)]}) from None
        jurisdiction = registry_jurisdiction(request.user)
        try:
            person = person_find_by_hash(
                request.user, idnumbers.keyed_hash(number), jurisdiction=jurisdiction
            )
        except RecordNotFound:
            # A miss reads no record, but a run of misses is someone guessing numbers.
            security_log.warning(
                "registry lookup miss: user=%s ip=%s reason=%r",
                request.user.pk,
                request.META.get("REMOTE_ADDR", ""),
                data.validated_data["reason"],
            )
            raise
        return _person_detail(
            request,
            person,
            jurisdiction=jurisdiction,
            purpose=ReadPurpose.LOOKUP,
            reason=data.validated_data["reason"],
            full=data.validated_data["full"],
        )


@extend_schema_view(
    get=extend_schema(
        responses={200: KeyGroupCountSerializer(many=True), **_errors(404)},
        summary="Key groups of a grid, with counts",
    )
)
class GridKeyGroupsView(APIView):
    """The key groups and how many people in the grid belong to each (no personal data)."""

    def get(self, request: Request, grid_code: str) -> Response:
        grid = grid_get_for_user(request.user, grid_code)
        rows = [
            {"code": group.code, "name": group.name, "count": count}
            for group, count in key_group_counts(grid)
        ]
        return Response(KeyGroupCountSerializer(rows, many=True).data)


@extend_schema_view(
    get=extend_schema(
        parameters=[ReasonQuerySerializer],
        responses={200: PersonOutSerializer(many=True), **_errors(400, 403, 404)},
        summary="The members of a key group living in a grid (logged)",
        operation_id="v1_registry_grids_key_groups_members_list",
    )
)
class GridKeyGroupMembersView(generics.GenericAPIView):
    """The people of a key group who live in the grid. Logged."""

    pagination_class = ResidentsPage
    serializer_class = PersonOutSerializer
    filter_backends: list = []

    def get(self, request: Request, grid_code: str, group_code: str) -> Response:
        grid = grid_get_for_user(request.user, grid_code)
        group = key_group_get(group_code)
        query = _reason_query(request)
        page = list(self.paginate_queryset(key_group_members_qs(grid, group)) or [])
        views = _read(
            request, page, purpose=ReadPurpose.KEY_GROUP, reason=query["reason"], full=query["full"]
        )
        rows = [views[person.pk].__dict__ for person in page]
        return self.get_paginated_response(PersonOutSerializer(rows, many=True).data)


class AccessLogFilter(django_filters.FilterSet):
    person = IdFilter(field_name="person_id")
    username = django_filters.CharFilter(field_name="user__username")
    grid = django_filters.CharFilter(
        field_name="grid_code", lookup_expr="startswith", help_text=_("Region code (prefix).")
    )
    accessed_at = django_filters.IsoDateTimeFromToRangeFilter(
        help_text=_("accessed_at_after / accessed_at_before, ISO 8601.")
    )
    purpose = django_filters.ChoiceFilter(choices=ReadPurpose.choices)

    class Meta:
        model = PersonAccessLog
        fields: list[str] = []


@extend_schema_view(
    get=extend_schema(responses={200: AccessLogSerializer(many=True), **_errors(400, 403)})
)
class AccessLogView(generics.ListAPIView):
    """Reads of population records in your region, newest first: for auditors."""

    serializer_class = AccessLogSerializer
    filterset_class = AccessLogFilter
    queryset = PersonAccessLog.objects.none()  # for the schema; the rows come from below

    def get_queryset(self) -> QuerySet[PersonAccessLog]:
        if getattr(self, "swagger_fake_view", False):
            return PersonAccessLog.objects.none()
        return access_log_for_user(self.request.user).select_related("user")

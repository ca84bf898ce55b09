"""The registry's pages: the map of places and people (地楼房人, /registry/), a region's
population picture (/registry/grids/<code>/), and a building's resident list to print.

The pages are thin: the map and the cards fetch the registry API, so every read of a person
goes through the API's logged path (citizens.access); the print page calls the same export
function as the CSV, which logs every person on it."""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.decorators import login_required
from django.contrib.gis.db.models import Extent
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext, pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from citizens.access import clean_reason, whole_read_roots
from citizens.errors import InvalidInput, NotPermitted, RecordNotFound
from citizens.exports import ResidentRow, building_residents_export
from citizens.models import BuildingUse, DwellingUse, KeyGroup, OccupancyRole, Sex
from citizens.selectors import building_get_for_user, region_chain, registry_jurisdiction
from citizens.stats import region_get_for_stats
from grids.models import Level, Region, Role

LOGIN_URL = reverse_lazy("dispatch:login")


def may_use_registry(user: Any) -> bool:
    """Staff whose posts give them places and persons (not auditors, units or citizens)."""
    if not getattr(user, "is_authenticated", False):
        return False
    jurisdiction = registry_jurisdiction(user)
    return jurisdiction.everything or bool(jurisdiction.region_codes)


def _role_labels(user: Any) -> list[str]:
    roles = registry_jurisdiction(user).roles
    return [str(Role(role).label) for role in Role.values if role in roles]


def _home_box(user: Any) -> list[float] | None:
    """The extent of the user's regions (the district for those who see everything)."""
    jurisdiction = registry_jurisdiction(user)
    regions = Region.objects.filter(level=Level.DISTRICT)
    if not jurisdiction.everything:
        regions = Region.objects.filter(code__in=sorted(jurisdiction.region_codes))
    extent = regions.aggregate(box=Extent("geom"))["box"]
    return [round(value, 6) for value in extent] if extent else None


def _key_group_names() -> dict[str, str]:
    return dict(KeyGroup.objects.values_list("code", "name"))


def _choices(choices: Any) -> dict[str, str]:
    return {str(value): str(label) for value, label in choices}


def _registry_strings() -> dict[str, Any]:
    """The words registry.js shows, translated here so the script stays language-free."""
    return {
        "levels": _choices(Level.choices),
        "building_uses": _choices(BuildingUse.choices),
        "dwelling_uses": _choices(DwellingUse.choices),
        "roles": _choices(OccupancyRole.choices),
        "sexes": _choices(Sex.choices),
        "key_groups": _key_group_names(),
        "search_placeholder": gettext("Address, parcel or organisation"),
        "no_hits": gettext("Nothing found in your area."),
        "kinds": {
            "building": gettext("Building"),
            "parcel": gettext("Parcel"),
            "organisation": gettext("Organisation"),
        },
        "building": gettext("Building"),
        "parcel": gettext("Parcel"),
        "dwelling": gettext("Dwelling"),
        "person": gettext("Person"),
        "grid": gettext("Grid"),
        "floors": gettext("%(n)s floors"),
        "underground": gettext("%(n)s below ground"),
        "unit_room": gettext("Unit %(unit)s, room %(room)s"),
        "room": gettext("Room %(room)s"),
        "floor": gettext("Floor %(n)s"),
        "dwellings": gettext("Dwellings"),
        "homes": gettext("For living in"),
        "residents": gettext("Residents"),
        "linked_people": gettext("People linked"),
        "n_people": gettext("%(n)s people"),
        "households": gettext("Households"),
        "vacant": gettext("Vacant"),
        "people": gettext("People"),
        "organisations": gettext("Organisations"),
        "buildings": gettext("Buildings"),
        "open_cases": gettext("Open cases"),
        "past_cases": gettext("Past cases"),
        "no_cases": gettext("No cases reported here."),
        "cases_note": gettext("Cases reported on the building or within %(m)s m of it."),
        "more_cases": gettext("%(n)s more not shown"),
        "no_organisations": gettext("No organisations."),
        "no_residents": gettext("Nobody is linked to this building now."),
        "nobody": gettext("nobody"),
        "lives_elsewhere": gettext("lives elsewhere"),
        "more": gettext("Show more"),
        "shown_of": gettext("%(shown)s of %(total)s shown"),
        "age": gettext("%(n)s years"),
        "id_number": gettext("ID number"),
        "phone": gettext("Phone"),
        "masked": gettext("masked"),
        "since": gettext("since"),
        "lives_in": gettext("Linked dwellings"),
        "lives_in_grid": gettext("Lives in"),
        "not_in_area": gettext("Not in your area."),
        "lookup_missed": gettext("Nobody with this ID number in your area."),
        "failed": gettext("Could not load this. Try again."),
        "loading": gettext("Loading…"),
        "reason_title": gettext("Why are you reading residents' records?"),
        "reason_help": gettext(
            "Every record shown is logged with your name and this reason. Asked once per visit."
        ),
        "reason_placeholder": gettext("e.g. home visit, checking a case"),
        "reason_go": gettext("Show residents"),
        "reason_now": gettext("Reason for this visit"),
        "reason_change": gettext("Change the reason"),
        "reason_required": gettext("Give a reason first."),
        "export_csv": gettext("Export residents (CSV)"),
        "print": gettext("Print resident list"),
        "export_note": gettext("ID numbers and phones whole; logged."),
        "parcel_residents": gettext("List the residents on this parcel"),
        "population": gettext("Population picture"),
        "open_map": gettext("Show on the map"),
        "zoom_in": gettext("Zoom in to see parcels and buildings."),
        "too_many": gettext("More buildings than can be drawn: zoom in."),
        "layers": {
            "grids": gettext("Grids"),
            "parcels": gettext("Parcels"),
            "buildings": gettext("Buildings"),
        },
        "credit_code": gettext("Credit code"),
        "premises": gettext("Premises"),
        "reported": gettext("reported"),
        "none": pgettext("no value", "—"),
    }


@never_cache
@require_GET
@login_required(login_url=LOGIN_URL)
def registry_map(request: HttpRequest) -> HttpResponse:
    if not may_use_registry(request.user):
        raise Http404(gettext("The registry is for staff posted to a region."))
    config = {
        "home_box": _home_box(request.user),
        "whole_roots": whole_read_roots(cast(AbstractBaseUser, request.user)),
        "population_url": reverse("citizens:population", args=["CODE"]),
        "print_url": reverse("citizens:residents-print", args=[0]),
        "case_url": reverse("dispatch:case", args=[0]),
        "regions_url": "/api/v1/regions/",
        "api": "/api/v1/registry/",
    }
    return render(
        request,
        "citizens/registry.html",
        {
            "roles": _role_labels(request.user),
            "config": config,
            "i18n": _registry_strings(),
        },
    )


@never_cache
@require_GET
@login_required(login_url=LOGIN_URL)
def population(request: HttpRequest, code: str) -> HttpResponse:
    """A region's population picture; the figures come from the stats API."""
    try:
        region = region_get_for_stats(request.user, code, registry_jurisdiction(request.user))
    except RecordNotFound as exc:
        raise Http404(str(exc)) from exc
    strings = {
        "levels": _choices(Level.choices),
        "figures": {
            "persons": gettext("Persons"),
            "households": gettext("Households"),
            "dwellings": gettext("Dwellings"),
            "homes": gettext("For living in"),
            "vacant_dwellings": gettext("Vacant dwellings"),
            "aged_60_plus": gettext("Aged 60 and over"),
            "buildings": gettext("Buildings"),
            "organisations": gettext("Organisations"),
        },
        "male": gettext("Male"),
        "female": gettext("Female"),
        "unknown": gettext("Sex or age unknown"),
        "small": pgettext("a count not shown", "—"),
        "small_help": gettext("Not shown: it would tell fewer than 5 persons outside your area."),
        "suppressed": gettext(
            "This region reaches beyond your own area: a count that would tell fewer than 5 "
            "persons outside it is not shown (—)."
        ),
        "live": gettext("Counted just now"),
        "nightly": gettext("Counted nightly; this count is from %(at)s"),
        "no_data": gettext("No data or not shown"),
        "no_kind": gettext("Other"),
        "none": gettext("None."),
        "figure": gettext("Colour the map by"),
        "failed": gettext("Could not load the figures. Try again."),
        "key_group_prefix": gettext("Key group"),
    }
    config = {
        "code": region.code,
        "level": region.level,
        "parent": region.parent_id or "",
        "stats_url": reverse("api-region-stats", args=["CODE"]),
        "page_url": reverse("citizens:population", args=["CODE"]),
        "map_url": reverse("citizens:registry"),
        "regions_url": "/api/v1/regions/",
    }
    return render(
        request,
        "citizens/population.html",
        {
            "region": region,
            "roles": _role_labels(request.user),
            "config": config,
            "i18n": strings,
        },
    )


@never_cache
@require_GET
@login_required(login_url=LOGIN_URL)
def residents_print(request: HttpRequest, building_id: int) -> HttpResponse:
    """The building's residents on paper: whole, for those who may read them whole; each
    person on it logged as printed."""
    try:
        building = building_get_for_user(request.user, building_id)
    except RecordNotFound as exc:
        raise Http404(str(exc)) from exc
    try:
        reason = clean_reason(request.GET.get("reason", ""))
        rows = building_residents_export(
            user=cast(AbstractBaseUser, request.user),
            building=building,
            reason=reason,
            request_id=request.META.get("HTTP_X_REQUEST_ID", "")[:64],
            ip=request.META.get("REMOTE_ADDR") or None,
        )
    except (NotPermitted, InvalidInput) as exc:
        return render(
            request,
            "citizens/residents_print.html",
            {"building": building, "refusal": exc.message},
            status=403 if isinstance(exc, NotPermitted) else 400,
        )
    return render(
        request,
        "citizens/residents_print.html",
        {
            "building": building,
            "rows": _print_rows(rows),
            "reason": reason,
            "location": region_chain(building.grid_id),
        },
    )


def _print_rows(rows: list[ResidentRow]) -> list[dict[str, Any]]:
    roles = dict(OccupancyRole.choices)
    sexes = dict(Sex.choices)
    groups = _key_group_names()
    return [
        {
            "dwelling": f"{row.dwelling.unit}-{row.dwelling.room}"
            if row.dwelling.unit
            else row.dwelling.room,
            "role": roles.get(row.role, row.role),
            "name": row.person.name,
            "sex": sexes.get(row.person.sex, ""),
            "age": "" if row.person.age is None else row.person.age,
            "id_number": row.person.id_number,
            "phone": row.person.phone,
            "key_groups": "、".join(groups.get(code, code) for code in row.person.key_groups),
        }
        for row in rows
    ]

"""The intake desk (/intake/new/): one form for a call or a walk-in.

The page only gathers what the operator hears and shows what helps (the catalogue with a
search, the place on a map or from an address, the open cases it may duplicate); the report
goes to the one-window intake API (cases.intake.case_intake), which holds every rule.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from cases.intake import may_take_calls, sub_channels
from cases.models import Item, RequestType, SourceChannel, Urgency
from cases.services import PUBLIC_CHANNELS, district_intake_codes
from dispatch.dashboard import user_roles
from grids.models import Role

# The channels an operator takes reports from, the busiest first.
DESK_CHANNELS = [
    SourceChannel.HOTLINE_12345,
    SourceChannel.POLICE_110,
    SourceChannel.WEB,
    SourceChannel.WECHAT,
    SourceChannel.CITIZEN_APP,
    SourceChannel.AGENCY,
    SourceChannel.VIDEO,
]
assert set(DESK_CHANNELS) == set(PUBLIC_CHANNELS)  # noqa: S101 - a table kept in step


def _items() -> list[dict[str, Any]]:
    rows = Item.objects.filter(is_active=True, conditions__isnull=False).distinct()
    return [
        {"id": pk, "code": code, "name": name, "domain": domain}
        for pk, code, name, domain in rows.order_by("code").values_list(
            "pk", "code", "name", "domain__name"
        )
    ]


def _strings() -> dict[str, Any]:
    return {
        "searching": gettext("Searching…"),
        "no_places": gettext("No address found; click the map instead."),
        "no_items": gettext("No item matches."),
        "place_set": gettext("Place set"),
        "place_outside": gettext("This point lies outside the district."),
        "no_duplicates": gettext("No open case of this item nearby."),
        "pick_place_item": gettext("Pick the item and the place to see open cases nearby."),
        "same_problem": gettext("Same problem: link to this case"),
        "m": gettext("m"),
        "failed": gettext("The report could not be saved."),
        "fix_fields": gettext("Please correct the fields marked below."),
        "saving": gettext("Saving…"),
        "link_failed": gettext(
            "The report was saved, but it could not be linked to the open case: "
            "mark it as a duplicate on the case page."
        ),
        "need_place": gettext("Click the map or pick an address to set the place."),
        "need_item": gettext("Pick an item."),
        "kinds": {
            "building": gettext("Building"),
            "parcel": gettext("Parcel"),
            "organisation": gettext("Organisation"),
            "street": gettext("Street"),
            "community": gettext("Community"),
        },
    }


@require_GET
@login_required(login_url=reverse_lazy("dispatch:login"))
def intake_new(request: HttpRequest) -> HttpResponse:
    if not (may_take_calls(request.user) or request.user.is_superuser):
        raise PermissionDenied
    roles = user_roles(request.user)
    return render(
        request,
        "dispatch/intake_new.html",
        {
            "roles": [str(Role(role).label) for role in Role.values if role in roles],
            "channels": [(c, SourceChannel(c).label) for c in DESK_CHANNELS],
            "request_types": RequestType.choices,
            "urgencies": Urgency.choices,
            "desk": {
                "items": _items(),
                "sub_channels": sub_channels(),
                "keep_at_district": bool(district_intake_codes(request.user)),
                "tz": settings.TIME_ZONE,
                # The base map (a city's own tile server on a closed network); the district's
                # own outlines are drawn over it, and alone when it does not load.
                "tiles": settings.LEAFLET_CONFIG.get("TILES", ""),
                "center": list(settings.LEAFLET_CONFIG["DEFAULT_CENTER"]),
                "urls": {
                    "intake": reverse("api-intake"),
                    "duplicates": reverse("api-case-duplicates"),
                    "geocode": reverse("api-geocode"),
                    "at": reverse("api-registry-at"),
                    "locate": reverse("locate"),
                    "regions": "/api/v1/regions/",
                    "case": reverse("dispatch:case", args=[0]),
                    "actions": reverse("api-case-actions", args=[0]),
                },
                "i18n": _strings(),
            },
        },
    )

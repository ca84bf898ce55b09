"""The big screen (/screen/) and its data, for the leader and the command roles."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from cases.models import Status
from config.pwa import base_map
from dispatch.screen import may_see_screen, screen_figures
from dispatch.views import LOGIN_URL

REFRESH_SECONDS = 30


def screen_strings() -> dict[str, Any]:
    """The words screen.js shows (translated here; the script stays language-free)."""
    return {
        "vs_previous": gettext("vs. the period before"),
        "week": gettext("This week"),
        "month": gettext("This month"),
        "no_data": gettext("—"),
        "today_reported": gettext("Reported today"),
        "yesterday_reported": gettext("Reported yesterday"),
        "today_closed": gettext("Closed today"),
        "week_reported": gettext("Reported"),
        "week_closed": gettext("Closed"),
        "open_n": gettext("%(n)s open cases"),
        "warn_n": gettext("%(n)s with a yellow card"),
        "no_inspectors": gettext("No inspector has sent a position in the last 30 minutes."),
        "no_alarms": gettext("No alarm in the last 24 hours."),
        "minutes_ago": gettext("%(n)s min ago"),
        "on_duty": gettext("%(count)s of %(posted)s on duty"),
        "sound_on": gettext("Sound on"),
        "sound_off": gettext("Sound off"),
        "updated": gettext("Updated %(time)s"),
        "stale": gettext("Not updated since %(time)s: the connection is down"),
        "statuses": {value: str(label) for value, label in Status.choices},
    }


def screen_tiles() -> list[tuple[str, str]]:
    """The KPI tiles: today's figure large, with the week and the month under it."""
    return [
        ("reported", gettext("Reported")),
        ("filed", gettext("Filed")),
        ("filing_rate", gettext("Filing rate")),
        ("dispatched", gettext("Dispatched")),
        ("closed", gettext("Closed")),
        ("closing_rate", gettext("Closing rate")),
        ("on_time_closing_rate", gettext("Closed on time")),
    ]


def _refresh_seconds(request: HttpRequest) -> int:
    """?refresh=N sets the period for one wall (5 to 300 s); 30 s otherwise."""
    value = request.GET.get("refresh", "")
    if value.isascii() and value.isdigit():
        return min(max(int(value), 5), 300)
    return REFRESH_SECONDS


def screen_context(request: HttpRequest) -> dict[str, Any]:
    return {
        "screen_tiles": screen_tiles(),
        "screen_config": {
            "data_url": reverse("dispatch:screen-data"),
            "cases_url": reverse("dispatch:map-cases"),
            "regions_url": "/api/v1/regions/",
            "refresh_seconds": _refresh_seconds(request),
            "base": base_map(),
            "i18n": screen_strings(),
        },
    }


@require_GET
@login_required(login_url=LOGIN_URL)
def screen(request: HttpRequest) -> HttpResponse:
    if not may_see_screen(request.user):
        raise PermissionDenied
    return render(request, "dispatch/screen.html", screen_context(request))


@require_GET
@login_required(login_url=LOGIN_URL)
def screen_data(request: HttpRequest) -> JsonResponse:
    if not may_see_screen(request.user):
        return JsonResponse(
            {"code": "permission_denied", "message": gettext("Not for your role."), "errors": {}},
            status=403,
        )
    return JsonResponse(screen_figures(user=request.user))

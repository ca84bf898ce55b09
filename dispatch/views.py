"""The dashboard's pages: log in, a home for each role, case detail, the live map.

The pages are thin: they check access, pick the queues and render. Everything the
browser changes goes through the REST API (session auth + CSRF), so the workflow rules
live in one place (cases/services.py).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, pgettext
from django.views.decorators.http import require_GET, require_POST

from cases.errors import CaseNotFound
from cases.models import SourceChannel, Status
from cases.selectors import case_get_for_user
from dispatch.dashboard import overview_counters, queues_for_user, user_roles
from dispatch.inbox import inbox_mark_read, inbox_qs_for_user
from grids.models import Level, ResourceKind, Role
from grids.selectors import regions_for_user_qs

LOGIN_URL = reverse_lazy("dispatch:login")

# The roles that see the overview counters on their home page.
OVERVIEW_ROLES = frozenset(
    {Role.DISTRICT_LEADER, Role.SHIFT_SUPERVISOR, Role.ADMINISTRATOR, Role.STREET_OFFICER}
)


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True
    next_page = "dispatch:home"  # LOGIN_REDIRECT_URL serves the admin


class LogoutView(auth_views.LogoutView):
    next_page = "dispatch:login"


def _role_labels(roles: frozenset[str]) -> list[str]:
    return [str(Role(role).label) for role in Role.values if role in roles]


@require_GET
def root(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect(LOGIN_URL)
    return redirect("dispatch:home")


@require_GET
@login_required(login_url=LOGIN_URL)
def home(request: HttpRequest) -> HttpResponse:
    roles = user_roles(request.user)
    context: dict[str, Any] = {
        "roles": _role_labels(roles),
        "queues": queues_for_user(user=request.user),
        "show_overview": bool(roles & OVERVIEW_ROLES) or request.user.is_superuser,
        "overview_labels": {"open": gettext("Open"), "overdue": gettext("Overdue")},
        "now": timezone.now(),
    }
    return render(request, "dispatch/home.html", context)


@require_GET
@login_required(login_url=LOGIN_URL)
def overview(request: HttpRequest) -> JsonResponse:
    """The overview counters as JSON; the home page fetches them every 30 seconds."""
    return JsonResponse(overview_counters(user=request.user))


def _case_strings() -> dict[str, Any]:
    """The words case.js shows, translated here so the script stays language-free."""
    return {
        "note": gettext("Note"),
        "note_required": gettext("A note is required."),
        "no_actions": gettext("Nothing for you to do on this case now."),
        "left": gettext("left"),
        "overdue_by": gettext("overdue by"),
        "no_clock": gettext("No stage clock."),
        "no_photos": gettext("No photos."),
        "photos": gettext("Photos"),
        "failed": gettext("The action failed."),
        "done": gettext("Done."),
        "yes": gettext("Yes"),
        "no": gettext("No"),
        "suggested": gettext("suggested"),
        "hours": gettext("h"),
        "minutes": gettext("min"),
        "days": gettext("d"),
        "statuses": {value: str(label) for value, label in Status.choices},
    }


def _emergency_panel(case_id: int) -> dict[str, Any]:
    """URLs and words for the emergency panel (emergency.js)."""
    return {
        "nearest_url": reverse("api-emergency-case-nearest", args=[case_id]),
        "resources_url": reverse("emergency-resources"),
        "i18n": {
            "assign": gettext("Assign verify task"),
            "sent": gettext("Verify task sent to"),
            "no_resources": gettext("No resources nearby."),
            "no_inspectors": gettext("No inspector on duty nearby"),
            "fresh": gettext("on duty: a GPS fix within %(minutes)s min"),
            "fix": gettext("fix"),
            "ago": gettext("ago"),
            "capacity": gettext("capacity"),
            "failed": gettext("The action failed."),
            "m": gettext("m"),
            "km": gettext("km"),
            "s": gettext("s"),
            "min": gettext("min"),
            "h": gettext("h"),
            "glyph_inspector": pgettext("map glyph for an inspector", "In"),
            "glyphs": {
                ResourceKind.SUPPLIES: pgettext("map glyph for emergency supplies", "Su"),
                ResourceKind.SHELTER: pgettext("map glyph for a shelter", "Sh"),
                ResourceKind.TEAM: pgettext("map glyph for an emergency team", "Te"),
                ResourceKind.CAMERA: pgettext("map glyph for a camera", "Ca"),
            },
        },
    }


@require_GET
@login_required(login_url=LOGIN_URL)
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    try:
        case = case_get_for_user(request.user, case_id)
    except CaseNotFound as exc:
        raise Http404(str(exc)) from exc
    return render(
        request,
        "dispatch/case_detail.html",
        {
            "case": case,
            "roles": _role_labels(user_roles(request.user)),
            "i18n": _case_strings(),
            "emergency": _emergency_panel(case.pk),
        },
    )


@require_GET
@login_required(login_url=LOGIN_URL)
def live_map(request: HttpRequest) -> HttpResponse:
    streets = regions_for_user_qs(request.user).filter(level=Level.STREET).order_by("code")
    return render(
        request,
        "dispatch/map.html",
        {
            "streets": list(streets.values("code", "name")),
            "statuses": Status.choices,
            "sources": SourceChannel.choices,
            "roles": _role_labels(user_roles(request.user)),
            "map_strings": {
                "levels": {value: str(label) for value, label in Level.choices},
                "statuses": {value: str(label) for value, label in Status.choices},
                "cases": gettext("cases"),
                "more": gettext("more cases in view; zoom in or filter"),
                "inspectors": gettext("Inspectors"),
                "fix_age": gettext("last fix %(minutes)s min ago"),
            },
        },
    )


INBOX_PAGE_SIZE = 50


@require_GET
@login_required(login_url=LOGIN_URL)
def inbox(request: HttpRequest) -> HttpResponse:
    """The user's notifications, newest first; ?unread=1 shows the unread ones only."""
    unread_only = request.GET.get("unread") == "1"
    messages = inbox_qs_for_user(request.user, unread_only=unread_only)
    page = Paginator(messages, INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "dispatch/inbox.html",
        {
            "page": page,
            "unread_only": unread_only,
            "roles": _role_labels(user_roles(request.user)),
        },
    )


@require_POST
@login_required(login_url=LOGIN_URL)
def inbox_read(request: HttpRequest) -> HttpResponse:
    """Mark the posted message ids read, or all of the user's messages with all=1."""
    if request.POST.get("all") == "1":
        inbox_mark_read(user=request.user)
    else:
        ids = [
            int(value)
            for value in request.POST.getlist("id")
            if value.isascii() and value.isdigit()
        ]
        inbox_mark_read(user=request.user, message_ids=ids)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = str(reverse("dispatch:inbox"))
    return redirect(target)

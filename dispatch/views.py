"""The dashboard's pages: log in, a home for each role, case detail, the live map.

The pages are thin: they check access, pick the queues and render. Everything the
browser changes goes through the REST API (session auth + CSRF), so the workflow rules
live in one place (cases/services.py).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext, pgettext
from django.views.decorators.http import require_GET, require_POST

from cases.errors import CaseNotFound
from cases.intake import may_take_calls
from cases.models import HandlingLevel, SourceChannel, Status, Supervision
from cases.selectors import case_get_for_user
from config.pwa import base_map
from dispatch.dashboard import overview_counters, queues_for_user, user_roles
from dispatch.inbox import inbox_mark_read, inbox_qs_for_user
from dispatch.queues import HOME_ROWS, OVERDUE_KEY, live_strings, queue_spec_for_user, rows_for
from dispatch.supervisions import (
    State,
    SupervisionQuerySerializer,
    may_see_supervisions,
    supervision_counts,
    supervisions_for_user,
)
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
    now = timezone.now()
    queues = queues_for_user(user=request.user, limit=HOME_ROWS)
    for queue in queues:
        queue.rows = rows_for(queue.cases, now=now)  # type: ignore[attr-defined]
    # Queues with work first (in their usual order), the empty ones after them as one line each:
    # a street officer's six empty queues must not push the one with work below the fold.
    queues.sort(key=lambda queue: not queue.rows)  # type: ignore[attr-defined]
    context: dict[str, Any] = {
        "roles": _role_labels(roles),
        "queues": queues,
        "may_see_overdue": queue_spec_for_user(request.user, OVERDUE_KEY) is not None,
        "live_strings": live_strings(),
        "show_overview": bool(roles & OVERVIEW_ROLES) or request.user.is_superuser,
        "overview_labels": {"open": gettext("Open"), "overdue": gettext("Overdue")},
        "now": now,
    }
    # The big screen's panels at laptop size for the leader; a link to the screen itself for
    # everyone it is for. (Imported here: the screen's views import this module.)
    from dispatch.screen import may_see_screen
    from dispatch.screen_views import screen_context

    context["show_screen"] = may_see_screen(request.user)
    if Role.DISTRICT_LEADER in roles:
        context["leader_panels"] = True
        context.update(screen_context(request))
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
        "done": gettext("Done; the case is now:"),
        "yes": gettext("Yes"),
        "no": gettext("No"),
        "suggested": gettext("suggested"),
        "co_unit": gettext("Co-handling unit"),
        "co_removed": gettext("released"),
        "co_fed_back": gettext("part fed back"),
        "co_signed": gettext("part signed for"),
        "co_waiting": gettext("not signed for yet"),
        "no_co_handlers": gettext("No other unit co-handles this case."),
        "sv_settled": gettext("settled"),
        "sv_overdue": gettext("overdue"),
        "sv_open": gettext("open"),
        "sv_due": gettext("due"),
        "sv_kinds": {value: str(label) for value, label in Supervision.Kind.choices},
        "no_supervisions": gettext("Not under supervision."),
        "levels": {value: str(label) for value, label in HandlingLevel.choices},
        "hours": gettext("h"),
        "minutes": gettext("min"),
        "days": gettext("d"),
        "statuses": {value: str(label) for value, label in Status.choices},
        "tz": settings.TIME_ZONE,
        "reason": gettext("Reason"),
        "other_actions": gettext("Other actions"),
        "ending_actions": gettext("Close without handling"),
        "correct": gettext("Correct item, place, address or description"),
        "more": gettext("More options"),
        "hide_more": gettext("Hide the corrections"),
        "cancel": gettext("Cancel"),
        "search": gettext("Search"),
        "search_placeholder": gettext("Type to filter"),
        "new_place": gettext("New place:"),
        "confirm_title": gettext("%(action)s?"),
        "confirm_text": gettext(
            "Case %(number)s will be closed without being handled. This cannot be undone."
        ),
        "conflict": gettext("Someone else acted on this case first; it is shown as it is now:"),
        "now_status": gettext("The case is now:"),
        "conflict_again": gettext("What you typed is kept: check it and act again."),
        "conflict_gone": gettext("“%(action)s” is no longer possible."),
        "taken": gettext("Report saved as case %(number)s."),
        "linked": gettext("It is linked as a duplicate to the open case %(number)s."),
        "link_failed": gettext(
            "The report was saved, but it could not be linked to the open case: "
            "mark it as a duplicate here."
        ),
        "corrections": gettext("Corrected"),
        "corrected": gettext("corrected"),
        "fields": {
            "item": gettext("Item"),
            "address": gettext("Address"),
            "point": gettext("Place"),
            "description": gettext("Description"),
        },
        "photo": gettext("Photo"),
        "previous": gettext("Previous photo"),
        "next": gettext("Next photo"),
        "close": pgettext("a photo viewer", "Close"),
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
    # Opened from a queue (?queue=key): the way back to it, and on to its next case.
    queue = queue_spec_for_user(request.user, request.GET.get("queue", ""))
    return render(
        request,
        "dispatch/case_detail.html",
        {
            "case": case,
            "queue": queue,
            "queue_next": (
                reverse("dispatch:queue-next", args=[queue.key]) + f"?after={case.pk}"
                if queue
                else ""
            ),
            "roles": _role_labels(user_roles(request.user)),
            "i18n": _case_strings(),
            "emergency": _emergency_panel(case.pk),
            "tiles": settings.LEAFLET_CONFIG.get("TILES", ""),
            "may_take_calls": may_take_calls(request.user),
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
            "base_map": base_map(),
            "map_strings": {
                "base_offline": gettext("District base (offline)"),
                "base_tiles": gettext("Base map"),
                "overdue_all": gettext("overdue in the district, all shown"),
                "open_in_view": gettext("open in view"),
                "grid": gettext("Grid"),
                "grid_inspectors": gettext("Inspectors"),
                "no_inspector": gettext("No inspector posted."),
                "grid_open": gettext("Open cases"),
                "none_open": gettext("No open case in this grid."),
                "never_seen": gettext("no position yet"),
                "open_queue": gettext("open"),
                "cards": {
                    "overdue": gettext("Overdue (red card)"),
                    "warn": gettext("Warning (yellow card)"),
                    "ok": gettext("On time"),
                    "closed": gettext("Closed"),
                },
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
        inbox_mark_read(user=request.user)  # type: ignore[arg-type]  # login_required
    else:
        ids = [
            int(value)
            for value in request.POST.getlist("id")
            if value.isascii() and value.isdigit()
        ]
        inbox_mark_read(user=request.user, message_ids=ids)  # type: ignore[arg-type]  # login_required
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = str(reverse("dispatch:inbox"))
    return redirect(target)


SUPERVISION_PAGE_SIZE = 50


@require_GET
@login_required(login_url=LOGIN_URL)
def supervisions(request: HttpRequest) -> HttpResponse:
    """Supervisions (督办) in the user's jurisdiction: open first by default, overdue flagged."""
    if not may_see_supervisions(request.user):
        raise PermissionDenied
    query = SupervisionQuerySerializer(data=request.GET)
    # A filter that does not parse (an old link, a typo) shows the whole list, never an error.
    filters = query.validated_data if query.is_valid() else {"state": "", "region": "", "kind": ""}
    if "state" not in request.GET:
        filters = {**filters, "state": State.OPEN}
    rows = supervisions_for_user(request.user, **filters)
    if filters["state"] in (State.OPEN, State.OVERDUE):
        # What must happen next first: the nearest due date (the sweep's, without one, last).
        rows = rows.order_by(F("due_at").asc(nulls_last=True), "-created_at", "-pk")
    page = Paginator(rows, SUPERVISION_PAGE_SIZE).get_page(request.GET.get("page"))
    streets = regions_for_user_qs(request.user).filter(level=Level.STREET).order_by("code")
    now = timezone.now()
    return render(
        request,
        "dispatch/supervisions.html",
        {
            "page": page,
            "filters": filters,
            "states": State.CHOICES,
            "kinds": Supervision.Kind.choices,
            "streets": list(streets.values("code", "name")),
            "counts": supervision_counts(request.user),
            "query": urlencode({k: v for k, v in filters.items() if v}),
            "now": now,
            "roles": _role_labels(user_roles(request.user)),
        },
    )

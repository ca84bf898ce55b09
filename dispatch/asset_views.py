"""The asset page: one city component, its units, and every case about it that the viewer may
see, newest first, so that repeated failures of one lamp are plain to see."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from cases.assets import asset_cases_for_user, asset_get_for_user
from cases.errors import CaseNotFound
from dispatch.dashboard import user_roles
from dispatch.views import LOGIN_URL, _role_labels
from grids.assets import asset_status_label
from grids.selectors import holds_staff_post

HISTORY_ROWS = 200
# Cases about one asset within this many days are "repeated" (it keeps failing).
REPEAT_WINDOW_DAYS = 90


@require_GET
@login_required(login_url=LOGIN_URL)
def asset_page(request: HttpRequest, code: str) -> HttpResponse:
    if not holds_staff_post(request.user):  # staff only, like the assets API
        raise Http404
    try:
        asset = asset_get_for_user(request.user, code)
    except CaseNotFound as exc:
        raise Http404(str(exc)) from exc
    cases = asset_cases_for_user(request.user, asset)
    since = timezone.now() - timedelta(days=REPEAT_WINDOW_DAYS)
    return render(
        request,
        "dispatch/asset.html",
        {
            "asset": asset,
            "status": asset_status_label(asset.status),
            "cases": list(cases[:HISTORY_ROWS]),
            "case_count": cases.count(),
            "recent_count": cases.filter(reported_at__gte=since).count(),
            "repeat_days": REPEAT_WINDOW_DAYS,
            "roles": _role_labels(user_roles(request.user)),
            "now": timezone.now(),
        },
    )

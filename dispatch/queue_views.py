"""The work queue pages: one queue with filters, paging, export and bulk actions; it refreshes
itself (static/dispatch/queue.js asks for ?partial=1 every few seconds)."""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from cases.intake import sub_channels
from cases.workflow import Action, transition_for
from config.exports import csv_text, xlsx_bytes
from dispatch.dashboard import user_roles
from dispatch.queues import (
    BULK_ACTIONS,
    EXPORT_LIMIT,
    HOME_ROWS,
    PAGE_SIZE,
    QueueFilterForm,
    delete_queue_view,
    export_table,
    filter_queue,
    live_strings,
    queue_bulk_action,
    queue_cases,
    queue_spec_for_user,
    rows_for,
    save_queue_view,
    saved_views_for,
    statuses_of,
)
from dispatch.views import LOGIN_URL, _role_labels
from grids.models import Level, Unit, UnitKind, User
from grids.selectors import regions_for_user_qs


def _spec_or_404(request: HttpRequest, key: str) -> Any:
    spec = queue_spec_for_user(request.user, key)
    if spec is None:
        raise Http404(gettext("No such queue for you."))
    return spec


def _unit_groups() -> list[tuple[str, list[Unit]]]:
    units = list(
        Unit.objects.filter(is_active=True).order_by("kind", "name").only("pk", "name", "kind")
    )
    return [
        (str(label), [u for u in units if u.kind == value])
        for value, label in UnitKind.choices
        if any(u.kind == value for u in units)
    ]


@require_GET
@login_required(login_url=LOGIN_URL)
def queue_page(request: HttpRequest, key: str) -> HttpResponse:
    spec = _spec_or_404(request, key)
    form = QueueFilterForm(request.GET, statuses=statuses_of(spec))
    data = form.cleaned_data if form.is_valid() else {}
    now = timezone.now()
    qs = filter_queue(queue_cases(request.user, spec), data, now=now)
    export = request.GET.get("export")
    if export in ("csv", "xlsx"):
        headers, table = export_table(rows_for(list(qs[:EXPORT_LIMIT]), now=now))
        name = f"queue-{spec.key}-{timezone.localtime(now):%Y%m%d-%H%M}"
        if export == "csv":
            response = HttpResponse(
                csv_text(headers, table), content_type="text/csv; charset=utf-8"
            )
            response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        else:
            response = HttpResponse(
                xlsx_bytes(str(spec.title), headers, table),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
            response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return response
    # The home page shows each queue's first rows and refreshes them through this view too.
    size = HOME_ROWS if request.GET.get("home") == "1" else PAGE_SIZE
    page = Paginator(qs, size).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in data.items() if v})
    context: dict[str, Any] = {
        "spec": spec,
        "form": form,
        "page": page,
        "rows": rows_for(list(page.object_list), now=now),
        "query": query,
        "now": now,
        "bulk": sorted(a for a, keys in BULK_ACTIONS.items() if spec.key in keys),
        "saved_views": saved_views_for(cast(User, request.user), spec.key),
        "roles": _role_labels(user_roles(request.user)),
        "live_url": reverse("dispatch:queue", args=[spec.key])
        + "?"
        + urlencode({**{k: v for k, v in data.items() if v}, "partial": "1", "page": page.number}),
    }
    context["live_strings"] = live_strings()
    if request.GET.get("partial") == "1":
        return render(request, "dispatch/_queue_rows.html", context)
    context["streets"] = list(
        regions_for_user_qs(request.user)
        .filter(level=Level.STREET)
        .order_by("code")
        .values("code", "name")
    )
    context["sub_channel_names"] = sorted(
        {name for names in sub_channels().values() for name in names}
    )
    if Action.DISPATCH in context["bulk"]:
        context["unit_groups"] = _unit_groups()
    return render(request, "dispatch/queue.html", context)


def _back(request: HttpRequest, key: str) -> str:
    # Back to the filters the form came from, re-encoded (never a header split or a host).
    query = QueryDict(request.POST.get("query", "")[:500]).urlencode()
    return reverse("dispatch:queue", args=[key]) + (f"?{query}" if query else "")


@require_POST
@login_required(login_url=LOGIN_URL)
def queue_bulk(request: HttpRequest, key: str) -> HttpResponse:
    spec = _spec_or_404(request, key)
    action = request.POST.get("action", "")
    ids = [int(v) for v in request.POST.getlist("case") if v.isascii() and v.isdigit()][:PAGE_SIZE]
    if action not in BULK_ACTIONS or spec.key not in BULK_ACTIONS[action] or not ids:
        messages.error(request, gettext("Choose cases and an action first."))
        return redirect(_back(request, key))
    unit = request.POST.get("unit_id", "")
    if action == Action.DISPATCH and not (unit.isascii() and unit.isdigit()):
        messages.error(request, gettext("Choose the unit to dispatch to."))
        return redirect(_back(request, key))
    note = request.POST.get("note", "").strip()
    if transition_for(action).note_required and not note:  # urging says why
        messages.error(request, gettext("Say why you urge: a note is required."))
        return redirect(_back(request, key))
    outcome = queue_bulk_action(
        user=cast(AbstractBaseUser, request.user),  # login_required
        spec=spec,
        action=action,
        case_ids=ids,
        unit_id=int(unit) if action == Action.DISPATCH else None,
        note=note,
    )
    if outcome.done:
        messages.success(
            request,
            gettext("Done for %(count)d cases: %(numbers)s")
            % {"count": len(outcome.done), "numbers": ", ".join(outcome.done)},
        )
    for number, reason in outcome.refused:
        messages.warning(request, f"{number}: {reason}")
    return redirect(_back(request, key))


@require_POST
@login_required(login_url=LOGIN_URL)
def queue_view_save(request: HttpRequest, key: str) -> HttpResponse:
    spec = _spec_or_404(request, key)
    name = request.POST.get("name", "").strip()[:60]
    query = request.POST.get("query", "")[:500]
    if not name:
        messages.error(request, gettext("Give the view a name."))
        return redirect(_back(request, key))
    save_queue_view(user=cast(User, request.user), key=spec.key, name=name, query=query)
    messages.success(request, gettext("View saved: %(name)s") % {"name": name})
    return redirect(_back(request, key))


@require_POST
@login_required(login_url=LOGIN_URL)
def queue_view_delete(request: HttpRequest, view_id: int) -> HttpResponse:
    queue = delete_queue_view(user=cast(User, request.user), view_id=view_id)
    if queue is None:
        raise Http404
    return redirect(reverse("dispatch:queue", args=[queue]))


@require_GET
@login_required(login_url=LOGIN_URL)
def next_case(request: HttpRequest, key: str) -> HttpResponse:
    """The queue's first case other than `after`: "next case" after an action."""
    spec = _spec_or_404(request, key)
    after = request.GET.get("after", "")
    qs = filter_queue(queue_cases(request.user, spec), {}, now=timezone.now())
    if after.isascii() and after.isdigit():
        qs = qs.exclude(pk=int(after))
    case = qs.select_related(None).only("pk").first()
    if case is None:
        messages.info(request, gettext("The queue is empty: nothing more to do here."))
        return redirect(reverse("dispatch:queue", args=[spec.key]))
    return redirect(reverse("dispatch:case", args=[case.pk]) + "?" + urlencode({"queue": spec.key}))

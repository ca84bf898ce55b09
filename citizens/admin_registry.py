"""Admin: key groups (configurable tags) and organisations are edited here; places are shown
read-only; persons are not in the admin at all (their reads must go through citizens.access,
which logs them). The access log is read-only. The import page checks a file, shows the
report, and imports the good rows only when confirmed."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.admin import ReadOnlyMixin
from citizens.import_jobs import import_dir, import_job_get, import_job_start
from citizens.models import Building, Dwelling, KeyGroup, Organisation, Parcel, PersonAccessLog
from config.staging import stage_upload

IMPORT_PERMISSION = "citizens.add_person"
SESSION_KEY = "citizens_import"


@admin.register(KeyGroup)
class KeyGroupAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "is_active"]
    list_filter = ["is_active"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["credit_code", "name", "building", "grid"]
    search_fields = ["credit_code", "name"]
    raw_id_fields = ["building", "dwelling", "grid"]


@admin.register(Parcel)
class ParcelAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["code", "name", "grid"]
    search_fields = ["code", "name"]


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("What the file holds"),
        choices=[
            ("buildings", gettext_lazy("Buildings")),
            ("dwellings", gettext_lazy("Dwellings")),
            ("persons", gettext_lazy("Persons")),
        ],
    )
    file = forms.FileField(label=gettext_lazy("CSV or XLSX file"))


@admin.register(Building)
class BuildingAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["code", "address", "floors", "use", "grid"]
    search_fields = ["code", "address"]
    list_filter = ["use"]
    change_list_template = "admin/citizens/building/change_list.html"

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="citizens_registry_import",
            ),
            path(
                "import/status/",
                self.admin_site.admin_view(self.import_status),
                name="citizens_registry_import_status",
            ),
            *super().get_urls(),
        ]

    def _pending(self, request: HttpRequest) -> dict[str, Any] | None:
        """The job this session uploaded, if it is still known."""
        pending = request.session.get(SESSION_KEY)
        if not pending:
            return None
        return import_job_get(pending["token"])

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Step 1: upload; the check runs as a job with a progress bar (nothing written).
        Step 2: the report, and on confirmation the import of the good rows, also a job."""
        if not request.user.has_perm(IMPORT_PERMISSION):
            raise PermissionDenied
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "title": _("Import the registry"),
            "opts": self.model._meta,
        }
        if request.method == "POST" and "confirm" in request.POST:
            return self._confirm(request)
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            suffix = Path(upload.name).suffix.lower()
            if suffix not in (".csv", ".xlsx"):
                form.add_error("file", _("A .csv or .xlsx file, please."))
            else:
                token = uuid.uuid4().hex
                stage_upload(import_dir() / f"{token}{suffix}", upload.chunks())
                request.session[SESSION_KEY] = {"token": token}
                import_job_start(
                    token=token,
                    kind=form.cleaned_data["kind"],
                    suffix=suffix,
                    name=upload.name,
                    user_id=request.user.pk,  # type: ignore[arg-type]  # the admin: logged in
                    commit=False,
                )
                return redirect("admin:citizens_registry_import")
        job = self._pending(request) if request.method == "GET" else None
        if job is not None and job["state"] == "done":
            # Shown once: the next visit starts afresh.
            request.session.pop(SESSION_KEY, None)
        context.update(form=form, job=job)
        return TemplateResponse(request, "admin/citizens/import.html", context)

    def import_status(self, request: HttpRequest) -> JsonResponse:
        """The running job's progress, polled by the page's bar."""
        if not request.user.has_perm(IMPORT_PERMISSION):
            raise PermissionDenied
        job = self._pending(request)
        if job is None:
            return JsonResponse({"state": "gone"}, status=404)
        return JsonResponse({key: job[key] for key in ("state", "label", "done", "total")})

    def _confirm(self, request: HttpRequest) -> HttpResponse:
        pending = request.session.get(SESSION_KEY) or {}
        job = self._pending(request)
        if (
            job is None
            or pending.get("token") != request.POST.get("token")
            or job["state"] != "checked"
        ):
            messages.error(request, _("That import is no longer waiting; check the file again."))
            return redirect("admin:citizens_registry_import")
        import_job_start(
            token=job["token"],
            kind=job["kind"],
            suffix=job["suffix"],
            name=job["name"],
            user_id=request.user.pk,  # type: ignore[arg-type]  # the admin: logged in
            commit=True,
        )
        return redirect("admin:citizens_registry_import")


@admin.register(Dwelling)
class DwellingAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["building", "unit", "floor", "room", "use", "grid"]
    list_select_related = ["building"]
    search_fields = ["building__code", "room"]


@admin.register(PersonAccessLog)
class PersonAccessLogAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["accessed_at", "user", "role", "person", "purpose", "full", "reason"]
    list_filter = ["purpose", "full", "role"]
    search_fields = ["user__username", "reason", "grid_code"]
    list_select_related = ["user"]

"""Admin: key groups (configurable tags) and organisations are edited here; places are shown
read-only; persons are not in the admin at all (their reads must go through citizens.access,
which logs them). The access log is read-only. The import page checks a file, shows the
report, and imports the good rows only when confirmed."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.admin import ReadOnlyMixin
from citizens.importer import ImportFileError, registry_import
from citizens.models import Building, Dwelling, KeyGroup, Organisation, Parcel, PersonAccessLog

IMPORT_PERMISSION = "citizens.add_person"
SESSION_KEY = "citizens_import"


UNCONFIRMED_TTL_SECONDS = 24 * 3600


def import_dir() -> Path:
    """The waiting folder, cleared of uploads nobody confirmed within a day (personal data
    must not linger on disk)."""
    folder = Path(settings.REGISTRY_IMPORT_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - UNCONFIRMED_TTL_SECONDS
    for stale in folder.iterdir():
        if stale.is_file() and stale.stat().st_mtime < cutoff:
            stale.unlink(missing_ok=True)
    return folder


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
            *super().get_urls(),
        ]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Step 1: upload and check (nothing written). Step 2: confirm, import the good rows."""
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
            token = uuid.uuid4().hex
            stored = import_dir() / f"{token}{suffix}"
            with stored.open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            try:
                with stored.open("rb") as data:
                    report = registry_import(
                        kind=form.cleaned_data["kind"], data=data, filename=upload.name
                    )
            except ImportFileError as exc:
                stored.unlink(missing_ok=True)
                form.add_error("file", str(exc))
            else:
                request.session[SESSION_KEY] = {
                    "token": token,
                    "suffix": suffix,
                    "kind": form.cleaned_data["kind"],
                    "name": upload.name,
                }
                context["report"] = report
                context["errors_shown"] = report.errors[:500]
        context["form"] = form
        return TemplateResponse(request, "admin/citizens/import.html", context)

    def _confirm(self, request: HttpRequest) -> HttpResponse:
        pending = request.session.pop(SESSION_KEY, None)
        if not pending or pending.get("token") != request.POST.get("token"):
            messages.error(request, _("That import is no longer waiting; check the file again."))
            return redirect("admin:citizens_registry_import")
        stored = import_dir() / f"{pending['token']}{pending['suffix']}"
        try:
            with stored.open("rb") as data:
                report = registry_import(
                    kind=pending["kind"], data=data, filename=pending["name"], commit=True
                )
        except (ImportFileError, OSError) as exc:
            messages.error(request, str(exc))
            return redirect("admin:citizens_registry_import")
        finally:
            stored.unlink(missing_ok=True)
        messages.success(
            request,
            _("%(imported)s rows imported; %(bad)s rows with errors were left out.")
            % {"imported": report.imported, "bad": report.bad_rows},
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

"""Admin: categories and layers are edited here; a dataset is imported through a page that
checks the file as a job with a progress bar, shows the report, and writes only when
confirmed (and only a file without a bad row)."""

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

from config.staging import stage_upload
from grids.models import Role, Unit
from layers.import_jobs import import_dir, import_job_get, import_job_start
from layers.importer import FORMATS, LAYER_CODE, ImportOptions
from layers.models import Feature, FeatureCluster, Layer, LayerCategory, LayerImport
from layers.models import UpdateFrequency as Frequency
from layers.selectors import Freshness, layer_freshness

IMPORT_PERMISSION = "layers.add_layer"
SESSION_KEY = "layers_import"


@admin.register(LayerCategory)
class LayerCategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "kind", "ordering"]
    list_editable = ["ordering"]
    list_filter = ["kind"]


class LayerForm(forms.ModelForm):
    external_url = forms.URLField(
        label=Layer._meta.get_field("external_url").verbose_name,
        help_text=Layer._meta.get_field("external_url").help_text,
        max_length=1000,
        required=False,
        assume_scheme="https",
    )
    roles = forms.MultipleChoiceField(
        label=gettext_lazy("visible to roles"),
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("None ticked: every role of the staff sees the layer."),
    )

    class Meta:
        model = Layer
        fields = [
            "code",
            "name",
            "name_en",
            "description",
            "owner",
            "category",
            "geometry_type",
            "source",
            "table",
            "external_kind",
            "external_url",
            "external_options",
            "style",
            "roles",
            "regions",
            "min_zoom",
            "update_frequency",
            "last_updated_at",
            "is_active",
        ]


@admin.register(Layer)
class LayerAdmin(admin.ModelAdmin):
    form = LayerForm
    list_display = [
        "code",
        "name",
        "category",
        "owner",
        "source",
        "feature_count",
        "last_updated_at",
        "freshness",
        "is_active",
    ]
    list_filter = ["category", "source", "update_frequency", "is_active"]
    search_fields = ["code", "name", "name_en", "owner__name"]
    list_select_related = ["category", "owner"]
    autocomplete_fields = ["owner"]
    filter_horizontal = ["regions"]
    readonly_fields = [
        "feature_count",
        "recent_feature_count",
        "stats_at",
        "extent",
        "cluster_max_zoom",
        "created_at",
        "updated_at",
    ]
    change_list_template = "admin/layers/layer/change_list.html"

    @admin.display(description=gettext_lazy("freshness"))
    def freshness(self, obj: Layer) -> str:
        return str(dict(Freshness.choices)[layer_freshness(obj)])

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> tuple[Any, ...]:
        # A dataset's 200,000 features would each be listed on the confirmation page: say
        # how many instead.
        layers = list(objs)
        features = Feature.objects.filter(layer__in=layers).count()
        perms_needed = (
            set() if self.has_delete_permission(request) else {str(Layer._meta.verbose_name)}
        )
        summary = [str(layer) for layer in layers]
        counts = {
            str(Layer._meta.verbose_name_plural): len(layers),
            str(Feature._meta.verbose_name_plural): features,
            str(FeatureCluster._meta.verbose_name_plural): FeatureCluster.objects.filter(
                layer__in=layers
            ).count(),
        }
        return summary, counts, perms_needed, []

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="layers_layer_import",
            ),
            path(
                "import/status/",
                self.admin_site.admin_view(self.import_status),
                name="layers_layer_import_status",
            ),
            *super().get_urls(),
        ]

    def _pending(self, request: HttpRequest) -> dict[str, Any] | None:
        pending = request.session.get(SESSION_KEY)
        if not pending:
            return None
        return import_job_get(pending["token"])

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Step 1: upload; the check runs as a job with a progress bar (nothing written).
        Step 2: the report; when it found no bad row, the import on confirmation, a job too."""
        if not request.user.has_perm(IMPORT_PERMISSION):
            raise PermissionDenied
        if request.method == "POST" and "confirm" in request.POST:
            return self._confirm(request)
        form = LayerImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            suffix = Path(upload.name).suffix.lower()
            token = uuid.uuid4().hex
            stage_upload(import_dir() / f"{token}{suffix}", upload.chunks())
            request.session[SESSION_KEY] = {"token": token}
            import_job_start(
                token=token,
                suffix=suffix,
                name=upload.name,
                options=form.import_options(user_id=request.user.pk, file_name=upload.name),
                commit=False,
            )
            return redirect("admin:layers_layer_import")
        job = self._pending(request) if request.method == "GET" else None
        if job is not None and job["state"] == "done":
            request.session.pop(SESSION_KEY, None)  # shown once
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "title": _("Import a dataset as a layer"),
            "opts": self.model._meta,
            "form": form,
            "job": job,
        }
        return TemplateResponse(request, "admin/layers/import.html", context)

    def import_status(self, request: HttpRequest) -> JsonResponse:
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
            or (job.get("report") or {}).get("problem_count")
        ):
            messages.error(request, _("That import is no longer waiting; check the file again."))
            return redirect("admin:layers_layer_import")
        import_job_start(
            token=job["token"],
            suffix=job["suffix"],
            name=job["name"],
            options=ImportOptions(**job["options"]),
            commit=True,
        )
        return redirect("admin:layers_layer_import")


class LayerImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy(
            "GeoJSON, CSV (lon and lat columns, or a WKT column), a zipped Shapefile "
            "(.shp, .shx, .dbf, .prj) or a GeoPackage."
        ),
    )
    code = forms.CharField(
        label=gettext_lazy("Layer code"),
        max_length=64,
        help_text=gettext_lazy("An existing dataset layer's code updates that layer."),
    )
    name = forms.CharField(label=gettext_lazy("Name (Chinese)"), max_length=100)
    name_en = forms.CharField(label=gettext_lazy("Name (English)"), max_length=100, required=False)
    category = forms.ModelChoiceField(
        label=gettext_lazy("Category"), queryset=LayerCategory.objects.all(), to_field_name="code"
    )
    owner = forms.ModelChoiceField(
        label=gettext_lazy("Owner agency"),
        queryset=Unit.objects.filter(is_active=True).order_by("kind", "code"),
        to_field_name="code",
        required=False,
    )
    frequency = forms.ChoiceField(
        label=gettext_lazy("Update frequency"), choices=Frequency.choices, initial=Frequency.MONTHLY
    )
    srid = forms.IntegerField(
        label=gettext_lazy("Coordinate system (EPSG)"),
        required=False,
        min_value=1,
        help_text=gettext_lazy("Only if the file does not say (a Shapefile without .prj)."),
    )
    gcj02 = forms.BooleanField(
        label=gettext_lazy("Coordinates are GCJ-02 (from a Chinese web map)"), required=False
    )
    key_field = forms.CharField(
        label=gettext_lazy("Key column"),
        required=False,
        help_text=gettext_lazy(
            "The column with each row's unique id; re-imports match rows by it."
        ),
    )
    name_field = forms.CharField(label=gettext_lazy("Name column"), required=False)
    layer_name = forms.CharField(
        label=gettext_lazy("Layer inside the file"),
        required=False,
        help_text=gettext_lazy("A GeoPackage with several layers: which one."),
    )
    encoding = forms.CharField(label=gettext_lazy("Text encoding"), initial="utf-8")

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in FORMATS:
            raise forms.ValidationError(_("A .geojson, .json, .csv, .zip or .gpkg file, please."))
        return upload

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip()
        if not LAYER_CODE.match(code):
            raise forms.ValidationError(_("Letters, digits, hyphens and underscores."))
        return code

    def import_options(self, *, user_id: int | None, file_name: str) -> ImportOptions:
        data = self.cleaned_data
        return ImportOptions(
            code=data["code"],
            name=data["name"],
            name_en=data["name_en"],
            category=data["category"].code,
            owner=data["owner"].code if data["owner"] else "",
            srid=data["srid"],
            gcj02=data["gcj02"],
            layer_name=data["layer_name"],
            key_field=data["key_field"],
            name_field=data["name_field"],
            encoding=data["encoding"] or "utf-8",
            frequency=data["frequency"],
            user_id=user_id,
            file_name=file_name,
        )


@admin.register(LayerImport)
class LayerImportAdmin(admin.ModelAdmin):
    list_display = [
        "imported_at",
        "layer",
        "file_name",
        "file_format",
        "user",
        "added",
        "changed",
        "unchanged",
        "removed",
    ]
    list_filter = ["file_format"]
    search_fields = ["layer__code", "file_name"]
    list_select_related = ["layer", "user"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

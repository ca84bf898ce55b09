from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from leaflet.admin import LeafletGeoAdmin

from grids.cameras import CameraInput, camera_errors
from grids.emergency import ResourceInput, resource_save
from grids.geo import area_m2
from grids.models import Asset, Camera, EmergencyResource, Post, Region, ResourceKind, Unit, User


class PostInline(admin.TabularInline):
    model = Post
    extra = 0
    autocomplete_fields = ["region", "unit"]


@admin.register(User)
class WanggeUserAdmin(UserAdmin):
    inlines = [PostInline]
    list_display = ["username", "first_name", "last_name", "masked_phone", "is_staff", "is_active"]
    fieldsets = (*(UserAdmin.fieldsets or ()), (_("Contact"), {"fields": ("phone",)}))
    # Found by the whole number without listing it (citizens' accounts are users too).
    search_fields = [*UserAdmin.search_fields, "=phone"]

    @admin.display(description=_("phone"))
    def masked_phone(self, obj: User) -> str:
        phone = obj.phone or ""
        return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else phone


@admin.register(Region)
class RegionAdmin(LeafletGeoAdmin):
    list_display = ["code", "name", "level", "kind", "parent", "area_m2"]
    list_filter = ["level", "kind"]
    search_fields = ["code", "name"]
    readonly_fields = ["area_m2"]
    autocomplete_fields = ["parent"]
    list_select_related = ["parent"]

    def save_model(self, request: HttpRequest, obj: Region, form: Any, change: bool) -> None:
        # Area is derived from the boundary; keep it in step with whatever was drawn.
        obj.area_m2 = area_m2(obj.geom)
        super().save_model(request, obj, form, change)


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "region", "phone", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["region"]


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "inspector_type", "region", "unit", "is_active"]
    list_filter = ["role", "is_active"]
    search_fields = ["user__username", "region__code", "region__name", "unit__name"]
    autocomplete_fields = ["user", "region", "unit"]


@admin.register(Asset)
class AssetAdmin(LeafletGeoAdmin):
    list_display = ["code", "name", "major_class", "minor_class", "grid", "in_charge_unit"]
    list_filter = ["major_class"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["grid", "in_charge_unit", "owner_unit", "maintenance_unit"]


class CameraForm(forms.ModelForm):
    stream_url = forms.URLField(
        label=_("HLS stream URL"),
        help_text=Camera._meta.get_field("stream_url").help_text,
        max_length=500,
        required=False,
        assume_scheme="https",
    )
    snapshot_url = forms.URLField(
        label=_("snapshot URL"), max_length=500, required=False, assume_scheme="https"
    )

    class Meta:
        model = Camera
        fields = [
            "place",
            "direction_deg",
            "owner_unit",
            "state",
            "stream_url",
            "rtsp_url",
            "snapshot_url",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        owner = data.get("owner_unit")
        errors = camera_errors(
            CameraInput(
                place=data.get("place") or "",
                direction_deg=data.get("direction_deg"),
                owner_code=owner.code if owner else "",
                stream_url=data.get("stream_url") or "",
                rtsp_url=data.get("rtsp_url") or "",
                snapshot_url=data.get("snapshot_url") or "",
                state=data.get("state") or "",
            )
        )
        fields = {"direction": "direction_deg", "owner": "owner_unit"}
        for name, messages in errors.items():
            for message in messages:
                self.add_error(fields.get(name, name), message)
        return data


class CameraInline(admin.StackedInline):
    """A camera's stream and state, on its emergency resource (kind camera)."""

    model = Camera
    form = CameraForm
    extra = 1
    max_num = 1
    can_delete = False
    autocomplete_fields = ["owner_unit"]


@admin.register(EmergencyResource)
class EmergencyResourceAdmin(LeafletGeoAdmin):
    list_display = ["code", "name", "kind", "region", "capacity", "contact", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name", "contact"]
    readonly_fields = ["region", "updated_at"]
    list_select_related = ["region"]
    inlines = [CameraInline]

    def get_inlines(self, request: HttpRequest, obj: EmergencyResource | None) -> list[Any]:
        return [CameraInline] if obj is not None and obj.kind == ResourceKind.CAMERA else []

    def save_model(
        self, request: HttpRequest, obj: EmergencyResource, form: Any, change: bool
    ) -> None:
        # Through the service, which places the resource in the grid under its point.
        if change and "code" in form.changed_data:
            EmergencyResource.objects.filter(pk=obj.pk).update(code=obj.code)
        saved = resource_save(
            data=ResourceInput(
                code=obj.code,
                kind=obj.kind,
                name=obj.name,
                lon=obj.point.x,
                lat=obj.point.y,
                capacity=obj.capacity,
                contact=obj.contact,
                details=obj.details,
                is_active=obj.is_active,
            )
        )
        obj.pk = saved.pk
        obj.region = saved.region

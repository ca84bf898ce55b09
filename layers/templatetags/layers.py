"""Template helpers of the data centre and the map's layer panel."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def share(value: float | None) -> str:
    """0.097 → "9.7 %"; None → "—"."""
    if value is None:
        return "—"
    return f"{value * 100:.1f} %"


@register.inclusion_tag("layers/_panel.html")
def layer_panel() -> dict[str, Any]:
    """The map's layer panel: a container and its words; static/layers/panel.js fills it."""
    return {"strings": panel_strings()}


def panel_strings() -> dict[str, Any]:
    return {
        "title": _("Layers"),
        "search": _("Search layers"),
        "features": _("features"),
        "zoom_in": _("zoom in to see"),
        "more": _("more in view; zoom in"),
        "stale": _("stale"),
        "loading": _("Loading…"),
        "failed": _("The layer could not be loaded."),
        "none": _("No layers match."),
        "cluster": _("%(n)s features here; zoom in"),
        "no_attributes": _("No attributes."),
        "open": _("Open its page"),
        "play": _("Play"),
        "close": _("Close"),
        "no_stream": _("No live stream for this camera."),
        "stream_failed": _("The stream could not be played."),
        "snapshot": _("Snapshot"),
        "direction": _("direction"),
        "external_note": _("Drawn by the owner's service; attributes are not available."),
    }


@register.inclusion_tag("layers/_case_cameras.html")
def case_cameras() -> dict[str, Any]:
    """The case page's nearest cameras, with a player; static/layers/case-cameras.js fills it."""
    return {
        "strings": {
            **panel_strings(),
            "none": _("No camera within reach."),
            "m": _("m"),
            "km": _("km"),
            "camera": _("Camera"),
        }
    }


@register.inclusion_tag("layers/_case_cameras_scripts.html")
def case_cameras_scripts() -> dict[str, Any]:
    return {}

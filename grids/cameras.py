"""Cameras: what a camera row holds beyond its emergency resource, checked and written.

A camera is an emergency resource of kind camera (so emergency linkage finds it) plus a
`Camera` row: its place, direction, owner, HLS stream for browsers, RTSP address for the
operators' gateways, snapshot and state. `import_resources` reads the camera columns below.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from grids.models import Camera, CameraState, EmergencyResource, ResourceKind, Unit

# Optional CSV columns of import_resources that only cameras may fill.
CAMERA_COLUMNS = (
    "place",
    "direction",
    "owner",
    "stream_url",
    "rtsp_url",
    "snapshot_url",
    "state",
)


@dataclass(frozen=True)
class CameraInput:
    place: str = ""
    direction_deg: int | None = None
    owner_code: str = ""
    stream_url: str = ""
    rtsp_url: str = ""
    snapshot_url: str = ""
    state: str = ""


def _is_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def is_hls_url(value: str) -> bool:
    """An http(s) URL whose path names an HLS playlist (.m3u8)."""
    return _is_http_url(value) and urlsplit(value).path.lower().endswith(".m3u8")


def camera_errors(data: CameraInput) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if len(data.place) > 200:
        errors["place"] = [_("At most %(n)d characters.") % {"n": 200}]
    if data.direction_deg is not None and not 0 <= data.direction_deg <= 359:
        errors["direction"] = [_("Degrees from north, 0 to 359.")]
    if data.stream_url and not is_hls_url(data.stream_url):
        errors["stream_url"] = [_("An http(s) URL of an HLS playlist ending in .m3u8.")]
    if data.rtsp_url and urlsplit(data.rtsp_url).scheme not in ("rtsp", "rtsps"):
        errors["rtsp_url"] = [_("An rtsp:// or rtsps:// URL.")]
    if data.snapshot_url and not _is_http_url(data.snapshot_url):
        errors["snapshot_url"] = [_("An http(s) URL of an image.")]
    for name, value in (
        ("stream_url", data.stream_url),
        ("rtsp_url", data.rtsp_url),
        ("snapshot_url", data.snapshot_url),
    ):
        if len(value) > 500:
            errors[name] = [_("At most %(n)d characters.") % {"n": 500}]
    if data.state and data.state not in CameraState.values:
        errors["state"] = [
            _("Unknown state; use one of: %(states)s.") % {"states": ", ".join(CameraState.values)}
        ]
    if data.owner_code and not Unit.objects.filter(code=data.owner_code).exists():
        errors["owner"] = [_("No unit with the code %(code)s.") % {"code": data.owner_code}]
    return errors


def camera_input_from_row(row: dict[str, str]) -> tuple[CameraInput | None, dict[str, list[str]]]:
    """The camera columns of a CSV row (None when the row fills none of them)."""
    values = {name: (row.get(name) or "").strip() for name in CAMERA_COLUMNS}
    if not any(values.values()):
        return None, {}
    errors: dict[str, list[str]] = {}
    direction: int | None = None
    if values["direction"]:
        try:
            number = float(values["direction"])
        except ValueError:
            number = math.nan
        if not math.isfinite(number) or number != int(number):
            errors["direction"] = [_("A whole number of degrees is required.")]
        else:
            direction = int(number)
    data = CameraInput(
        place=values["place"],
        direction_deg=direction,
        owner_code=values["owner"],
        stream_url=values["stream_url"],
        rtsp_url=values["rtsp_url"],
        snapshot_url=values["snapshot_url"],
        state=values["state"],
    )
    return data, {**camera_errors(data), **errors}


def camera_write(resource: EmergencyResource, data: CameraInput | None) -> Camera | None:
    """Create or update the camera row of a camera resource from its input; with no input
    (a CSV row without camera columns) an existing row is left as it is.

    The state follows the stream when the input does not name one: a camera with a stream is
    online, one without has no live stream.
    """
    if data is None:
        return None
    owner = Unit.objects.filter(code=data.owner_code).first() if data.owner_code else None
    state = data.state or (CameraState.ONLINE if data.stream_url else CameraState.NO_STREAM)
    camera, _created = Camera.objects.update_or_create(
        resource=resource,
        defaults={
            "place": data.place,
            "direction_deg": data.direction_deg,
            "owner_unit": owner,
            "stream_url": data.stream_url,
            "rtsp_url": data.rtsp_url,
            "snapshot_url": data.snapshot_url,
            "state": state,
        },
    )
    return camera


# --- reading --------------------------------------------------------------------------------


def cameras_qs() -> QuerySet[EmergencyResource]:
    """Active camera resources with their camera rows (a camera imported before cameras had
    rows has none: it shows as having no stream)."""
    return EmergencyResource.objects.filter(
        is_active=True, kind=ResourceKind.CAMERA
    ).select_related("camera__owner_unit")


def camera_of(resource: EmergencyResource) -> Camera | None:
    try:
        return resource.camera
    except Camera.DoesNotExist:
        return None


def camera_out(resource: EmergencyResource) -> dict[str, Any]:
    """A camera as the browser's player sees it: the HLS stream only while the camera is
    online, never the RTSP address (it often carries credentials; the gateway's host is
    enough for an operator), the snapshot and the state."""
    camera = camera_of(resource)
    state = camera.state if camera else CameraState.NO_STREAM
    return {
        "id": resource.pk,
        "code": resource.code,
        "name": resource.name,
        "place": camera.place if camera else "",
        "direction_deg": camera.direction_deg if camera else None,
        "owner": camera.owner_unit.name if camera and camera.owner_unit else "",
        "state": state,
        "state_label": str(CameraState(state).label),
        "stream_url": camera.stream_url if camera and state == CameraState.ONLINE else "",
        "snapshot_url": camera.snapshot_url if camera else "",
        "gateway": urlsplit(camera.rtsp_url).hostname or "" if camera and camera.rtsp_url else "",
        "lon": resource.point.x,
        "lat": resource.point.y,
    }

"""The outside origins the pages' Content-Security-Policy must allow for layers and cameras.

The map draws external layers straight from their owners' services (WMS, WMTS, XYZ tiles:
images; a GeoJSON URL: fetched), and the camera player fetches HLS playlists and segments from
the video gateway (hls.js: fetch/XHR, then a MediaSource behind a blob: URL; Safari: the video
element itself). Those origins are data, registered in the admin, so the policy derives them
from the active external layers and cameras, plus LAYER_EXTERNAL_ORIGINS for any the data does
not name. The policy (django-csp, issue 14) adds these to its sources:

    img-src      tiles of WMS/WMTS/XYZ layers, camera snapshots
    connect-src  external GeoJSON layers, HLS streams (hls.js)
    media-src    'self' blob: (MediaSource) and HLS streams (native HLS)
    worker-src   'self' (hls.js loads static/vendor/hls.worker.js, not a blob:)
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache

from grids.models import Camera, CameraState
from layers.models import ExternalKind, Layer, SourceKind

CACHE_KEY = "layers:csp-origins"
CACHE_SECONDS = 300


def origin(url: str) -> str | None:
    """scheme://host[:port] of an http(s) URL (a tile template's {s} becomes *)."""
    parts = urlsplit(url.replace("{s}", "__sub__"))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.replace("__sub__", "*")
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


def external_origins() -> dict[str, list[str]]:
    """The origins to add, by directive, each list sorted (cached for a few minutes)."""
    cached = cache.get(CACHE_KEY)
    if cached is not None:
        return cached
    images: set[str] = set()
    connect: set[str] = set()
    media: set[str] = set()
    for kind, url in Layer.objects.filter(source=SourceKind.EXTERNAL, is_active=True).values_list(
        "external_kind", "external_url"
    ):
        found = origin(url)
        if found is None:
            continue
        (connect if kind == ExternalKind.GEOJSON else images).add(found)
    streams = (
        Camera.objects.filter(resource__is_active=True, state=CameraState.ONLINE)
        .exclude(stream_url="")
        .values_list("stream_url", flat=True)
        .distinct()
    )
    for url in streams.iterator():
        found = origin(url)
        if found:
            connect.add(found)
            media.add(found)
    snapshots = Camera.objects.exclude(snapshot_url="").values_list("snapshot_url", flat=True)
    for url in snapshots.distinct().iterator():
        found = origin(url)
        if found:
            images.add(found)
    for url in settings.LAYER_EXTERNAL_ORIGINS:
        found = origin(url)
        if found:
            images.add(found)
            connect.add(found)
            media.add(found)
    result = {
        "img-src": sorted(images),
        "connect-src": sorted(connect),
        "media-src": ["blob:", *sorted(media)],
        "worker-src": [],
    }
    cache.set(CACHE_KEY, result, CACHE_SECONDS)
    return result

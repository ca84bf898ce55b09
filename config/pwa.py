"""The two handheld apps served by the platform: the inspector's 城管通 at /m/ and the citizens'
app at /c/. Each is a page (the app shell), a web app manifest and a service worker served
from inside the app's path, so that the worker's scope is the app.

The apps are clients of the public REST API and nothing more; these views only hand over the
shell: the static files, the base-map setting and the app's words in the reader's language.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from config.pwa_strings import citizen_strings, inspector_strings


@dataclass(frozen=True)
class App:
    key: str  # "m" or "c": the URL path and the static folder
    template: str
    scripts: tuple[str, ...]  # module entry points (static paths)
    styles: tuple[str, ...]
    theme_color: str

    @property
    def scope(self) -> str:
        return f"/{self.key}/"


# Every file a screen needs, cached by the service worker at install: the app opens offline.
_COMMON_MODULES = ("pwa/common/data.js", "pwa/common/ui.js", "pwa/common/field.js")
# Leaflet waits until a screen shows a map (field.js mapReady): not on the first load's path.
_LEAFLET = ("leaflet/leaflet.js", "leaflet/leaflet.css")
_STYLES = ("pwa/app.css",)

APPS = {
    "m": App(
        key="m",
        template="pwa/inspector.html",
        scripts=("pwa/m/app.js",),
        styles=_STYLES,
        theme_color="#0b5cab",
    ),
    "c": App(
        key="c",
        template="pwa/citizen.html",
        scripts=("pwa/c/app.js",),
        styles=_STYLES,
        theme_color="#0f766e",
    ),
}
ICONS = (("pwa/icons/icon-192.png", "192x192"), ("pwa/icons/icon-512.png", "512x512"))


def _app(key: str) -> App:
    try:
        return APPS[key]
    except KeyError:
        raise Http404(key) from None


def _shell_files(app: App) -> list[str]:
    """The static URLs the worker caches at install (hashed names in production)."""
    paths = [
        *_LEAFLET,
        *app.styles,
        *_COMMON_MODULES,
        *app.scripts,
        *(path for path, _size in ICONS),
        "leaflet/images/marker-icon.png",
        "leaflet/images/marker-icon-2x.png",
        "leaflet/images/marker-shadow.png",
    ]
    return [static(path) for path in paths]


def base_map() -> dict[str, Any]:
    """The dashboard's base-map setting (LEAFLET_CONFIG), as the apps' maps use it."""
    config = settings.LEAFLET_CONFIG
    tiles = config.get("TILES")
    attribution = config.get("ATTRIBUTION", "")
    if isinstance(tiles, list | tuple) and tiles:
        # django-leaflet's list form: [(name, url, options), …]; the first layer is the base.
        first = tiles[0]
        url = first[1] if len(first) > 1 else ""
        options = first[2] if len(first) > 2 and isinstance(first[2], dict) else {}
        attribution = options.get("attribution", attribution)
    else:
        url = str(tiles or "")
    return {
        "tiles": url,
        "attribution": str(attribution or ""),
        "center": list(config.get("DEFAULT_CENTER", (36.105, 120.37))),
        "zoom": config.get("DEFAULT_ZOOM", 13),
        "min_zoom": config.get("MIN_ZOOM", 3),
        "max_zoom": config.get("MAX_ZOOM", 19),
    }


@require_GET
def app_page(request: HttpRequest, key: str) -> HttpResponse:
    app = _app(key)
    strings = inspector_strings() if app.key == "m" else citizen_strings()
    config = {
        "app": app.key,
        "scope": app.scope,
        "api": "/api/v1/",
        "sw": f"{app.scope}sw.js",
        "language": translation.get_language(),
        "map": base_map(),
        "debug": settings.DEBUG,
        "leaflet": {"js": static(_LEAFLET[0]), "css": static(_LEAFLET[1])},
        "marker_icons": {
            "icon": static("leaflet/images/marker-icon.png"),
            "icon2x": static("leaflet/images/marker-icon-2x.png"),
            "shadow": static("leaflet/images/marker-shadow.png"),
        },
    }
    context = {
        "app": app,
        "config": config,
        "strings": strings,
        "scripts": [static(path) for path in app.scripts],
        # Fetched at once with the page: the module graph costs no extra round trips.
        "modules": [static(path) for path in (*app.scripts, *_COMMON_MODULES)],
        "styles": [static(path) for path in app.styles],
        "manifest_url": f"{app.scope}manifest.webmanifest",
        "icon": static(ICONS[0][0]),
    }
    response = HttpResponse(render_to_string(app.template, context, request=request))
    # The worker refreshes the cached shell from the network whenever it can.
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
@cache_control(no_cache=True)
def manifest(request: HttpRequest, key: str) -> JsonResponse:
    app = _app(key)
    name = _("Wangge inspector (城管通)") if app.key == "m" else _("Report a problem (市民随手拍)")
    short = _("城管通") if app.key == "m" else _("随手拍")
    body = {
        "name": name,
        "short_name": short,
        "id": app.scope,
        "start_url": app.scope,
        "scope": app.scope,
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": app.theme_color,
        "lang": translation.get_language(),
        "icons": [
            {"src": static(path), "sizes": size, "type": "image/png", "purpose": "any maskable"}
            for path, size in ICONS
        ],
    }
    return JsonResponse(
        body,
        content_type="application/manifest+json",
        json_dumps_params={"ensure_ascii": False},
    )


@require_GET
def service_worker(request: HttpRequest, key: str) -> HttpResponse:
    app = _app(key)
    files = _shell_files(app)
    config = {
        "app": app.key,
        "scope": app.scope,
        "shell": app.scope,
        "files": files,
        "tiles": base_map()["tiles"],
        # A new list of files (new hashed names) is a new worker: the browser installs it.
        "version": hashlib.sha256(json.dumps(files).encode()).hexdigest()[:12],
        # Development: static names are not hashed, so the worker prefers the network.
        "network_first": settings.DEBUG,
    }
    body = render_to_string(
        "pwa/sw.js", {"config": json.dumps(config, ensure_ascii=False)}, request=request
    )
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = app.scope
    return response

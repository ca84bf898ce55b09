"""The project's URLs plus /test-hls/…: the HLS stream a browser test made with ffmpeg, served
by the live server like a camera gateway would (tests/browser/test_layers_ui.py)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import re_path
from django.views.static import serve

from config.urls import urlpatterns as project_urlpatterns

# Set by the test before the browser asks for the stream.
HLS_DIR: dict[str, Any] = {"path": None}


def hls(request: HttpRequest, path: str) -> HttpResponse:
    if HLS_DIR["path"] is None:
        raise Http404
    response = serve(request, path, document_root=HLS_DIR["path"])
    if path.endswith(".m3u8"):
        response["Content-Type"] = "application/vnd.apple.mpegurl"
    elif path.endswith(".ts"):
        response["Content-Type"] = "video/mp2t"
    return response


urlpatterns = [re_path(r"^test-hls/(?P<path>[A-Za-z0-9_.-]+)$", hls), *project_urlpatterns]

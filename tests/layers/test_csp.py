"""The security policy's outside origins come from the registered external layers and cameras."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import Point
from django.core.cache import cache

from grids.models import Camera, CameraState, EmergencyResource, ResourceKind
from layers.csp import external_origins, origin
from layers.models import Layer

pytestmark = pytest.mark.django_db


def test_origin_keeps_scheme_host_and_port_and_wildcards_subdomain_templates():
    assert origin("https://t0.tianditu.gov.cn/img_w/wmts?tk=abc") == "https://t0.tianditu.gov.cn"
    assert origin("http://10.1.2.3:8080/hls/c1.m3u8") == "http://10.1.2.3:8080"
    assert origin("https://{s}.tiles.example.cn/{z}/{x}/{y}.png") == "https://*.tiles.example.cn"
    assert origin("rtsp://10.0.0.1/1") is None


def test_the_origins_follow_the_active_external_layers_and_online_cameras(categories, settings):
    cache.clear()
    settings.LAYER_EXTERNAL_ORIGINS = ["https://tiles.city.local"]
    spatial = categories["spatial"]
    Layer.objects.create(
        code="wms",
        name="影像",
        category=spatial,
        geometry_type="polygon",
        source="external",
        external_kind="wms",
        external_url="https://wms.example.gov.cn/geoserver/wms",
    )
    Layer.objects.create(
        code="gj",
        name="外部点",
        category=spatial,
        geometry_type="point",
        source="external",
        external_kind="geojson",
        external_url="https://data.example.gov.cn/points.geojson",
    )
    Layer.objects.create(
        code="off",
        name="停用",
        category=spatial,
        geometry_type="polygon",
        source="external",
        external_kind="xyz",
        external_url="https://old.example.cn/{z}/{x}/{y}.png",
        is_active=False,
    )
    for code, state in (("C1", CameraState.ONLINE), ("C2", CameraState.OFFLINE)):
        resource = EmergencyResource.objects.create(
            code=code, name=code, kind=ResourceKind.CAMERA, point=Point(120.31, 36.09, srid=4326)
        )
        Camera.objects.create(
            resource=resource,
            state=state,
            stream_url=f"http://gw-{code.lower()}.video.local:8080/{code}.m3u8",
            snapshot_url="https://snap.video.local/s.jpg" if code == "C1" else "",
        )

    origins = external_origins()

    assert origins["img-src"] == [
        "https://snap.video.local",
        "https://tiles.city.local",
        "https://wms.example.gov.cn",
    ]
    assert origins["connect-src"] == [
        "http://gw-c1.video.local:8080",
        "https://data.example.gov.cn",
        "https://tiles.city.local",
    ]
    assert origins["media-src"] == [
        "blob:",
        "http://gw-c1.video.local:8080",
        "https://tiles.city.local",
    ]
    cache.clear()

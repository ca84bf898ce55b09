"""Cameras: imported with their stream through import_resources, served to staff by place with
what a player needs, never with the RTSP address or its credentials."""

from __future__ import annotations

import io

import pytest
from django.contrib.gis.geos import Point
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from grids.models import Camera, CameraState, EmergencyResource, ResourceKind, Role, Unit, UnitKind

pytestmark = pytest.mark.django_db

HEADER = "lon,lat,kind,name,code,place,direction,owner,stream_url,rtsp_url,snapshot_url,state\n"


@pytest.fixture
def police(district) -> Unit:
    return Unit.objects.create(
        code="370203-D10", name="区公安分局", kind=UnitKind.DEPARTMENT, region=district["370203"]
    )


def run_import(tmp_path, text: str) -> tuple[str, str]:
    path = tmp_path / "cameras.csv"
    path.write_text(text, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    call_command("import_resources", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_resources_loads_cameras_with_their_stream(tmp_path, police):
    run_import(
        tmp_path,
        HEADER + "120.305,36.085,camera,辽宁路口,CAM-1,辽宁路与延安路口,45,370203-D10,"
        "https://video.example.gov.cn/hls/1.m3u8,rtsp://u:p@10.1.1.1/1,,\n"
        + "120.306,36.086,camera,无流摄像机,CAM-2,,,,,,,\n"
        + "120.307,36.087,shelter,避难所,SH-1,,,,,,,\n",
    )
    camera = Camera.objects.select_related("resource", "owner_unit").get(resource__code="CAM-1")
    assert camera.resource.kind == ResourceKind.CAMERA
    assert camera.resource.region.code == "370203001002001"
    assert (camera.place, camera.direction_deg) == ("辽宁路与延安路口", 45)
    assert camera.owner_unit == police
    assert camera.state == CameraState.ONLINE  # a stream and no state named: online
    assert camera.rtsp_url == "rtsp://u:p@10.1.1.1/1"
    # A camera row without camera columns: a resource of kind camera with no row yet.
    assert not Camera.objects.filter(resource__code="CAM-2").exists()
    assert EmergencyResource.objects.get(code="SH-1").kind == "shelter"


def test_bad_camera_columns_import_nothing_and_name_the_line(tmp_path, police):
    text = (
        HEADER
        + "120.305,36.085,camera,a,C1,,400,,,,,\n"
        + "120.305,36.085,camera,b,C2,,,,http://x/live.mp4,,,\n"
        + "120.305,36.085,camera,c,C3,,,,,http://not-rtsp/1,,\n"
        + "120.305,36.085,camera,d,C4,,,D99,,,,\n"
        + "120.305,36.085,camera,e,C5,,,,,,,broken\n"
        + "120.305,36.085,shelter,f,S1,,90,,,,,\n"
    )
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError, match="6 bad rows"):
        call_command("import_resources", str(path), stderr=err)
    lines = err.getvalue().splitlines()
    assert len(lines) == 6
    assert "line 2: direction: Degrees from north, 0 to 359." in lines[0]
    assert "line 3: stream_url:" in lines[1]
    assert "line 4: rtsp_url:" in lines[2]
    assert "line 5: owner: No unit with the code D99." in lines[3]
    assert "line 6: state: Unknown state" in lines[4]
    assert "line 7: kind: Only cameras" in lines[5]
    assert not EmergencyResource.objects.exists()


def _camera(code: str, lon: float, lat: float, **fields: object) -> EmergencyResource:
    resource = EmergencyResource.objects.create(
        code=code, name=f"摄像机{code}", kind=ResourceKind.CAMERA, point=Point(lon, lat, srid=4326)
    )
    Camera.objects.create(resource=resource, **fields)
    return resource


def test_staff_get_the_nearest_cameras_with_distance_and_player_fields(district, make_user):
    _camera("FAR", 120.33, 36.09, state=CameraState.ONLINE, stream_url="https://v.example/far.m3u8")
    _camera(
        "NEAR",
        120.3101,
        36.09,
        state=CameraState.ONLINE,
        stream_url="https://v.example/near.m3u8",
        rtsp_url="rtsp://admin:hunter2@10.0.0.9:554/ch1",
    )
    _camera(
        "DARK", 120.311, 36.09, state=CameraState.OFFLINE, stream_url="https://v.example/d.m3u8"
    )
    client = APIClient()
    client.force_authenticate(make_user(Role.INSPECTOR, region=district["370203001001001"]))

    body = client.get("/api/v1/cameras/?near=120.31,36.09&n=2").json()

    assert [c["code"] for c in body["results"]] == ["NEAR", "DARK"]
    near, dark = body["results"]
    assert 5 < near["distance_m"] < 15
    assert near["stream_url"] == "https://v.example/near.m3u8"
    assert near["gateway"] == "10.0.0.9"
    assert dark["stream_url"] == ""  # offline: nothing to play
    assert "hunter2" not in str(body)
    assert "rtsp" not in str(body)


def test_cameras_in_a_box(district, make_user):
    _camera("IN", 120.31, 36.09)
    _camera("OUT", 120.5, 36.5)
    client = APIClient()
    client.force_authenticate(make_user(Role.DISPATCHER, region=district["370203"]))
    body = client.get("/api/v1/cameras/?bbox=120.3,36.08,120.34,36.1").json()
    assert [c["code"] for c in body["results"]] == ["IN"]
    assert body["results"][0]["state"] == "no_stream"


@pytest.mark.parametrize(
    "query", ["", "near=1,2&bbox=1,2,3,4", "near=abc", "near=200,10", "near=120,36&n=0"]
)
def test_bad_camera_queries_are_400(district, make_user, query):
    client = APIClient()
    client.force_authenticate(make_user(Role.DISPATCHER, region=district["370203"]))
    response = client.get(f"/api/v1/cameras/?{query}")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_citizens_get_no_cameras(district):
    from grids.models import User

    client = APIClient()
    client.force_authenticate(User.objects.create_user(username="c", password="pw-123456!"))
    assert client.get("/api/v1/cameras/?near=120.31,36.09").status_code == 403

"""The catalogue's API: the layers I may see (by role and region), a layer's features by box
(paged, clustered when dense and far out), one feature's attributes; foreign is a 404."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import Point
from rest_framework.test import APIClient

from grids.models import (
    Asset,
    Camera,
    CameraState,
    EmergencyResource,
    ResourceKind,
    Role,
    Unit,
    UnitKind,
)
from layers.catalogue import layers_register_builtin
from layers.importer import ImportOptions, layer_import
from layers.models import Layer
from tests.layers.conftest import point_features, write_geojson

pytestmark = pytest.mark.django_db

STREET_1 = "370203001"  # west half: lon 120.30–120.32
STREET_2 = "370203002"  # east half: lon 120.32–120.34
WEST_BOX = "120.30,36.08,120.32,36.10"
ALL_BOX = "120.29,36.07,120.35,36.11"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def world(district, make_user, categories, tmp_path):
    unit = Unit.objects.create(
        code="370203-D01", name="区城市管理局", kind=UnitKind.DEPARTMENT, region=district["370203"]
    )
    police = Unit.objects.create(
        code="370203-D10", name="区公安分局", kind=UnitKind.DEPARTMENT, region=district["370203"]
    )
    points = [(120.305, 36.085), (120.315, 36.095), (120.325, 36.085), (120.335, 36.095)]
    path = write_geojson(tmp_path / "h.geojson", point_features(points))
    layer_import(
        path=path,
        options=ImportOptions(code="hydrants", name="消火栓", category="municipal", key_field="id"),
        commit=True,
    )
    secret = write_geojson(tmp_path / "s.geojson", point_features(points[:1]))
    layer_import(
        path=secret,
        options=ImportOptions(code="dispatch-only", name="派遣专用", category="governance"),
        commit=True,
    )
    Layer.objects.filter(code="dispatch-only").update(roles=[Role.DISPATCHER])
    east = write_geojson(tmp_path / "e.geojson", point_features(points[2:]))
    layer_import(
        path=east,
        options=ImportOptions(code="east-only", name="二号街道专题", category="governance"),
        commit=True,
    )
    Layer.objects.get(code="east-only").regions.set([district[STREET_2]])
    Layer.objects.create(
        code="tianditu",
        name="天地图影像",
        category=categories["spatial"],
        geometry_type="polygon",
        source="external",
        external_kind="wms",
        external_url="https://wms.example.gov.cn/wms",
        external_options={"layers": "img"},
    )
    grids = {code: region for code, region in district.items() if len(code) == 15}
    for n, (_code, region) in enumerate(sorted(grids.items()), start=1):
        centre = region.geom.centroid
        Asset.objects.create(
            code=f"3702030118{n:06d}",
            name="路灯",
            major_class="01",
            minor_class="18",
            point=Point(centre.x, centre.y, srid=4326),
            grid=region,
            in_charge_unit=unit,
            owner_unit=unit,
            maintenance_unit=unit,
        )
    camera = EmergencyResource.objects.create(
        code="CAM-1",
        name="路口监控",
        kind=ResourceKind.CAMERA,
        point=Point(120.31, 36.09, srid=4326),
    )
    Camera.objects.create(
        resource=camera,
        state=CameraState.ONLINE,
        stream_url="https://video.example.gov.cn/live/cam1.m3u8",
        rtsp_url="rtsp://admin:secret@10.0.0.5:554/stream1",
        owner_unit=police,
        direction_deg=90,
    )
    layers_register_builtin()
    users = {
        "leader": make_user(Role.DISTRICT_LEADER, region=district["370203"]),
        "street1": make_user(Role.STREET_OFFICER, region=district[STREET_1]),
        "street2": make_user(Role.STREET_OFFICER, region=district[STREET_2]),
        "dispatcher": make_user(Role.DISPATCHER, region=district["370203"]),
        "inspector": make_user(Role.INSPECTOR, region=district["370203001001001"]),
    }
    return users


def codes(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [layer["code"] for layer in response.json()["results"]]


def test_the_leader_sees_every_layer_with_its_category_owner_count_and_update(world):
    response = client_for(world["leader"]).get("/api/v1/layers/")
    listed = codes(response)
    assert {"hydrants", "dispatch-only", "east-only", "tianditu", "assets", "cameras"} <= set(
        listed
    )
    hydrants = next(layer for layer in response.json()["results"] if layer["code"] == "hydrants")
    assert hydrants["category"]["code"] == "municipal"
    assert hydrants["feature_count"] == 4
    assert hydrants["last_updated_at"] is not None
    assert hydrants["freshness"] == "fresh"
    assert hydrants["features_url"] == "/api/v1/layers/hydrants/features/"
    cameras = next(layer for layer in response.json()["results"] if layer["code"] == "cameras")
    assert cameras["owner"] == {"code": "370203-D10", "name": "区公安分局"}
    wms = next(layer for layer in response.json()["results"] if layer["code"] == "tianditu")
    assert wms["external"]["kind"] == "wms"
    assert wms["features_url"] is None


def test_layers_limited_to_a_role_or_a_region_are_not_listed_for_others(world):
    street1 = codes(client_for(world["street1"]).get("/api/v1/layers/"))
    assert "hydrants" in street1
    assert "dispatch-only" not in street1  # dispatchers only
    assert "east-only" not in street1  # street 2 only
    assert "east-only" in codes(client_for(world["street2"]).get("/api/v1/layers/"))
    assert "dispatch-only" in codes(client_for(world["dispatcher"]).get("/api/v1/layers/"))
    # The district's dispatcher sits above street 2: a layer of street 2 is theirs to see.
    assert "east-only" in codes(client_for(world["dispatcher"]).get("/api/v1/layers/"))


def test_a_foreign_layer_is_a_404_for_its_entry_features_and_feature(world):
    client = client_for(world["street1"])
    for url in (
        "/api/v1/layers/east-only/",
        f"/api/v1/layers/east-only/features/?bbox={ALL_BOX}",
        "/api/v1/layers/dispatch-only/features/1/",
        "/api/v1/layers/no-such-layer/",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.json()["code"] == "not_found"


def test_a_citizen_sees_no_layer_and_an_anonymous_caller_is_refused(world, make_user):
    from grids.models import User

    citizen = User.objects.create_user(username="citizen", password="pw-123456!")
    # Citizens hold no post: the staff API refuses them at the door.
    assert client_for(citizen).get("/api/v1/layers/").status_code == 403
    assert (
        client_for(citizen).get(f"/api/v1/layers/hydrants/features/?bbox={ALL_BOX}").status_code
        == 403
    )
    assert APIClient().get("/api/v1/layers/").status_code in (401, 403)


def test_search_finds_layers_by_name_code_or_owner(world):
    client = client_for(world["leader"])
    assert codes(client.get("/api/v1/layers/?q=消火")) == ["hydrants"]
    assert "cameras" in codes(client.get("/api/v1/layers/?q=公安"))
    assert codes(client.get("/api/v1/layers/?category=municipal")) == ["hydrants"]


def test_features_in_a_box_are_a_geojson_feature_collection(world):
    response = client_for(world["street1"]).get(
        f"/api/v1/layers/hydrants/features/?bbox={WEST_BOX}&zoom=16"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert body["clustered"] is False
    names = sorted(f["properties"]["name"] for f in body["features"])
    assert names == ["消火栓1", "消火栓2"]  # the two in the west half
    feature = body["features"][0]
    assert feature["type"] == "Feature"
    assert feature["geometry"]["type"] == "Point"
    assert body["next"] is None


def test_features_come_in_pages_that_follow_next_without_repeats(world):
    client = client_for(world["leader"])
    url = f"/api/v1/layers/hydrants/features/?bbox={ALL_BOX}&page_size=3"
    seen: list[int] = []
    while url:
        body = client.get(url).json()
        seen += [feature["id"] for feature in body["features"]]
        url = body["next"]
    assert len(seen) == 4
    assert len(set(seen)) == 4


def test_a_table_layer_shows_only_the_rows_of_regions_i_may_see(world):
    west = client_for(world["street1"]).get(f"/api/v1/layers/assets/features/?bbox={ALL_BOX}")
    assert west.status_code == 200
    assert len(west.json()["features"]) == 4  # the 4 grids of street 1
    everything = client_for(world["leader"]).get(f"/api/v1/layers/assets/features/?bbox={ALL_BOX}")
    assert len(everything.json()["features"]) == 8
    east_asset = Asset.objects.filter(grid__code__startswith=STREET_2).first()
    foreign = client_for(world["street1"]).get(f"/api/v1/layers/assets/features/{east_asset.pk}/")
    assert foreign.status_code == 404
    own = client_for(world["street2"]).get(f"/api/v1/layers/assets/features/{east_asset.pk}/")
    assert own.status_code == 200
    attributes = {a["name"]: a["value"] for a in own.json()["attributes"]}
    assert attributes["code"] == east_asset.code
    assert attributes["maintenance_unit"] == "区城市管理局"
    assert own.json()["link"] == f"/assets/{east_asset.code}/"


def test_a_dataset_feature_shows_its_attributes(world):
    client = client_for(world["leader"])
    feature_id = client.get(f"/api/v1/layers/hydrants/features/?bbox={WEST_BOX}").json()[
        "features"
    ][0]["id"]
    body = client.get(f"/api/v1/layers/hydrants/features/{feature_id}/").json()
    attributes = {a["name"]: a["value"] for a in body["attributes"]}
    assert attributes["id"] in ("P1", "P2")
    assert attributes["pressure"] == pytest.approx(0.31, abs=0.02)
    assert body["geometry"]["type"] == "Point"


def test_a_camera_feature_carries_its_player_without_the_rtsp_credentials(world):
    client = client_for(world["inspector"])
    camera = EmergencyResource.objects.get(code="CAM-1")
    body = client.get(f"/api/v1/layers/cameras/features/{camera.pk}/").json()
    assert body["camera"]["stream_url"] == "https://video.example.gov.cn/live/cam1.m3u8"
    assert body["camera"]["state"] == "online"
    assert body["camera"]["gateway"] == "10.0.0.5"
    assert "secret" not in str(body)


def test_an_offline_camera_hands_out_no_stream(world):
    Camera.objects.filter(resource__code="CAM-1").update(state=CameraState.OFFLINE)
    camera = EmergencyResource.objects.get(code="CAM-1")
    body = client_for(world["leader"]).get(f"/api/v1/layers/cameras/features/{camera.pk}/").json()
    assert body["camera"]["stream_url"] == ""
    assert body["camera"]["state"] == "offline"


def test_below_its_min_zoom_a_layer_answers_no_features(world):
    Layer.objects.filter(code="hydrants").update(min_zoom=15)
    client = client_for(world["leader"])
    assert (
        client.get(f"/api/v1/layers/hydrants/features/?bbox={ALL_BOX}&zoom=12").json()["features"]
        == []
    )
    assert (
        len(
            client.get(f"/api/v1/layers/hydrants/features/?bbox={ALL_BOX}&zoom=15").json()[
                "features"
            ]
        )
        == 4
    )


def test_a_dense_layer_answers_counted_clusters_far_out_and_features_close_in(world, tmp_path):
    step = 0.0004
    grid = [(120.3005 + step * i, 36.0805 + step * j) for i in range(50) for j in range(40)]
    path = write_geojson(tmp_path / "dense.geojson", point_features(grid))
    layer_import(
        path=path,
        options=ImportOptions(code="dense", name="密集点", category="municipal"),
        commit=True,
    )
    layer = Layer.objects.get(code="dense")
    client = client_for(world["leader"])
    far = client.get(f"/api/v1/layers/dense/features/?bbox={ALL_BOX}&zoom=12").json()
    assert far["clustered"] is True
    assert sum(f["properties"]["count"] for f in far["features"]) == 2000
    assert len(far["features"]) < 100
    near_zoom = layer.cluster_max_zoom + 1
    near = client.get(
        f"/api/v1/layers/dense/features/?bbox=120.3,36.08,120.302,36.082&zoom={near_zoom}"
    ).json()
    assert near["clustered"] is False
    assert 0 < len(near["features"]) < 50


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("bbox=1,2,3", "bbox"),
        ("bbox=120.4,36.0,120.3,36.1", "bbox"),
        (f"bbox={ALL_BOX}&zoom=40", "zoom"),
        (f"bbox={ALL_BOX}&page_size=0", "page_size"),
        (f"bbox={ALL_BOX}&after=-1", "after"),
        ("", "bbox"),
    ],
)
def test_bad_feature_queries_are_400_with_the_field(world, query, field):
    response = client_for(world["leader"]).get(f"/api/v1/layers/hydrants/features/?{query}")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_a_feature_id_beyond_any_row_is_a_404_not_a_crash(world):
    response = client_for(world["leader"]).get(
        "/api/v1/layers/hydrants/features/99999999999999999999999/"
    )
    assert response.status_code == 404


def test_the_features_endpoint_reads_a_bounded_number_of_queries(
    world, django_assert_max_num_queries
):
    client = client_for(world["leader"])
    with django_assert_max_num_queries(8):
        client.get(f"/api/v1/layers/assets/features/?bbox={ALL_BOX}&zoom=15")


def test_the_catalogue_reads_a_bounded_number_of_queries(world, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        client_for(world["street1"]).get("/api/v1/layers/")

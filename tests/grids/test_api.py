import pytest
from rest_framework.test import APIClient

from grids.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_for(make_user):
    def _client(role, **post):
        client = APIClient()
        client.force_login(make_user(role, **post))
        return client

    return _client


@pytest.fixture
def leader(district, client_for):
    return client_for(Role.DISTRICT_LEADER, region=district["370203"])


def test_anonymous_gets_401_from_regions(district):
    assert APIClient().get("/api/v1/regions/").status_code == 401


def test_regions_are_geojson_features_with_the_contract_properties(leader):
    response = leader.get("/api/v1/regions/", {"level": "grid"})
    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert len(body["features"]) == 8
    feature = body["features"][0]
    assert feature["properties"]["code"] == "370203001001001"
    assert feature["geometry"]["type"] == "MultiPolygon"
    assert set(feature["properties"]) == {"code", "name", "level", "kind", "parent_code", "area_m2"}
    assert feature["properties"]["parent_code"] == "370203001001"
    assert feature["properties"]["kind"] == "unit"


def test_bbox_keeps_only_regions_that_reach_into_the_box(leader):
    response = leader.get(
        "/api/v1/regions/", {"level": "grid", "bbox": "120.301,36.081,120.309,36.089"}
    )
    assert [f["properties"]["code"] for f in response.json()["features"]] == ["370203001002001"]


@pytest.mark.parametrize("bbox", ["1,2,3", "a,b,c,d", "120.4,36,120.3,36.1", "0,0,0,0"])
def test_malformed_bbox_is_a_400_naming_the_field(leader, bbox):
    response = leader.get("/api/v1/regions/", {"bbox": bbox})
    assert response.status_code == 400
    assert "bbox" in response.json()["errors"]


def test_unknown_level_is_a_400(leader):
    assert leader.get("/api/v1/regions/", {"level": "planet"}).status_code == 400


def test_simplify_zero_returns_full_detail_and_bad_values_are_refused(leader):
    assert leader.get("/api/v1/regions/", {"simplify": "0"}).status_code == 200
    response = leader.get("/api/v1/regions/", {"simplify": "5"})
    assert response.status_code == 400
    assert "simplify" in response.json()["errors"]


def test_region_detail_by_code(leader):
    response = leader.get("/api/v1/regions/370203001/")
    assert response.status_code == 200
    assert response.json()["properties"]["name"]


def test_inspector_gets_404_for_a_grid_outside_their_jurisdiction(district, client_for):
    inspector = client_for(Role.INSPECTOR, region=district["370203001001001"])
    assert inspector.get("/api/v1/regions/370203001001001/").status_code == 200
    assert inspector.get("/api/v1/regions/370203002001001/").status_code == 404
    listed = {f["properties"]["code"] for f in inspector.get("/api/v1/regions/").json()["features"]}
    assert listed == {"370203", "370203001", "370203001001", "370203001001001"}


def test_locate_returns_the_chain(leader):
    response = leader.get("/api/v1/locate/", {"lon": "120.305", "lat": "36.095"})
    assert response.status_code == 200
    body = response.json()
    assert body["grid"]["code"] == "370203001001001"
    assert body["district"]["code"] == "370203"


def test_locate_outside_the_district_is_a_422(leader):
    response = leader.get("/api/v1/locate/", {"lon": "121.0", "lat": "36.5"})
    assert response.status_code == 422
    assert response.json()["code"] == "outside_district"


@pytest.mark.parametrize(
    "params", [{"lon": "x", "lat": "36"}, {"lon": "120.3"}, {"lon": "200", "lat": "36"}]
)
def test_locate_with_bad_coordinates_is_a_400_naming_the_field(leader, params):
    response = leader.get("/api/v1/locate/", params)
    assert response.status_code == 400
    assert set(response.json()["errors"]) & {"lon", "lat"}


def test_openapi_schema_and_docs_are_served(leader):
    assert leader.get("/api/schema/").status_code == 200
    docs = leader.get("/api/docs/")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()

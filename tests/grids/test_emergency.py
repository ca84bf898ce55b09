"""Emergency linkage: nearest resources and on-duty inspectors by geodesic metres.

Distances are checked against an azimuthal equidistant projection centred on the incident
point (PROJ's ellipsoidal aeqd: the distance from the centre is the geodesic distance), so
a resource placed at (east, north) metres is exactly hypot(east, north) metres away.
"""

from __future__ import annotations

import io
import math
import random
from datetime import timedelta

import pytest
from django.contrib.gis.gdal import CoordTransform, SpatialReference
from django.contrib.gis.geos import Point
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from grids import emergency
from grids.emergency import (
    ResourceInput,
    inspectors_nearest,
    metre_box,
    nearest,
    resource_save,
    resources_nearest,
)
from grids.models import EmergencyResource, InspectorPosition, Post, ResourceKind, Role
from grids.selectors import locate

pytestmark = pytest.mark.django_db

CENTRE = (120.31, 36.09)  # inside grid 370203001001002 of the box district
_codes = iter(range(1, 1_000_000))


def aeqd(lon: float, lat: float) -> SpatialReference:
    return SpatialReference(f"+proj=aeqd +lat_0={lat} +lon_0={lon} +datum=WGS84 +units=m")


def at_offset(east_m: float, north_m: float, centre: tuple[float, float] = CENTRE) -> Point:
    """The WGS84 point east_m, north_m metres from the centre (in the centre's aeqd plane)."""
    point = Point(east_m, north_m, srid=None)
    point.transform(CoordTransform(aeqd(*centre), SpatialReference(4326)))
    return Point(point.x, point.y, srid=4326)


def geodesic_m(point: Point, centre: tuple[float, float]) -> float:
    local = Point(point.x, point.y, srid=None)
    local.transform(CoordTransform(SpatialReference(4326), aeqd(*centre)))
    return math.hypot(local.x, local.y)


def add(point: Point, kind: str = ResourceKind.SHELTER, **fields: object) -> EmergencyResource:
    number = next(_codes)
    return EmergencyResource.objects.create(
        code=f"T{number}", name=f"r{number}", kind=kind, point=point, **fields
    )


def centre_point() -> Point:
    return Point(*CENTRE, srid=4326)


# --- geometry ---------------------------------------------------------------------------------


def test_metre_box_holds_every_point_at_the_radius_in_every_direction():
    for bearing in range(0, 360, 15):
        east = 5000 * math.sin(math.radians(bearing))
        north = 5000 * math.cos(math.radians(bearing))
        point = at_offset(east, north)
        x0, y0, x1, y1 = metre_box(*CENTRE, 5000.0)
        assert x0 <= point.x <= x1, bearing
        assert y0 <= point.y <= y1, bearing


def test_metre_box_gives_up_near_a_pole_and_the_antimeridian():
    assert metre_box(0.0, 88.99, 200_000.0) is None
    assert metre_box(179.99, 0.0, 5_000.0) is None
    assert metre_box(120.0, 36.0, 5_000.0) is not None


# --- nearest resources ------------------------------------------------------------------------


def test_resources_at_known_offsets_come_nearest_first_with_their_metres(district):
    offsets = {(0, 300): 300.0, (400, 0): 400.0, (0, -1000): 1000.0, (-2000, 0): 2000.0}
    offsets[(1500, 1500)] = math.hypot(1500, 1500)
    for (east, north), _metres in offsets.items():
        add(at_offset(east, north))
    found = resources_nearest(point=centre_point(), n=5, kind=ResourceKind.SHELTER)
    assert [round(near.distance_m, 1) for near in found] == pytest.approx(
        sorted(offsets.values()), abs=0.5
    )


def test_a_resource_nearer_in_metres_wins_over_one_nearer_in_degrees(district):
    # 0.0035° north ≈ 388 m; 0.0040° east ≈ 360 m at 36° N (a degree of longitude is shorter).
    north = add(Point(CENTRE[0], CENTRE[1] + 0.0035, srid=4326))
    east = add(Point(CENTRE[0] + 0.0040, CENTRE[1], srid=4326))
    found = resources_nearest(point=centre_point(), n=2, kind=ResourceKind.SHELTER)
    assert [near.obj for near in found] == [east, north]
    assert found[0].distance_m == pytest.approx(geodesic_m(east.point, CENTRE), abs=0.5)
    assert found[1].distance_m == pytest.approx(geodesic_m(north.point, CENTRE), abs=0.5)


def test_a_point_beyond_the_degree_candidates_but_nearer_in_metres_is_found(district):
    # 60 shelters ~1,113 m due north fill the first 50 candidates by degrees; one shelter
    # 0.012° east (~1,080 m) is nearer in metres though farther in degrees than all of them.
    cluster = [add(Point(CENTRE[0] + i * 1e-6, CENTRE[1] + 0.0100, srid=4326)) for i in range(60)]
    east = add(Point(CENTRE[0] + 0.0120, CENTRE[1], srid=4326))
    found = resources_nearest(point=centre_point(), n=5, kind=ResourceKind.SHELTER)
    assert found[0].obj == east
    assert [near.obj for near in found[1:]] == cluster[:4]


def test_nearest_matches_brute_force_over_random_points(district):
    rng = random.Random(7)
    for _ in range(300):
        add(
            Point(rng.uniform(120.28, 120.36), rng.uniform(36.06, 36.12), srid=4326),
            kind=rng.choice([ResourceKind.CAMERA, ResourceKind.TEAM]),
        )
    cameras = list(EmergencyResource.objects.filter(kind=ResourceKind.CAMERA))
    for _ in range(12):
        centre = (rng.uniform(120.29, 120.35), rng.uniform(36.07, 36.11))
        for n in (1, 5, 12):
            found = resources_nearest(point=Point(*centre, srid=4326), n=n, kind="camera")
            brute = sorted(cameras, key=lambda r: (geodesic_m(r.point, centre), r.pk))[:n]
            assert [near.obj.pk for near in found] == [r.pk for r in brute]
            for near, resource in zip(found, brute, strict=True):
                assert near.distance_m == pytest.approx(geodesic_m(resource.point, centre), abs=0.5)


def test_kind_filter_and_inactive_resources(district):
    shelter = add(at_offset(100, 0), kind=ResourceKind.SHELTER)
    add(at_offset(50, 0), kind=ResourceKind.SHELTER, is_active=False)
    camera = add(at_offset(10, 0), kind=ResourceKind.CAMERA)
    team = add(at_offset(0, 500), kind=ResourceKind.TEAM)
    assert [n.obj for n in resources_nearest(point=centre_point(), n=5, kind="shelter")] == [
        shelter
    ]
    # Without a kind: the n nearest of each kind, nearest first.
    assert [n.obj for n in resources_nearest(point=centre_point(), n=1)] == [camera, shelter, team]


def test_fewer_rows_than_asked_returns_them_all_and_none_returns_nothing(district):
    assert resources_nearest(point=centre_point(), n=5, kind="team") == []
    only = add(at_offset(3000, 3000), kind=ResourceKind.TEAM)
    assert [n.obj for n in resources_nearest(point=centre_point(), n=5, kind="team")] == [only]
    assert nearest(EmergencyResource.objects.all(), centre_point(), 0) == []


# --- nearest inspectors ----------------------------------------------------------------------


@pytest.fixture
def fix(db):
    def _fix(user, east: float, north: float, minutes_ago: float) -> InspectorPosition:
        now = timezone.now()
        return InspectorPosition.objects.create(
            user=user,
            point=at_offset(east, north),
            recorded_at=now - timedelta(minutes=minutes_ago),
            updated_at=now,
            accuracy_m=5.0,
        )

    return _fix


def test_on_duty_inspectors_come_nearest_first_with_the_age_of_their_fix(district, make_user, fix):
    leader = make_user(Role.DISTRICT_LEADER, region=district["370203"])
    near = make_user(Role.INSPECTOR, region=district["370203001001002"])
    far = make_user(Role.INSPECTOR, region=district["370203002001001"])
    stale = make_user(Role.INSPECTOR, region=district["370203001001001"])
    fix(near, 200, 0, minutes_ago=2)
    fix(far, 0, 900, minutes_ago=10)
    fix(stale, 10, 0, minutes_ago=31)  # older than EMERGENCY_INSPECTOR_FRESH_MINUTES (30)
    now = timezone.now()
    found = inspectors_nearest(user=leader, point=centre_point(), n=5, now=now)
    assert [i.user for i in found] == [near, far]
    assert found[0].distance_m == pytest.approx(200, abs=0.5)
    assert found[0].fix_age_s == pytest.approx(120, abs=2)
    assert found[1].fix_age_s == pytest.approx(600, abs=2)
    assert found[0].grid_codes == ("370203001001002",)


def test_freshness_window_is_a_setting(district, make_user, fix, settings):
    leader = make_user(Role.DISTRICT_LEADER, region=district["370203"])
    inspector = make_user(Role.INSPECTOR, region=district["370203001001002"])
    fix(inspector, 0, 0, minutes_ago=40)
    assert inspectors_nearest(user=leader, point=centre_point(), n=5) == []
    settings.EMERGENCY_INSPECTOR_FRESH_MINUTES = 60
    assert [i.user for i in inspectors_nearest(user=leader, point=centre_point(), n=5)] == [
        inspector
    ]


def test_inactive_users_and_posts_are_not_on_duty(district, make_user, fix):
    leader = make_user(Role.DISTRICT_LEADER, region=district["370203"])
    left = make_user(Role.INSPECTOR, region=district["370203001001002"])
    moved = make_user(Role.INSPECTOR, region=district["370203001001002"])
    fix(left, 0, 0, minutes_ago=1)
    fix(moved, 0, 0, minutes_ago=1)
    left.is_active = False
    left.save()
    Post.objects.filter(user=moved).update(is_active=False)
    assert inspectors_nearest(user=leader, point=centre_point(), n=5) == []


def test_a_street_sees_only_the_inspectors_of_its_own_street(district, make_user, fix):
    street_2 = make_user(Role.STREET_OFFICER, region=district["370203002"])
    mine = make_user(Role.INSPECTOR, region=district["370203002001001"])
    theirs = make_user(Role.INSPECTOR, region=district["370203001001002"])
    fix(mine, 2000, 0, minutes_ago=1)
    fix(theirs, 0, 0, minutes_ago=1)
    assert [i.user for i in inspectors_nearest(user=street_2, point=centre_point(), n=5)] == [mine]
    citizen = make_user(Role.INSPECTOR, region=district["370203002001001"])
    Post.objects.filter(user=citizen).delete()
    assert inspectors_nearest(user=citizen, point=centre_point(), n=5) == []


def test_an_inspector_does_not_see_where_the_colleagues_are(district, make_user, fix):
    me = make_user(Role.INSPECTOR, region=district["370203001001002"])
    colleague = make_user(Role.INSPECTOR, region=district["370203001001002"])
    fix(me, 0, 0, minutes_ago=1)
    fix(colleague, 50, 0, minutes_ago=1)
    assert inspectors_nearest(user=me, point=centre_point(), n=5) == []
    officer = make_user(Role.COMMUNITY_STAFF, region=district["370203001001"])
    assert {i.user for i in inspectors_nearest(user=officer, point=centre_point(), n=5)} == {
        me,
        colleague,
    }


# --- API --------------------------------------------------------------------------------------


@pytest.fixture
def leader_client(district, make_user):
    client = APIClient()
    client.force_login(make_user(Role.DISTRICT_LEADER, region=district["370203"]))
    return client


def test_nearest_endpoint_returns_resources_and_inspectors(district, make_user, fix, leader_client):
    shelter = add(at_offset(0, 250), kind=ResourceKind.SHELTER, capacity=300)
    inspector = make_user(Role.INSPECTOR, region=district["370203001001002"])
    fix(inspector, 100, 0, minutes_ago=3)
    response = leader_client.get(
        "/api/v1/emergency/nearest/",
        {"lon": CENTRE[0], "lat": CENTRE[1], "kind": "shelter", "n": 3},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["fresh_minutes"] == 30
    [resource] = body["resources"]
    assert resource["id"] == shelter.pk
    assert resource["distance_m"] == pytest.approx(250, abs=0.5)
    assert resource["capacity"] == 300
    [near] = body["inspectors"]
    assert near["user_id"] == inspector.pk
    assert near["distance_m"] == pytest.approx(100, abs=0.5)
    assert 175 <= near["fix_age_s"] <= 185


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lon": 181, "lat": 36}, "lon"),
        ({"lon": 120, "lat": -91}, "lat"),
        ({"lon": "east", "lat": 36}, "lon"),
        ({"lat": 36}, "lon"),
        ({"lon": 120, "lat": 36, "kind": "tank"}, "kind"),
        ({"lon": 120, "lat": 36, "n": 0}, "n"),
        ({"lon": 120, "lat": 36, "n": 51}, "n"),
        ({"lon": 120, "lat": 36, "n": "five"}, "n"),
    ],
)
def test_bad_nearest_parameters_are_400s_naming_the_field(leader_client, params, field):
    response = leader_client.get("/api/v1/emergency/nearest/", params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["errors"]


def test_emergency_endpoints_are_for_staff_only(district, make_user):
    assert APIClient().get("/api/v1/emergency/nearest/?lon=120&lat=36").status_code == 401
    citizen = make_user(Role.INSPECTOR, region=district["370203001001001"])
    Post.objects.filter(user=citizen).delete()
    client = APIClient()
    client.force_login(citizen)
    for url in ("/api/v1/emergency/nearest/?lon=120&lat=36", "/api/v1/emergency/resources/"):
        assert client.get(url).status_code == 403


def test_resources_by_bbox_are_compact_geojson(district, leader_client):
    inside = add(Point(120.305, 36.085, srid=4326), kind=ResourceKind.CAMERA)
    add(Point(120.305, 36.086, srid=4326), kind=ResourceKind.TEAM)
    add(Point(120.339, 36.099, srid=4326), kind=ResourceKind.CAMERA)  # outside the box
    # 5 cm east of the box: inside the index's single-precision box, outside the real one.
    add(Point(120.3100005, 36.085, srid=4326), kind=ResourceKind.CAMERA)
    response = leader_client.get(
        "/api/v1/emergency/resources/", {"bbox": "120.30,36.08,120.31,36.09", "kind": "camera"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["truncated"] is False
    assert body["features"] == [
        {
            "type": "Feature",
            "id": inside.pk,
            "geometry": {"type": "Point", "coordinates": [120.305, 36.085]},
            "properties": {"kind": "camera", "name": inside.name},
        }
    ]
    both = leader_client.get(
        "/api/v1/emergency/resources/?bbox=120.30,36.08,120.31,36.09&kind=camera&kind=team"
    )
    assert len(both.json()["features"]) == 2


def test_a_crowded_box_is_truncated(district, leader_client, monkeypatch):
    monkeypatch.setattr(emergency, "MAX_BBOX_FEATURES", 3)
    for i in range(5):
        add(Point(120.301 + i * 0.001, 36.081, srid=4326), kind=ResourceKind.CAMERA)
    body = leader_client.get("/api/v1/emergency/resources/", {"bbox": "120.3,36.08,120.31,36.09"})
    assert body.json()["truncated"] is True
    assert len(body.json()["features"]) == 3


@pytest.mark.parametrize("bbox", ["", "1,2,3", "a,b,c,d", "120.4,36,120.3,36.1"])
def test_bad_bbox_or_kind_is_a_400_naming_the_field(leader_client, bbox):
    response = leader_client.get("/api/v1/emergency/resources/", {"bbox": bbox})
    assert response.status_code == 400
    assert "bbox" in response.json()["errors"]
    response = leader_client.get(
        "/api/v1/emergency/resources/", {"bbox": "120.3,36.08,120.31,36.09", "kind": "tank"}
    )
    assert "kind" in response.json()["errors"]


# --- writing resources ------------------------------------------------------------------------


def test_saving_a_resource_places_it_in_its_grid_or_none_outside(district):
    inside = resource_save(
        data=ResourceInput(code="S1", kind="shelter", name="一中操场", lon=120.305, lat=36.095)
    )
    assert inside.region.code == "370203001001001"
    outside = resource_save(
        data=ResourceInput(code="S2", kind="shelter", name="邻区体育馆", lon=120.5, lat=36.2)
    )
    assert outside.region is None
    moved = resource_save(
        data=ResourceInput(code="S1", kind="shelter", name="一中操场", lon=120.335, lat=36.085)
    )
    assert moved.pk == inside.pk
    assert moved.region.code == "370203002002002"


CSV_GOOD = (
    "lon,lat,kind,name,code,capacity,contact,details\n"
    '120.305,36.095,shelter,一中操场,SH-1,800,0532-1,"{""area_m2"": 5000}"\n'
    "120.335,36.085,camera,辽宁路口,CAM-1,,,\n"
)


def test_import_resources_from_csv(district, tmp_path):
    path = tmp_path / "resources.csv"
    path.write_text(CSV_GOOD, encoding="utf-8")
    out = io.StringIO()
    call_command("import_resources", str(path), stdout=out)
    assert "2 emergency resources imported" in out.getvalue()
    shelter = EmergencyResource.objects.get(code="SH-1")
    assert shelter.capacity == 800
    assert shelter.details == {"area_m2": 5000}
    assert shelter.region.code == "370203001001001"
    # Importing again updates by code.
    path.write_text(CSV_GOOD.replace("一中操场", "一中体育场"), encoding="utf-8")
    call_command("import_resources", str(path), stdout=io.StringIO())
    assert EmergencyResource.objects.get(code="SH-1").name == "一中体育场"
    assert EmergencyResource.objects.count() == 2


def test_import_with_bad_rows_names_each_and_writes_nothing(district, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "lon,lat,kind,name,code\n"
        "120.305,36.095,shelter,好的,OK-1\n"
        "east,36.095,shelter,坏经度,B-1\n"
        "120.305,36.095,tank,坏类别,B-2\n"
        "120.305,36.095,camera,重复,OK-1\n",
        encoding="utf-8",
    )
    err = io.StringIO()
    with pytest.raises(CommandError, match="3 bad rows; nothing was imported"):
        call_command("import_resources", str(path), stderr=err)
    lines = err.getvalue().strip().splitlines()
    assert len(lines) == 3
    assert "line 3: lon:" in lines[0]
    assert "line 4: kind:" in lines[1]
    assert "line 5: code: Also on line 2." in lines[2]
    assert not EmergencyResource.objects.exists()


def test_import_refuses_a_missing_column_or_file(district, tmp_path):
    path = tmp_path / "no-kind.csv"
    path.write_text("lon,lat,name,code\n120.3,36.09,x,y\n", encoding="utf-8")
    with pytest.raises(CommandError, match="1 bad rows"):
        call_command("import_resources", str(path), stderr=io.StringIO())
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_resources", str(tmp_path / "missing.csv"))


def test_generate_resources_is_deterministic_and_inside_the_grids(district):
    call_command("generate_resources", "--count", "200", "--seed", "3", stdout=io.StringIO())
    first = list(EmergencyResource.objects.order_by("code").values_list("code", "point", "kind"))
    assert len(first) == 200
    assert {kind for _code, _point, kind in first} == set(ResourceKind.values)
    # Same seed again: nothing new.
    call_command("generate_resources", "--count", "200", "--seed", "3", stdout=io.StringIO())
    assert EmergencyResource.objects.count() == 200
    for resource in EmergencyResource.objects.order_by("code")[:25]:
        assert locate(resource.point).grid == resource.region
    EmergencyResource.objects.all().delete()
    call_command("generate_resources", "--count", "200", "--seed", "3", stdout=io.StringIO())
    again = list(EmergencyResource.objects.order_by("code").values_list("code", "point", "kind"))
    assert [(c, p.coords, k) for c, p, k in again] == [(c, p.coords, k) for c, p, k in first]


def test_generate_resources_refuses_bad_counts_and_an_empty_map(db):
    with pytest.raises(CommandError, match="--count"):
        call_command("generate_resources", "--count", "0")
    with pytest.raises(CommandError, match="no grids"):
        call_command("generate_resources", "--count", "5")


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the KNN operator is PostGIS's; SpatiaLite grows a box",
)
def test_postgis_reads_candidates_through_the_knn_operator_and_proves_them(district):

    rng = random.Random(11)
    for _ in range(120):
        add(Point(rng.uniform(120.30, 120.34), rng.uniform(36.08, 36.10), srid=4326))
    with CaptureQueriesContext(connection) as queries:
        resources_nearest(point=centre_point(), n=5, kind="shelter")
    [query] = queries.captured_queries
    assert "<->" in query["sql"]
    assert "LIMIT 50" in query["sql"]
    # Uneven density defeats the proof: one more indexed query, bounded by a box.
    for i in range(60):
        add(Point(CENTRE[0] + i * 1e-6, CENTRE[1] + 0.0001, srid=4326), kind="team")
    add(Point(CENTRE[0] + 0.00012, CENTRE[1], srid=4326), kind="team")
    with CaptureQueriesContext(connection) as queries:
        found = resources_nearest(point=centre_point(), n=5, kind="team")
    assert len(queries.captured_queries) == 2
    assert "&&" in queries.captured_queries[1]["sql"]
    assert found[0].obj.point.x == pytest.approx(CENTRE[0] + 0.00012)


def test_the_admin_saves_through_the_service_which_places_the_resource(district, client):
    from grids.models import User

    admin = User.objects.create_superuser("root", password="pw-123456!")
    client.force_login(admin)
    response = client.post(
        "/admin/grids/emergencyresource/add/",
        {
            "kind": "team",
            "code": "TEAM-1",
            "name": "市北应急抢险队",
            "point": '{"type": "Point", "coordinates": [120.335, 36.085]}',
            "capacity": "30",
            "contact": "0532-110",
            "details": "{}",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    team = EmergencyResource.objects.get(code="TEAM-1")
    assert team.region.code == "370203002002002"
    response = client.post(
        f"/admin/grids/emergencyresource/{team.pk}/change/",
        {
            "kind": "team",
            "code": "TEAM-9",
            "name": "市北应急抢险队",
            "point": '{"type": "Point", "coordinates": [120.305, 36.095]}',
            "capacity": "30",
            "contact": "0532-110",
            "details": "{}",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    team = EmergencyResource.objects.get(pk=team.pk)
    assert (team.code, team.region.code) == ("TEAM-9", "370203001001001")

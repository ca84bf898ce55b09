"""seed_demo loads the reference district (370203) and its org chart, tiling every level.

Seeding takes seconds, so the module seeds once (outside the per-test transactions) and
removes everything at the end; tests only read, except those that run the command again,
whose writes roll back with their test.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator

import numpy as np
import pytest
import shapely
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import QuerySet
from django.test import override_settings
from shapely.geometry.base import BaseGeometry

from grids.demo.reference import DISTRICT_CODE, load_district_boundary
from grids.demo.seed import DEMO_ACCOUNTS, demo_password
from grids.models import (
    CODE_LENGTH,
    LEVEL_ORDER,
    Asset,
    Camera,
    CameraState,
    EmergencyResource,
    GridKind,
    Level,
    Post,
    Region,
    Role,
    Unit,
    UnitKind,
    User,
)
from layers.models import Layer

pytestmark = pytest.mark.django_db

# Degrees²; 1e-9 is about 10 m² at this latitude. Union and parent differ by far less (the
# vertices are snapped to 1e-9°), and neighbours share edges exactly, so overlaps are nil.
UNION_TOLERANCE = 1e-9
OVERLAP_TOLERANCE = 1e-12

FIRST_STREET = "370203005"
FIRST_COMMUNITY = "370203005001"


def _remove_demo_data() -> None:
    User.objects.filter(username__in=[account.username for account in DEMO_ACCOUNTS]).delete()
    Layer.objects.all().delete()  # the built-in layers name the departments as owners
    EmergencyResource.objects.filter(code__startswith=DISTRICT_CODE).delete()  # the cameras
    Asset.objects.filter(code__startswith=DISTRICT_CODE).delete()
    Unit.objects.filter(code__startswith=DISTRICT_CODE).delete()
    for level in reversed(LEVEL_ORDER):
        Region.objects.filter(code__startswith=DISTRICT_CODE, level=level).delete()


@pytest.fixture(scope="module")
def seed_output(django_db_setup, django_db_blocker) -> Iterator[str]:
    with django_db_blocker.unblock():
        out = io.StringIO()
        # Forced: on PostGIS the test settings (DEBUG off, DATABASE_URL set) look like production.
        call_command("seed_demo", "--force-demo-accounts", stdout=out)
    yield out.getvalue()
    with django_db_blocker.unblock():
        _remove_demo_data()


def _shapes(regions: QuerySet[Region]) -> dict[str, BaseGeometry]:
    return {
        code: shapely.from_wkb(bytes(geom.wkb))
        for code, geom in regions.order_by("code").values_list("code", "geom")
    }


def _children_by_parent(level: str) -> dict[str, dict[str, BaseGeometry]]:
    grouped: dict[str, dict[str, BaseGeometry]] = {}
    for code, geom, parent in Region.objects.filter(level=level).values_list(
        "code", "geom", "parent"
    ):
        grouped.setdefault(str(parent), {})[code] = shapely.from_wkb(bytes(geom.wkb))
    return grouped


def _assert_tiles(
    parent_code: str, parent: BaseGeometry, children: dict[str, BaseGeometry]
) -> None:
    shapes = np.array(list(children.values()), dtype=object)
    union = shapely.union_all(shapes)
    mismatch = shapely.symmetric_difference(union, parent).area
    assert mismatch < UNION_TOLERANCE, f"{parent_code}: children differ from parent by {mismatch}"
    left, right = shapely.STRtree(shapes).query(shapes, predicate="intersects")
    pairs = left < right
    overlap = shapely.area(shapely.intersection(shapes[left[pairs]], shapes[right[pairs]])).sum()
    assert overlap < OVERLAP_TOLERANCE, f"{parent_code}: children overlap by {overlap}"


def test_it_loads_22_streets_137_communities_1064_unit_and_124_extended_grids(seed_output):
    regions = Region.objects.filter(code__startswith=DISTRICT_CODE)
    assert regions.filter(level=Level.DISTRICT).count() == 1
    assert regions.filter(level=Level.STREET).count() == 22
    assert regions.filter(level=Level.COMMUNITY).count() == 137
    assert regions.filter(level=Level.GRID, kind=GridKind.UNIT).count() == 1064
    assert regions.filter(level=Level.GRID, kind=GridKind.EXTENDED).count() == 124


def test_it_prints_a_summary_of_what_it_loaded(seed_output):
    assert "22 streets, 137 communities, 1064 unit grids, 124 extended grids" in seed_output
    assert "13 departments, 22 street offices" in seed_output
    assert "assets: 400" in seed_output


def test_streets_and_communities_have_their_official_names_and_codes(seed_output):
    assert Region.objects.get(code="370203").name == "市北区"
    assert Region.objects.get(code=FIRST_STREET).name == "辽宁路街道"
    assert Region.objects.get(code="370203035").name == "双山街道"
    assert Region.objects.get(code=FIRST_COMMUNITY).name == "科技街社区"
    # One of the two the source calls 社区居民委员会 rather than 社区居委会.
    assert Region.objects.get(code="370203019008").name == "普吉社区"
    names = Region.objects.filter(level=Level.COMMUNITY).values_list("name", flat=True)
    assert all(name.endswith("社区") for name in names)


def test_codes_are_digits_of_their_level_length_unique_and_start_with_the_parent_code(
    seed_output,
):
    rows = list(
        Region.objects.filter(code__startswith=DISTRICT_CODE).values_list("code", "level", "parent")
    )
    codes = [code for code, _, _ in rows]
    assert len(codes) == len(set(codes)) == 1 + 22 + 137 + 1188
    for code, level, parent in rows:
        assert code.isdigit(), code
        assert len(code) == CODE_LENGTH[level], code
        if level != Level.DISTRICT:
            assert parent is not None, code
            assert code.startswith(parent), code
            assert len(parent) == len(code) - 3, code


def test_the_district_boundary_is_the_real_one(seed_output):
    stored = _shapes(Region.objects.filter(level=Level.DISTRICT))[DISTRICT_CODE]
    assert shapely.symmetric_difference(stored, load_district_boundary()).area < UNION_TOLERANCE


def test_every_region_is_a_valid_multipolygon_in_wgs84_with_its_area(seed_output):
    for region in Region.objects.filter(code__startswith=DISTRICT_CODE).only(
        "code", "geom", "area_m2"
    ):
        assert region.geom.geom_type == "MultiPolygon", region.code
        assert region.geom.srid == 4326, region.code
        assert region.geom.valid, region.code
        assert region.area_m2 > 0, region.code
    district = Region.objects.get(code=DISTRICT_CODE)
    grids_area = sum(Region.objects.filter(level=Level.GRID).values_list("area_m2", flat=True))
    # Not exact: an edge straight in degrees bends slightly once projected, and the grids cut
    # the district's edges into shorter straight pieces.
    assert grids_area == pytest.approx(district.area_m2, rel=1e-4)
    # The real district measures 65.4 km² officially; this boundary is a little larger.
    assert 60e6 < district.area_m2 < 75e6


def test_streets_tile_the_district_without_gaps_or_overlaps(seed_output):
    district = _shapes(Region.objects.filter(level=Level.DISTRICT))[DISTRICT_CODE]
    streets = _children_by_parent(Level.STREET)
    assert list(streets) == [DISTRICT_CODE]
    _assert_tiles(DISTRICT_CODE, district, streets[DISTRICT_CODE])


def test_communities_tile_their_street_without_gaps_or_overlaps(seed_output):
    streets = _shapes(Region.objects.filter(level=Level.STREET))
    communities = _children_by_parent(Level.COMMUNITY)
    assert set(communities) == set(streets)
    for street_code, street in streets.items():
        _assert_tiles(street_code, street, communities[street_code])


def test_grids_tile_their_community_without_gaps_or_overlaps(seed_output):
    communities = _shapes(Region.objects.filter(level=Level.COMMUNITY))
    grids = _children_by_parent(Level.GRID)
    assert set(grids) == set(communities)
    for community_code, community in communities.items():
        _assert_tiles(community_code, community, grids[community_code])


def test_every_community_has_a_few_unit_grids_numbered_from_001(seed_output):
    grids = _children_by_parent(Level.GRID)
    kinds = dict(Region.objects.filter(level=Level.GRID).values_list("code", "kind"))
    for community_code, children in grids.items():
        unit = sorted(code for code in children if kinds[code] == GridKind.UNIT)
        assert len(unit) >= 4, community_code
        assert [code[-3:] for code in unit] == [f"{n:03d}" for n in range(1, len(unit) + 1)]


def test_extended_grids_are_numbered_from_901_one_in_each_of_124_communities(seed_output):
    extended = Region.objects.filter(level=Level.GRID, kind=GridKind.EXTENDED)
    assert set(extended.values_list("code", flat=True)) == {
        f"{parent}901" for parent in extended.values_list("parent", flat=True)
    }
    assert extended.values("parent").distinct().count() == 124
    grid = extended.select_related("parent").get(code=f"{FIRST_COMMUNITY}901")
    assert grid.name == "科技街社区拓展网格901"


def _numbering_keys(community: Region, grids: list[Region]) -> list[tuple[int, float]]:
    """(row from the north, longitude) per grid, by the rule in unit_grid_order's docstring."""
    min_x, min_y, max_x, max_y = community.geom.extent
    width = (max_x - min_x) * math.cos(math.radians((min_y + max_y) / 2))
    rows = max(1, round(math.sqrt(len(grids) * (max_y - min_y) / width)))
    band = (max_y - min_y) / rows
    return [
        (min(rows - 1, int((max_y - grid.geom.centroid.y) // band)), grid.geom.centroid.x)
        for grid in grids
    ]


def test_unit_grids_are_numbered_west_to_east_in_rows_from_the_north(seed_output):
    community = Region.objects.get(code=FIRST_COMMUNITY)
    grids = list(community.children.filter(kind=GridKind.UNIT).order_by("code"))
    keys = _numbering_keys(community, grids)
    assert keys == sorted(keys)
    first_row = [key for key in keys if key[0] == 0]
    assert keys[0] == min(first_row, key=lambda key: key[1])
    assert grids[0].code == f"{FIRST_COMMUNITY}001"
    assert grids[0].name == "科技街社区第001网格"


def test_every_community_follows_the_numbering_rule(seed_output):
    for community in Region.objects.filter(level=Level.COMMUNITY):
        grids = list(community.children.filter(kind=GridKind.UNIT).order_by("code"))
        keys = _numbering_keys(community, grids)
        assert keys == sorted(keys), community.code


def test_departments_and_street_offices_are_loaded(seed_output):
    district = Region.objects.get(code=DISTRICT_CODE)
    departments = Unit.objects.filter(kind=UnitKind.DEPARTMENT, code__startswith=DISTRICT_CODE)
    assert departments.count() == 13
    assert set(departments.values_list("region", flat=True)) == {district.pk}
    assert departments.get(code="370203-D01").name == "区城市管理局"
    offices = Unit.objects.filter(kind=UnitKind.STREET_OFFICE).select_related("region")
    assert offices.count() == 22
    for office in offices:
        assert office.region.level == Level.STREET
        assert office.code == f"{office.region.code}-SO"
        assert office.name == f"{office.region.name}办事处"


def test_assets_have_16_digit_codes_a_point_in_their_grid_and_three_departments(seed_output):
    assets = list(
        Asset.objects.filter(code__startswith=DISTRICT_CODE).select_related(
            "grid", "in_charge_unit", "owner_unit", "maintenance_unit"
        )
    )
    assert len(assets) == 400
    assert len({asset.code for asset in assets}) == 400
    for asset in assets:
        assert asset.code.isdigit()
        assert len(asset.code) == 16
        assert asset.code[6:10] == asset.major_class + asset.minor_class
        assert asset.grid.level == Level.GRID
        grid = shapely.from_wkb(bytes(asset.grid.geom.wkb))
        assert shapely.contains_xy(grid, asset.point.x, asset.point.y), asset.code
        for unit in (asset.in_charge_unit, asset.owner_unit, asset.maintenance_unit):
            assert unit.kind == UnitKind.DEPARTMENT
    assert Asset.objects.filter(code__startswith="37020301010", name="上水井盖").exists()


def test_a_dozen_demo_cameras_stand_in_the_first_street_without_a_stream(seed_output):
    cameras = list(
        Camera.objects.filter(resource__code__startswith=f"{DISTRICT_CODE}-CAM-").select_related(
            "resource__region", "owner_unit"
        )
    )
    assert len(cameras) == 12
    for camera in cameras:
        assert camera.resource.kind == "camera"
        assert camera.resource.region.code.startswith(FIRST_STREET)
        grid = shapely.from_wkb(bytes(camera.resource.region.geom.wkb))
        assert shapely.contains_xy(grid, camera.resource.point.x, camera.resource.point.y)
        assert camera.stream_url == ""  # a demo has no video gateway
        assert camera.owner_unit.name == "区公安分局"
        assert 0 <= camera.direction_deg <= 359
    states = {camera.state for camera in cameras}
    assert CameraState.NO_STREAM in states
    assert CameraState.ONLINE not in states


def test_the_built_in_layers_are_registered_in_the_catalogue(seed_output):
    layers = {layer.code: layer for layer in Layer.objects.select_related("category", "owner")}
    assert {"streets", "communities", "grids", "assets", "resources", "cameras"} <= set(layers)
    assert {"buildings", "parcels"} <= set(layers)  # citizens registers its tables
    assert layers["assets"].feature_count == 400
    assert layers["cameras"].feature_count == 12
    assert layers["grids"].feature_count == 1188
    assert layers["assets"].category.code == "components"
    assert layers["cameras"].owner.name == "区公安分局"
    assert all(layer.source == "table" and layer.last_updated_at for layer in layers.values())


def test_there_is_one_demo_account_per_role_with_its_post(seed_output):
    district = Region.objects.get(code=DISTRICT_CODE)
    expected_regions = {
        "demo-intake": district,
        "demo-supervisor": district,
        "demo-dispatcher": district,
        "demo-leader": district,
        "demo-admin": district,
        "demo-auditor": district,
        "demo-street": Region.objects.get(code=FIRST_STREET),
        "demo-community": Region.objects.get(code=FIRST_COMMUNITY),
    }
    roles = {account.username: account.role for account in DEMO_ACCOUNTS}
    assert set(roles.values()) == set(Role.values)
    for username, region in expected_regions.items():
        post = Post.objects.get(user__username=username)
        assert (post.role, post.region, post.unit) == (roles[username], region, None)
    unit_post = Post.objects.get(user__username="demo-unit")
    assert unit_post.role == Role.UNIT_HANDLER
    assert unit_post.unit is not None
    assert unit_post.unit.name == "区城市管理局"


def test_the_demo_inspector_holds_one_post_per_unit_grid_of_the_first_community(seed_output):
    posts = Post.objects.filter(user__username="demo-inspector")
    unit_grids = Region.objects.filter(parent__code=FIRST_COMMUNITY, kind=GridKind.UNIT)
    assert sorted(posts.values_list("region", flat=True)) == sorted(
        unit_grids.values_list("pk", flat=True)
    )
    assert set(posts.values_list("role", "inspector_type")) == {(Role.INSPECTOR, "full_time")}


def test_only_the_demo_admin_is_staff_and_all_log_in_with_the_demo_password(seed_output):
    users = User.objects.filter(username__in=[account.username for account in DEMO_ACCOUNTS])
    assert users.count() == len(DEMO_ACCOUNTS) == 10
    assert list(users.filter(is_staff=True).values_list("username", flat=True)) == ["demo-admin"]
    assert users.get(username="demo-admin").is_superuser
    # All share one hash (see _write_accounts), so checking one checks them all.
    assert len(set(users.values_list("password", flat=True))) == 1
    assert users.get(username="demo-street").check_password(demo_password())


def test_the_demo_citizen_is_seeded_with_the_demo_accounts(seed_output):
    # citizens adds it through grids.signals.demo_seeded (grids never imports citizens).
    citizen = User.objects.get(username="demo-citizen")
    assert citizen.phone == "13800138000"
    assert citizen.check_password(demo_password())
    assert not citizen.posts.exists()


def _snapshot() -> dict[str, object]:
    return {
        "regions": list(
            Region.objects.order_by("code").values_list(
                "pk", "code", "name", "level", "kind", "parent", "area_m2"
            )
        ),
        "geometries": [
            bytes(geom.wkb)
            for geom in Region.objects.order_by("code").values_list("geom", flat=True)
        ],
        "units": list(Unit.objects.order_by("code").values_list("pk", "code", "name", "region")),
        "assets": [
            (*row[:-1], row[-1].wkt)
            for row in Asset.objects.order_by("code").values_list(
                "pk",
                "code",
                "grid",
                "in_charge_unit",
                "owner_unit",
                "maintenance_unit",
                "point",
            )
        ],
        "users": list(User.objects.order_by("username").values_list("pk", "username")),
        "posts": sorted(Post.objects.values_list("user__username", "role", "region", "unit")),
    }


def test_running_it_again_changes_nothing(seed_output):
    before = _snapshot()
    call_command("seed_demo", "--force-demo-accounts", stdout=io.StringIO())
    assert _snapshot() == before


def test_if_empty_does_nothing_when_regions_exist_and_says_so(seed_output):
    out = io.StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)
    assert "changes nothing" in out.getvalue()


@override_settings(DEBUG=False, EMBEDDED=False)
def test_a_production_install_refuses_demo_accounts_unless_forced(seed_output):
    User.objects.filter(username="demo-intake").delete()
    with pytest.raises(CommandError, match="--no-accounts"):
        call_command("seed_demo", stdout=io.StringIO())
    assert not User.objects.filter(username="demo-intake").exists()


def test_demo_banner_prints_the_urls_and_the_logins(seed_output, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "another-demo-password")
    out = io.StringIO()
    call_command("demo_banner", "--port", "8123", stdout=out)
    text = out.getvalue()
    for url in ("/", "/admin/", "/api/v1/", "/api/docs/", "/healthz"):
        assert f"http://127.0.0.1:8123{url}" in text
    assert "another-demo-password" in text
    assert all(account.username in text for account in DEMO_ACCOUNTS)

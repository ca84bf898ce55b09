"""The data centre: layers by owner with rows, last update and the share updated in the past
year; stale layers flagged; the built-in layers registered once and left as edited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone

from grids.models import EmergencyResource, ResourceKind, Role, Unit, UnitKind, User
from layers.catalogue import layers_refresh_stats, layers_register_builtin
from layers.importer import ImportOptions, layer_import
from layers.models import Feature, Layer
from layers.selectors import layer_freshness
from tests.layers.conftest import point_features, write_geojson

pytestmark = pytest.mark.django_db


@pytest.fixture
def owners(district):
    return {
        code: Unit.objects.create(
            code=code, name=name, kind=UnitKind.DEPARTMENT, region=district["370203"]
        )
        for code, name in (("370203-D08", "区应急管理局"), ("370203-D13", "区自然资源局"))
    }


def test_a_layer_is_stale_after_its_period_and_half_again(categories):
    layer = Layer(
        code="x",
        name="x",
        category=categories["spatial"],
        geometry_type="point",
        source="dataset",
        update_frequency="monthly",
    )
    now = timezone.now()
    assert layer_freshness(layer, now) == "unknown"
    layer.last_updated_at = now - timedelta(days=46)
    assert layer_freshness(layer, now) == "fresh"
    layer.last_updated_at = now - timedelta(days=47)
    assert layer_freshness(layer, now) == "stale"
    layer.source = "external"
    assert layer_freshness(layer, now) == "unknown"


def test_the_built_in_layers_are_registered_once_and_keep_what_an_administrator_edited(
    district, owners, categories
):
    layers_register_builtin()
    Layer.objects.filter(code="streets").update(name="街道界线", style={"color": "#000"})
    layers_register_builtin()
    streets = Layer.objects.get(code="streets")
    assert (streets.name, streets.style) == ("街道界线", {"color": "#000"})
    assert streets.owner.code == "370203-D13"
    assert streets.feature_count == 2
    assert Layer.objects.filter(code="streets").count() == 1


def test_counts_follow_the_tables_and_the_rows_changed_in_the_past_year(
    district, owners, categories, tmp_path
):
    layers_register_builtin()
    old = timezone.now() - timedelta(days=400)
    for code in ("S1", "S2", "S3"):
        EmergencyResource.objects.create(
            code=code, name=code, kind=ResourceKind.SHELTER, point=Point(120.31, 36.09, srid=4326)
        )
    EmergencyResource.objects.filter(code="S1").update(updated_at=old)
    path = write_geojson(tmp_path / "h.geojson", point_features([(120.31, 36.09), (120.32, 36.09)]))
    layer_import(
        path=path,
        options=ImportOptions(code="h", name="消火栓", category="municipal"),
        commit=True,
        now=old,
    )
    Feature.objects.filter(key="P1").update(updated_at=timezone.now())

    layers_refresh_stats()

    resources = Layer.objects.get(code="resources")
    assert (resources.feature_count, resources.recent_feature_count) == (3, 2)
    hydrants = Layer.objects.get(code="h")
    assert (hydrants.feature_count, hydrants.recent_feature_count) == (2, 1)


def test_the_page_groups_layers_by_owner_with_their_share_and_flags_the_stale(
    district, owners, categories, tmp_path, client, make_user
):
    path = write_geojson(tmp_path / "h.geojson", point_features([(120.31, 36.09)] * 1))
    layer_import(
        path=path,
        options=ImportOptions(
            code="h", name="消火栓", category="municipal", owner="370203-D08", frequency="daily"
        ),
        commit=True,
        now=timezone.now() - timedelta(days=3),
    )
    layers_register_builtin()
    client.force_login(make_user(Role.DISTRICT_LEADER, region=district["370203"]))
    response = client.get("/datacentre/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    groups = {group.name: group for group in response.context["groups"]}
    emergency = groups["区应急管理局"]
    assert [row.layer.code for row in emergency.rows] == ["h", "resources"]  # stale first
    assert emergency.rows[0].freshness == "stale"
    assert emergency.rows[0].recent_share == 1.0
    assert 'data-freshness="stale"' in response.content.decode()
    assert response.context["stale_count"] == 1


def test_the_page_is_for_staff(district, client, categories):
    client.force_login(User.objects.create_user("citizen", password="pw-123456!"))
    assert client.get("/datacentre/").status_code == 404
    client.logout()
    assert client.get("/datacentre/").status_code == 302  # to the login page


def test_register_layers_is_a_command_that_can_run_again(district, owners, categories):
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("register_layers", stdout=out)
    call_command("register_layers", stdout=out)
    assert "built-in layers registered" in out.getvalue()
    assert Layer.objects.filter(code="grids").count() == 1
    assert Layer.objects.get(code="grids").feature_count == 8

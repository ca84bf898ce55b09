import pytest

from grids.models import Post, Region, Role
from grids.selectors import jurisdiction_for_user, regions_for_user_qs


def codes(qs) -> set[str]:
    return set(qs.values_list("code", flat=True))


def test_inspector_sees_only_their_grids(district, make_user):
    user = make_user(Role.INSPECTOR, region=district["370203001001001"])
    j = jurisdiction_for_user(user)
    assert j.covers_region("370203001001001")
    assert not j.covers_region("370203001001002")
    assert not j.covers_region("370203001001")
    assert not j.everything


def test_inspector_with_two_grid_posts_covers_both(district, make_user):
    user = make_user(Role.INSPECTOR, region=district["370203001001001"])
    Post.objects.create(
        user=user,
        role=Role.INSPECTOR,
        inspector_type="part_time",
        region=district["370203002002002"],
    )
    j = jurisdiction_for_user(user)
    assert j.covers_region("370203002002002")
    assert j.covers_region("370203001001001")


def test_community_staff_see_their_community_subtree(district, make_user):
    j = jurisdiction_for_user(make_user(Role.COMMUNITY_STAFF, region=district["370203001002"]))
    assert j.covers_region("370203001002")
    assert j.covers_region("370203001002001")
    assert not j.covers_region("370203001001001")
    assert not j.covers_region("370203001")


def test_street_officer_sees_the_street_and_acts_for_its_street_office(district, units, make_user):
    j = jurisdiction_for_user(make_user(Role.STREET_OFFICER, region=district["370203001"]))
    assert j.covers_region("370203001002002")
    assert not j.covers_region("370203002001001")
    assert j.unit_ids == frozenset({units["street_office_1"].pk})


@pytest.mark.parametrize("role", [Role.INTAKE_OPERATOR, Role.SHIFT_SUPERVISOR, Role.DISPATCHER])
def test_district_command_centre_staff_see_the_whole_district(district, make_user, role):
    j = jurisdiction_for_user(make_user(role, region=district["370203"]))
    assert j.covers_region("370203002002002")
    assert j.has_role(role)


def test_street_command_centre_dispatcher_sees_only_their_street(district, make_user):
    j = jurisdiction_for_user(make_user(Role.DISPATCHER, region=district["370203002"]))
    assert j.covers_region("370203002001001")
    assert not j.covers_region("370203001001001")


@pytest.mark.parametrize("role", [Role.DISTRICT_LEADER, Role.ADMINISTRATOR])
def test_leaders_and_administrators_see_everything(district, make_user, role):
    j = jurisdiction_for_user(make_user(role, region=district["370203"]))
    assert j.everything
    assert j.covers_region("370203002002002")


def test_unit_handler_acts_for_their_unit_and_covers_no_region(district, units, make_user):
    j = jurisdiction_for_user(make_user(Role.UNIT_HANDLER, unit=units["sanitation"]))
    assert j.unit_ids == frozenset({units["sanitation"].pk})
    assert not j.covers_region("370203001001001")


def test_user_without_posts_has_no_jurisdiction(district, django_user_model):
    user = django_user_model.objects.create_user("nobody", password="x-123456!")
    j = jurisdiction_for_user(user)
    assert not j.everything
    assert not j.region_codes
    assert not j.unit_ids
    assert codes(regions_for_user_qs(user)) == set()


def test_inactive_post_gives_nothing(district, make_user):
    user = make_user(Role.COMMUNITY_STAFF, region=district["370203001002"])
    Post.objects.filter(user=user).update(is_active=False)
    assert not jurisdiction_for_user(user).covers_region("370203001002")


def test_superuser_sees_everything(district, django_user_model):
    admin = django_user_model.objects.create_superuser("root", password="x-123456!")
    assert jurisdiction_for_user(admin).everything


def test_map_regions_are_the_subtree_plus_its_ancestors(district, make_user):
    user = make_user(Role.COMMUNITY_STAFF, region=district["370203001002"])
    assert codes(regions_for_user_qs(user)) == {
        "370203",
        "370203001",
        "370203001002",
        "370203001002001",
        "370203001002002",
    }


def test_unit_handler_sees_their_units_region_on_the_map(district, units, make_user):
    user = make_user(Role.UNIT_HANDLER, unit=units["street_office_1"])
    visible = codes(regions_for_user_qs(user))
    assert "370203001002002" in visible
    assert "370203002001001" not in visible
    assert Region.objects.count() > len(visible)

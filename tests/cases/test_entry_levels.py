"""Where a case starts: the item's entry level, the street's or community's rule, urgency, a
district intake keeping it, community staff and street officers reporting themselves."""

from __future__ import annotations

import io

import pytest

from cases.catalogue import catalogue_export_csv, catalogue_import_csv, catalogue_seed
from cases.errors import InvalidInput, NotPermitted
from cases.models import CaseEvent, EntryLevelRule, HandlingLevel, Item, Outbox, Status
from cases.routing import choose_entry_level
from cases.services import case_report, case_transition
from grids.models import Role
from tests.helpers import client_for

from .conftest import POINT_IN_GRID, rid

STREET = "370203001"
COMMUNITY = "370203001001"


@pytest.fixture
def community_item(world):
    world.item.entry_level = "community"
    world.item.save(update_fields=["entry_level"])
    # Every item names its unit in the catalogue CSV.
    world.natural_item.default_unit = world.department
    world.natural_item.default_unit_code = world.department.code
    world.natural_item.save(update_fields=["default_unit", "default_unit_code"])
    return world.item


def test_a_community_item_reported_by_the_inspector_starts_in_the_community(world, community_item):
    case = world.report()
    assert case.handling_level == HandlingLevel.COMMUNITY
    event = case.events.get()
    assert event.to_level == HandlingLevel.COMMUNITY
    # The community's staff hear of it, not the district's intake.
    notice = Outbox.objects.get(case=case, topic="case.report")
    assert notice.recipients == {
        "groups": [{"roles": [Role.COMMUNITY_STAFF, Role.INTAKE_OPERATOR], "region": COMMUNITY}]
    }


def test_the_community_closes_its_case_without_the_district(world, community_item):
    """Done when: reported by the inspector, handled in the community's loop, closed by its
    staff; nobody at the district command centre acts."""
    staff, officer = world.users[Role.COMMUNITY_STAFF], world.users[Role.STREET_OFFICER]
    inspector = world.users[Role.INSPECTOR]
    case = world.report()

    def act(action, actor, **kwargs):
        return case_transition(
            case_id=case.pk, action=action, actor=actor, request_id=rid(), **kwargs
        )

    act("register", staff)
    act("file", staff)
    act("dispatch", staff, payload={"unit_id": world.street_office.pk})
    act("sign_for", officer)
    act("feedback", officer, note="已清理")
    act("send_check", staff)
    act("check_pass", inspector)
    case = act("close", staff)
    assert (case.status, case.handling_level) == (Status.CLOSED, HandlingLevel.COMMUNITY)
    roles = set(CaseEvent.objects.filter(case=case).values_list("actor_role", flat=True))
    assert roles == {Role.INSPECTOR, Role.COMMUNITY_STAFF, Role.STREET_OFFICER}


def test_an_urgent_report_starts_at_the_district(world, community_item):
    case = world.report(urgency="urgent")
    assert case.handling_level == HandlingLevel.DISTRICT
    assert world.report(urgency="very_urgent").handling_level == HandlingLevel.DISTRICT


def test_a_district_intake_operator_may_keep_a_case_at_the_district(world, community_item):
    intake = world.users[Role.INTAKE_OPERATOR]
    assert world.report(intake, source="hotline_12345").handling_level == "community"
    kept = world.report(intake, source="hotline_12345", handling_level="district")
    assert kept.handling_level == HandlingLevel.DISTRICT


def test_only_a_district_intake_operator_keeps_a_case_at_the_district(world, community_item):
    with pytest.raises(NotPermitted) as refused:
        world.report(handling_level="district")  # the inspector
    assert "handling_level" in refused.value.field_errors
    with pytest.raises(InvalidInput) as bad:
        world.report(world.users[Role.INTAKE_OPERATOR], source="web", handling_level="street")
    assert "handling_level" in bad.value.field_errors


def test_a_streets_rule_overrides_the_item_and_a_communitys_rule_the_streets(world, community_item):
    EntryLevelRule.objects.create(
        item=community_item, region=world.regions[STREET], entry_level="street"
    )
    assert world.report().handling_level == HandlingLevel.STREET
    EntryLevelRule.objects.create(
        item=community_item, region=world.regions[COMMUNITY], entry_level="district"
    )
    assert world.report().handling_level == HandlingLevel.DISTRICT
    # A rule for another street says nothing here.
    EntryLevelRule.objects.filter(region__code=COMMUNITY).update(is_active=False)
    EntryLevelRule.objects.create(
        item=community_item, region=world.regions["370203002"], entry_level="district"
    )
    assert world.report().handling_level == HandlingLevel.STREET


def test_community_staff_and_street_officers_start_what_they_report_at_their_own_level(
    world, community_item
):
    staff, officer = world.users[Role.COMMUNITY_STAFF], world.users[Role.STREET_OFFICER]
    assert world.report(staff, source="web").handling_level == HandlingLevel.COMMUNITY
    assert world.report(officer, source="web").handling_level == HandlingLevel.STREET
    # An item that needs the district goes there, whoever reports it.
    district_item = world.natural_item  # entry level: district (the default)
    case = world.report(staff, source="web", item_id=district_item.pk)
    assert case.handling_level == HandlingLevel.DISTRICT


def test_a_self_handled_case_stays_in_the_grid(world, community_item):
    from cases.services import ReportInput

    case = case_report(
        actor=world.users[Role.INSPECTOR],
        data=ReportInput(
            source="inspector", item_id=community_item.pk, description="x", point=POINT_IN_GRID
        ),
        request_id=rid(),
        self_handled=True,
    )
    assert (case.status, case.handling_level) == (Status.CLOSED, HandlingLevel.GRID)


@pytest.mark.parametrize(
    ("item_level", "urgency", "role", "keep", "expected"),
    [
        ("community", "normal", "inspector", False, "community"),
        ("street", "normal", "community_staff", False, "street"),
        ("community", "normal", "street_officer", False, "street"),
        ("district", "normal", "street_officer", False, "district"),
        ("community", "urgent", "community_staff", False, "district"),
        ("street", "normal", "intake_operator", True, "district"),
        ("street", "normal", "citizen", False, "street"),
    ],
)
def test_choose_entry_level(item_level, urgency, role, keep, expected):
    level = choose_entry_level(
        item_level=item_level, urgency=urgency, reporter_role=role, keep_at_district=keep
    )
    assert level == expected


# --- through the API ----------------------------------------------------------------------------


def test_the_api_reports_at_the_entry_level_and_shows_it(world, community_item):
    client = client_for(world.users[Role.INSPECTOR])
    response = client.post(
        "/api/v1/cases/",
        {
            "request_id": "entry-1",
            "item": community_item.code,
            "description": "垃圾",
            "lon": POINT_IN_GRID.x,
            "lat": POINT_IN_GRID.y,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["handling_level"] == "community"
    catalogue = client.get("/api/v1/catalogue/").json()
    levels = {i["code"]: i["entry_level"] for d in catalogue["domains"] for i in d["items"]}
    assert levels == {"S010201": "community", "B010101": "district"}


def test_intake_keeps_a_case_at_the_district_through_the_api(world, community_item):
    client = client_for(world.users[Role.INTAKE_OPERATOR])
    body = {
        "source": "hotline_12345",
        "item": community_item.code,
        "description": "市民来电：垃圾堆积",
        "lon": POINT_IN_GRID.x,
        "lat": POINT_IN_GRID.y,
        "external_id": "12345-001",
        "handling_level": "district",
    }
    response = client.post("/api/v1/intake/", body, format="json")
    assert response.status_code == 201, response.json()
    case_id = response.json()["id"]
    assert client.get(f"/api/v1/cases/{case_id}/").json()["handling_level"] == "district"
    inspector = client_for(world.users[Role.INSPECTOR])
    refused = inspector.post(
        "/api/v1/cases/",
        {
            "request_id": "entry-2",
            "item": community_item.code,
            "description": "x",
            "lon": POINT_IN_GRID.x,
            "lat": POINT_IN_GRID.y,
            "handling_level": "district",
        },
        format="json",
    )
    assert refused.status_code == 403
    assert "handling_level" in refused.json()["errors"]


# --- the catalogue --------------------------------------------------------------------------------


def test_the_seed_starts_small_things_in_the_community_and_big_ones_at_the_district(db):
    catalogue_seed()
    levels = dict(Item.objects.values_list("name", "entry_level"))
    assert levels["暴露垃圾"] == "community"
    assert levels["占道堆物"] == "community"
    assert levels["非法小广告"] == "community"
    assert levels["店外经营"] == "street"
    assert levels["违法建设"] == "district"
    assert levels["车行道"] == "district"  # road damage needs works
    assert levels["燃气泄漏"] == "district"


def test_the_catalogue_csv_carries_the_entry_level_both_ways(world, community_item):
    out = io.StringIO()
    catalogue_export_csv(out)
    text = out.getvalue()
    assert "entry_level" in text.splitlines()[0]
    # Edited in a spreadsheet: the item goes to the street.
    edited = text.replace(",community,", ",street,")
    catalogue_import_csv(io.StringIO(edited))
    community_item.refresh_from_db()
    assert community_item.entry_level == "street"


def test_a_catalogue_file_without_the_entry_level_keeps_the_levels(world, community_item):
    out = io.StringIO()
    catalogue_export_csv(out)
    lines = out.getvalue().splitlines()
    header = lines[0].split(",")
    index = header.index("entry_level")
    without = "\n".join(
        ",".join(v for i, v in enumerate(line.split(",")) if i != index) for line in lines
    )
    catalogue_import_csv(io.StringIO(without))
    community_item.refresh_from_db()
    assert community_item.entry_level == "community"


def test_an_unknown_entry_level_is_one_line_saying_where(world, community_item):
    from cases.catalogue import CatalogueImportFailed

    out = io.StringIO()
    catalogue_export_csv(out)
    bad = out.getvalue().replace(",community,", ",grid,")
    with pytest.raises(CatalogueImportFailed) as failed:
        catalogue_import_csv(io.StringIO(bad))
    assert [str(p) for p in failed.value.problems] == [
        "row 3, column entry_level: unknown entry level 'grid' (use community, street, district)"
    ]


def test_the_admin_edits_entry_levels_and_lists_the_new_records(world, community_item, client):
    admin = world.users[Role.ADMINISTRATOR]
    admin.is_staff = admin.is_superuser = True
    admin.save(update_fields=["is_staff", "is_superuser"])
    client.force_login(admin)
    for url in (
        "/admin/cases/item/",
        f"/admin/cases/item/{community_item.pk}/change/",
        "/admin/cases/entrylevelrule/",
        "/admin/cases/entrylevelrule/add/",
        "/admin/cases/routingrule/",
        "/admin/cases/supervision/",
        "/admin/cases/cohandling/",
    ):
        assert client.get(url).status_code == 200, url
    response = client.post(
        "/admin/cases/entrylevelrule/add/",
        {
            "item": community_item.pk,
            "region": world.regions[STREET].pk,
            "entry_level": "street",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert world.report().handling_level == HandlingLevel.STREET

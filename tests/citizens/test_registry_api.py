"""The registry API: linked queries both ways inside the jurisdiction, 404 outside, masking per
role, and a log row for every person shown."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from citizens.models import PersonAccessLog
from tests.citizens.conftest import COMMUNITY_A, GRID_A, GRID_B, Registry
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

REASON = {"reason": "入户走访"}


def _get(user, url: str, **params: object):
    return client_for(user).get(url, {**REASON, **params})


def test_parcel_lists_its_buildings_then_their_residents(registry: Registry) -> None:
    staff = registry.users["staff_a"]
    body = client_for(staff).get(f"/api/v1/registry/parcels/{registry.parcel.pk}/").json()
    assert [b["code"] for b in body["buildings"]] == ["B-A"]
    assert body["buildings"][0]["dwelling_count"] == 2
    residents = _get(staff, f"/api/v1/registry/parcels/{registry.parcel.pk}/residents/").json()
    names = sorted(row["person"]["name"] for row in residents["results"])
    assert names == ["Alice", "Bob", "Carol", "Dave"]


def test_building_shows_dwellings_and_residents(registry: Registry) -> None:
    staff = registry.users["staff_a"]
    detail = client_for(staff).get(f"/api/v1/registry/buildings/{registry.building_a.pk}/").json()
    assert [(d["room"], d["people"]) for d in detail["dwellings"]] == [("101", 2), ("102", 2)]
    assert detail["location"]["community"]["code"] == COMMUNITY_A
    assert detail["parcel"]["code"] == "P-A"
    assert [(o["name"], o["dwelling_id"]) for o in detail["organisations"]] == [
        ("甲便利店", registry.d102.pk)
    ]
    url = f"/api/v1/registry/buildings/{registry.building_a.pk}/residents/"
    rows = _get(staff, url).json()["results"]
    assert {(r["dwelling"]["room"], r["role"], r["person"]["name"]) for r in rows} == {
        ("101", "owner", "Alice"),
        ("101", "resident", "Bob"),
        ("102", "tenant", "Carol"),
        ("102", "owner", "Dave"),
    }


def test_a_landlord_in_a_residents_list_shows_no_home_outside_the_area(registry: Registry):
    url = f"/api/v1/registry/buildings/{registry.building_a.pk}/residents/"
    rows = _get(registry.users["staff_a"], url).json()["results"]
    dave = next(r["person"] for r in rows if r["person"]["name"] == "Dave")
    assert (dave["grid_code"], dave["actual_address"]) == ("", "")
    alice = next(r["person"] for r in rows if r["person"]["name"] == "Alice")
    assert alice["grid_code"] == GRID_A


def test_dwelling_shows_its_people(registry: Registry) -> None:
    body = _get(registry.users["staff_a"], f"/api/v1/registry/dwellings/{registry.d102.pk}/")
    assert body.status_code == 200
    people = {(row["role"], row["person"]["name"]) for row in body.json()["people"]}
    assert people == {("tenant", "Carol"), ("owner", "Dave")}
    assert body.json()["building"]["code"] == "B-A"


def test_person_goes_back_up_to_the_street(registry: Registry) -> None:
    alice = registry.persons["alice"]
    body = _get(registry.users["staff_a"], f"/api/v1/registry/persons/{alice.pk}/").json()
    (link,) = body["dwellings"]
    assert (link["role"], link["dwelling"]["room"], link["building"]["code"]) == (
        "owner",
        "101",
        "B-A",
    )
    assert link["parcel"]["code"] == "P-A"
    assert {level: region["code"] for level, region in body["location"].items()} == {
        "grid": GRID_A,
        "community": COMMUNITY_A,
        "street": "370203001",
        "district": "370203",
    }


def test_id_number_is_masked_for_staff_without_the_permission(registry: Registry) -> None:
    alice = registry.persons["alice"]
    url = f"/api/v1/registry/persons/{alice.pk}/"
    person = _get(registry.users["staff_a"], url).json()["person"]
    number = registry.numbers["alice"]
    assert person["id_number"] == f"{number[:6]}********{number[-4:]}"
    assert person["phone"] == "138****5678"
    assert person["masked"] is True
    # The birth date is the masked middle of the number: shown as an age only.
    assert person["birth_date"] is None
    assert person["age"] >= 50
    assert _get(registry.users["staff_a"], url, full="true").status_code == 403


def test_community_staff_with_the_permission_see_it_whole(registry: Registry) -> None:
    alice = registry.persons["alice"]
    url = f"/api/v1/registry/persons/{alice.pk}/"
    person = _get(registry.users["trusted_a"], url, full="true").json()["person"]
    assert (person["id_number"], person["phone"], person["masked"]) == (
        registry.numbers["alice"],
        "13812345678",
        False,
    )
    assert person["birth_date"] == "1975-03-02"
    log = PersonAccessLog.objects.get(user=registry.users["trusted_a"])
    assert (log.full, log.role, log.grid_code) == (True, "community_staff", GRID_A)


def test_district_leader_sees_the_person_but_only_masked(registry: Registry) -> None:
    url = f"/api/v1/registry/persons/{registry.persons['alice'].pk}/"
    assert _get(registry.users["leader"], url).json()["person"]["masked"] is True
    assert _get(registry.users["leader"], url, full="true").status_code == 403


def test_every_read_is_logged_with_who_which_and_why(registry: Registry) -> None:
    staff = registry.users["staff_a"]
    alice = registry.persons["alice"]
    _get(staff, f"/api/v1/registry/persons/{alice.pk}/")
    _get(staff, f"/api/v1/registry/buildings/{registry.building_a.pk}/residents/")
    _get(staff, f"/api/v1/registry/dwellings/{registry.d101.pk}/")
    rows = list(PersonAccessLog.objects.filter(user=staff).order_by("pk"))
    assert [(r.purpose, r.person_id) for r in rows[:1]] == [("record", alice.pk)]
    assert sorted(r.person.name for r in rows if r.purpose == "building") == [
        "Alice",
        "Bob",
        "Carol",
        "Dave",
    ]
    assert sorted(r.person.name for r in rows if r.purpose == "dwelling") == ["Alice", "Bob"]
    assert {r.reason for r in rows} == {"入户走访"}
    assert all(r.role == "community_staff" and not r.full for r in rows)


def test_reading_a_person_without_a_reason_is_refused_and_shows_nothing(
    registry: Registry,
) -> None:
    client = client_for(registry.users["staff_a"])
    response = client.get(f"/api/v1/registry/persons/{registry.persons['alice'].pk}/")
    assert response.status_code == 400
    assert "reason" in response.json()["errors"]
    assert not PersonAccessLog.objects.exists()


def test_staff_of_another_community_get_404_for_everything_here(registry: Registry) -> None:
    foreign = registry.users["foreign"]
    for url in (
        f"/api/v1/registry/parcels/{registry.parcel.pk}/",
        f"/api/v1/registry/parcels/{registry.parcel.pk}/residents/",
        f"/api/v1/registry/buildings/{registry.building_a.pk}/",
        f"/api/v1/registry/buildings/{registry.building_a.pk}/residents/",
        f"/api/v1/registry/dwellings/{registry.d101.pk}/",
        f"/api/v1/registry/persons/{registry.persons['alice'].pk}/",
        f"/api/v1/registry/grids/{GRID_A}/key-groups/",
    ):
        response = _get(foreign, url)
        assert response.status_code == 404, url
        assert response.json()["code"] == "not_found"
    assert not PersonAccessLog.objects.exists()


def test_a_citizen_without_posts_sees_no_one(registry: Registry) -> None:
    url = f"/api/v1/registry/persons/{registry.persons['alice'].pk}/"
    # The staff API is closed to a citizen's account altogether.
    assert _get(registry.users["citizen"], url).status_code == 403


def test_a_landlord_is_seen_by_both_grids_and_lives_in_his_own(registry: Registry) -> None:
    dave = registry.persons["dave"]
    assert dave.grid_id == GRID_B
    body = _get(registry.users["foreign"], f"/api/v1/registry/persons/{dave.pk}/").json()
    assert {(d["role"], d["building"]["code"]) for d in body["dwellings"]} == {("owner", "B-B")}
    assert body["location"]["grid"]["code"] == GRID_B
    assert body["person"]["grid_code"] == GRID_B
    # Community A reaches him through the flat he lets there, and sees only that flat: not
    # his home in grid B, nor where it is.
    body = _get(registry.users["staff_a"], f"/api/v1/registry/persons/{dave.pk}/").json()
    assert {(d["role"], d["building"]["code"]) for d in body["dwellings"]} == {("owner", "B-A")}
    assert "B-B" not in json.dumps(body, ensure_ascii=False)
    assert body["person"]["grid_code"] == ""
    assert body["person"]["actual_address"] == ""
    assert body["location"]["grid"] is None
    assert body["location"]["community"] is None
    assert body["location"]["street"] is None
    assert body["location"]["district"]["code"] == "370203"
    # The district sees everything.
    body = _get(registry.users["leader"], f"/api/v1/registry/persons/{dave.pk}/").json()
    assert {d["building"]["code"] for d in body["dwellings"]} == {"B-A", "B-B"}
    # The read is logged where it was made: through the flat in grid A.
    log = PersonAccessLog.objects.get(person=dave, user=registry.users["staff_a"])
    assert (log.grid_code, log.role) == (GRID_A, "community_staff")
    # Erin lives only in grid B: not in community A's view.
    erin = registry.persons["erin"]
    assert (
        _get(registry.users["staff_a"], f"/api/v1/registry/persons/{erin.pk}/").status_code == 404
    )


def test_inspector_sees_the_persons_of_their_grid(registry: Registry) -> None:
    url = f"/api/v1/registry/persons/{registry.persons['bob'].pk}/"
    assert _get(registry.users["inspector_a"], url).status_code == 200


def test_lookup_by_id_number_finds_the_person_in_the_jurisdiction(registry: Registry) -> None:
    client = client_for(registry.users["staff_a"])
    number = registry.numbers["carol"].lower()
    response = client.post(
        "/api/v1/registry/persons/lookup/", {"id_number": number, "reason": "核查"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["person"]["name"] == "Carol"
    assert PersonAccessLog.objects.get().purpose == "lookup"
    foreign = client_for(registry.users["foreign"]).post(
        "/api/v1/registry/persons/lookup/", {"id_number": number, "reason": "核查"}, format="json"
    )
    assert foreign.status_code == 404
    wrong = client.post(
        "/api/v1/registry/persons/lookup/",
        {"id_number": number[:-1] + ("1" if number[-1] != "1" else "2"), "reason": "核查"},
        format="json",
    )
    assert wrong.status_code == 400
    assert wrong.json()["errors"]["id_number"] == ["The ID number's check digit is wrong."]


def test_lookup_misses_are_logged_and_lookups_are_limited_per_user(
    registry: Registry, caplog, monkeypatch
) -> None:
    from django.core.cache import cache
    from rest_framework.throttling import ScopedRateThrottle

    cache.clear()  # throttle history of earlier tests' users (ids are reused on SQLite)
    monkeypatch.setattr(
        ScopedRateThrottle,
        "THROTTLE_RATES",
        {**ScopedRateThrottle.THROTTLE_RATES, "registry_lookup": "2/hour"},
    )
    client = client_for(registry.users["foreign"])
    number = registry.numbers["carol"]
    statuses = [
        client.post(
            "/api/v1/registry/persons/lookup/",
            {"id_number": number, "reason": "试试"},
            format="json",
        ).status_code
        for _ in range(3)
    ]
    assert statuses == [404, 404, 429]
    misses = [r for r in caplog.records if r.name == "citizens.security"]
    assert len(misses) == 2
    assert f"user={registry.users['foreign'].pk}" in misses[0].getMessage()
    assert number not in caplog.text  # the guessed number itself is not written to the log


def test_key_groups_are_listed_per_grid(registry: Registry) -> None:
    staff = registry.users["staff_a"]
    counts = client_for(staff).get(f"/api/v1/registry/grids/{GRID_A}/key-groups/").json()
    assert {row["code"]: row["count"] for row in counts}["elderly_alone"] == 1
    members = _get(staff, f"/api/v1/registry/grids/{GRID_A}/key-groups/elderly_alone/").json()
    assert [m["name"] for m in members["results"]] == ["Carol"]
    assert members["results"][0]["key_groups"] == ["elderly_alone"]
    assert PersonAccessLog.objects.get().purpose == "key_group"


def test_auditor_reads_the_log_others_may_not(registry: Registry) -> None:
    _get(registry.users["staff_a"], f"/api/v1/registry/persons/{registry.persons['bob'].pk}/")
    auditor = client_for(registry.users["auditor"])
    rows = auditor.get("/api/v1/registry/access-log/").json()["results"]
    assert [(r["username"], r["person_id"], r["reason"]) for r in rows] == [
        ("staff-a", registry.persons["bob"].pk, "入户走访")
    ]
    assert (
        client_for(registry.users["staff_a"]).get("/api/v1/registry/access-log/").status_code == 403
    )
    # The auditor's post is for reading the log only.
    url = f"/api/v1/registry/persons/{registry.persons['bob'].pk}/"
    assert _get(registry.users["auditor"], url).status_code == 404


def test_the_database_refuses_to_rewrite_the_log(registry: Registry) -> None:
    from django.db import DatabaseError, transaction

    _get(registry.users["staff_a"], f"/api/v1/registry/persons/{registry.persons['bob'].pk}/")
    with pytest.raises(DatabaseError), transaction.atomic():
        PersonAccessLog.objects.update(reason="nothing to see")


def test_id_numbers_are_not_in_the_database_in_the_clear(registry: Registry) -> None:
    number = registry.numbers["alice"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id_number_encrypted, id_number_hash FROM citizens_person WHERE id = %s",
            [registry.persons["alice"].pk],
        )
        encrypted, hashed = cursor.fetchone()
        cursor.execute(
            "SELECT count(*) FROM citizens_person WHERE id_number_encrypted LIKE %s "
            "OR id_number_hash LIKE %s",
            [f"%{number[6:14]}%", f"%{number[6:14]}%"],
        )
        (leaks,) = cursor.fetchone()
    assert number not in encrypted
    assert number not in hashed
    assert leaks == 0

"""The population picture: a grid's figures and their roll-ups, live and nightly, with small
counts hidden from those who may not see the persons behind them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from citizens.models import GridFigures, PersonAccessLog
from citizens.population import generate_population
from citizens.stats import BANDS, figures_rebuild
from grids.models import Role
from tests.citizens.conftest import COMMUNITY_A, GRID_A, GRID_B, Registry
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

PERSON_COUNTS = ("persons", "households", "vacant_dwellings", "aged_60_plus")


def _stats(user, code: str):
    return client_for(user).get(f"/api/v1/registry/grids/{code}/stats/")


def _ok(user, code: str) -> dict:
    response = _stats(user, code)
    assert response.status_code == 200, response.content
    return response.json()


def _cells(figures: dict) -> list:
    pyramid = figures["pyramid"]
    return [*pyramid["male"], *pyramid["female"], pyramid["unknown"]]


def test_a_grid_is_counted_whole_for_its_own_staff(registry: Registry) -> None:
    body = _ok(registry.users["staff_a"], GRID_A)
    figures = body["figures"]
    assert body["region"] == {"code": GRID_A, "name": f"grid-{GRID_A}", "level": "grid"}
    assert [r["level"] for r in body["chain"]] == ["district", "street", "community"]
    assert (body["source"], body["suppressed"], body["threshold"]) == ("live", False, 5)
    # Alice, Bob and Carol live here; Dave only owns Carol's flat.
    assert figures["persons"] == 3
    assert (figures["dwellings"], figures["homes"], figures["buildings"]) == (2, 2, 1)
    assert (figures["households"], figures["vacant_dwellings"]) == (2, 0)
    assert figures["aged_60_plus"] == 1  # Carol, born 1940
    assert {g["code"]: g["count"] for g in figures["key_groups"]}["elderly_alone"] == 1
    assert figures["organisation_kinds"] == [{"kind": "", "count": 1}]
    # Three persons in the pyramid: Alice F 50s, Bob M 50s, Carol F 85+.
    assert sum(_cells(figures)) == 3
    assert figures["pyramid"]["female"][BANDS - 1] == 1
    assert len(figures["pyramid"]["bands"]) == BANDS
    assert body["children"] == []
    # Counting reads no person's record.
    assert not PersonAccessLog.objects.exists()


def test_a_community_rolls_up_its_grids(registry: Registry) -> None:
    body = _ok(registry.users["staff_a"], COMMUNITY_A)
    assert body["figures"]["persons"] == 3
    assert [(c["code"], c["figures"]["persons"]) for c in body["children"]] == [
        (GRID_A, 3),
        ("370203001001002", 0),
    ]
    assert not any(child["suppressed"] for child in body["children"])


def test_small_counts_are_hidden_above_ones_own_area(registry: Registry) -> None:
    staff = registry.users["staff_a"]
    street = _ok(staff, "370203001")
    # The street is not the community's staff's: its counts about persons are hidden when
    # fewer than 5 lie beyond their own community (here none do).
    assert street["suppressed"] is True
    for name in PERSON_COUNTS:
        assert street["figures"][name] is None, name
    assert set(_cells(street["figures"])) == {None}
    assert {g["count"] for g in street["figures"]["key_groups"]} == {None}
    # Places are not personal data.
    assert (street["figures"]["dwellings"], street["figures"]["buildings"]) == (2, 1)
    # Below the street they see only their own community, whole.
    assert [(c["code"], c["suppressed"], c["figures"]["persons"]) for c in street["children"]] == [
        (COMMUNITY_A, False, 3)
    ]


def test_the_leader_sees_every_count_whole(registry: Registry) -> None:
    district = _ok(registry.users["leader"], "370203")
    assert district["suppressed"] is False
    assert district["figures"]["persons"] == 5
    assert [(c["code"], c["figures"]["persons"]) for c in district["children"]] == [
        ("370203001", 3),
        ("370203002", 2),
    ]


def test_foreign_regions_are_404_and_citizens_are_refused(registry: Registry) -> None:
    foreign = registry.users["foreign"]
    for code in (GRID_A, COMMUNITY_A, "370203001", "999999", "nonsense"):
        response = _stats(foreign, code)
        assert response.status_code == 404, code
        assert response.json()["code"] == "not_found"
    # Their own grid and the district above them are theirs to see.
    assert _ok(foreign, GRID_B)["figures"]["persons"] == 2
    assert _ok(foreign, "370203")["suppressed"] is True
    assert _stats(registry.users["auditor"], GRID_A).status_code == 404
    # Citizens hold no post: every staff endpoint refuses them at the door.
    assert _stats(registry.users["citizen"], GRID_A).status_code == 403


@pytest.fixture
def populated(district, make_user, units):
    generate_population(persons=900, seed=5)
    return {
        "leader": make_user(Role.DISTRICT_LEADER, region=district["370203"]),
        "unit": make_user(Role.UNIT_HANDLER, unit=units["sanitation"]),
        "inspector": make_user(Role.INSPECTOR, region=district[GRID_A]),
        "street": make_user(Role.STREET_OFFICER, region=district["370203001"]),
    }


def _hidden_where_small(shown: dict, whole: dict, known: dict | None = None) -> None:
    """Every hidden count is one that is small beyond what the viewer knows; every count
    shown is the true one."""
    pairs = [(shown[n], whole[n], (known or {}).get(n, 0)) for n in PERSON_COUNTS]
    known_cells = _cells(known) if known else [0] * len(_cells(whole))
    pairs += list(zip(_cells(shown), _cells(whole), known_cells, strict=True))
    pairs += [
        (a["count"], b["count"], 0)
        for a, b in zip(shown["key_groups"], whole["key_groups"], strict=True)
    ]
    for value, true, _known in pairs:
        assert value is None or value == true
    small = [(value, true - k) for value, true, k in pairs if true - k < 5]
    assert all(value is None for value, _rest in small)
    # One hidden cell in the pyramid would be the total minus the others: never just one,
    # unless it holds nobody.
    hidden = [
        true - k
        for value, true, k in zip(_cells(shown), _cells(whole), known_cells, strict=True)
        if value is None
    ]
    assert len(hidden) != 1 or hidden == [0]


def test_roles_that_may_not_see_persons_get_small_counts_hidden(populated) -> None:
    whole = _ok(populated["leader"], "370203")
    hidden = _ok(populated["unit"], "370203")  # a department's handler: no persons
    assert hidden["suppressed"] is True
    assert whole["figures"]["persons"] == hidden["figures"]["persons"] > 500
    _hidden_where_small(hidden["figures"], whole["figures"])
    assert None in _cells(hidden["figures"])  # the very old, in a district of 900
    # Nobody of unknown age: that zero alone is not a reason to hide a large count.
    assert hidden["figures"]["pyramid"]["unknown"] is None
    assert all(cell is None or cell >= 5 for cell in _cells(hidden["figures"]))
    for shown, true in zip(hidden["children"], whole["children"], strict=True):
        _hidden_where_small(shown["figures"], true["figures"])


def test_subtracting_ones_own_grid_gives_no_small_count_away(populated) -> None:
    community = _ok(populated["leader"], COMMUNITY_A)["figures"]
    grid = _ok(populated["leader"], GRID_A)["figures"]
    seen = _ok(populated["inspector"], COMMUNITY_A)
    assert seen["suppressed"] is True
    assert [c["code"] for c in seen["children"]] == [GRID_A]  # only their grid, whole
    assert seen["children"][0]["figures"]["persons"] == grid["persons"]
    _hidden_where_small(seen["figures"], community, known=grid)


def test_the_district_reads_the_nightly_count_and_says_when(populated) -> None:
    # generate_population counted the grids; without a nightly count the district is live.
    assert GridFigures.objects.count() == 8
    GridFigures.objects.all().delete()
    live = _ok(populated["leader"], "370203")
    assert live["source"] == "live"
    yesterday = timezone.now() - timedelta(hours=20)
    assert figures_rebuild(now=yesterday) == 8
    nightly = _ok(populated["leader"], "370203")
    assert nightly["source"] == "nightly"
    assert nightly["computed_at"][:16] == timezone.localtime(yesterday).isoformat()[:16]
    assert nightly["figures"] == live["figures"]
    assert nightly["children"] == live["children"]
    # The street officer's view of the district, from the same count.
    street = _ok(populated["street"], "370203")
    assert [c["code"] for c in street["children"]] == ["370203001"]
    assert street["children"][0]["figures"]["persons"] == live["children"][0]["figures"]["persons"]
    _hidden_where_small(street["figures"], live["figures"], known=live["children"][0]["figures"])


def test_rebuild_command_replaces_the_count(populated) -> None:
    call_command("rebuild_registry_stats", verbosity=0)
    call_command("rebuild_registry_stats", verbosity=0)
    assert GridFigures.objects.count() == 8
    assert (
        sum(GridFigures.objects.values_list("persons", flat=True))
        == (_ok(populated["leader"], "370203")["figures"]["persons"])
    )


def test_a_grids_stats_take_a_fixed_number_of_queries(
    registry: Registry, django_assert_max_num_queries
) -> None:
    client = client_for(registry.users["staff_a"])
    with django_assert_max_num_queries(16):
        assert client.get(f"/api/v1/registry/grids/{GRID_A}/stats/").status_code == 200


def test_a_lone_hidden_zero_hides_nothing_else() -> None:
    from citizens.stats import _partition

    assert _partition([100, 200, 0], [0, 0, 0], True) == [100, 200, None]
    assert _partition([100, 200, 3], [0, 0, 0], True) == [None, 200, None]
    assert _partition([100, 200, 3], [0, 0, 0], False) == [100, 200, 3]
    # What the viewer may see whole is not "small": 7 with 5 of them theirs is 2 beyond.
    assert _partition([7, 50, 60], [5, 0, 0], True) == [None, None, 60]

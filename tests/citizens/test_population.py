"""generate_population on the box district: households in dwellings in buildings inside the
grids, valid and unique ID numbers, the same population for the same seed."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from django.core.management import CommandError, call_command

from citizens import idnumbers
from citizens.models import (
    Building,
    Dwelling,
    Occupancy,
    Organisation,
    Person,
    PersonKeyGroup,
)
from citizens.population import generate_population
from grids.models import Region

pytestmark = pytest.mark.django_db


def test_a_small_population_is_realistic_and_consistent(district) -> None:
    summary = generate_population(persons=600, seed=7)
    assert summary.grids == 8
    assert Person.objects.count() == summary.persons
    assert 400 <= summary.persons <= 900
    # Every building stands in the grid it is filed under; dwellings and links copy the grid.
    grids = {region.code: region.geom for region in Region.objects.filter(level="grid")}
    for building in Building.objects.all():
        assert grids[building.grid_id].contains(building.footprint.point_on_surface)
        assert building.parcel_id is not None
    assert not Dwelling.objects.exclude(grid_id__in=grids).exists()
    # Businesses sit in ground-floor shops of their building.
    assert summary.organisations == Organisation.objects.count() > 0
    for organisation in Organisation.objects.select_related("dwelling")[:20]:
        assert organisation.dwelling.building_id == organisation.building_id
        assert (organisation.dwelling.use, organisation.dwelling.floor) == ("shop", 1)
    # Households of 1 to 5 living in one dwelling each (the owner may live elsewhere).
    sizes = Counter(
        Occupancy.objects.filter(role__in=["resident", "tenant"]).values_list(
            "dwelling_id", flat=True
        )
    )
    assert max(sizes.values()) <= 5
    # ID numbers are valid, unique, and decrypt to what their hash says.
    sample = list(Person.objects.order_by("pk")[:50])
    for person in sample:
        number = idnumbers.decrypt(person.id_number_encrypted)
        assert idnumbers.parse(number).birth_date == person.birth_date
        assert idnumbers.keyed_hash(number) == person.id_number_hash
    assert Person.objects.values("id_number_hash").distinct().count() == summary.persons
    # Everyone lives somewhere; elderly people living alone are tagged.
    assert not Person.objects.filter(grid__isnull=True).exists()
    alone = PersonKeyGroup.objects.filter(group__code="elderly_alone")
    assert alone.exists()
    for tag in alone.select_related("person")[:20]:
        home = Occupancy.objects.filter(person=tag.person).order_by("pk").first()  # where they live
        assert Occupancy.objects.filter(dwelling=home.dwelling).exclude(role="owner").count() <= 1


def test_the_same_seed_gives_the_same_population(district) -> None:
    generate_population(persons=200, seed=3, region_prefix="370203001")
    first = list(Person.objects.order_by("pk").values_list("name", "birth_date", "id_number_hash"))
    Occupancy.objects.all().delete()
    Organisation.objects.all().delete()
    PersonKeyGroup.objects.all().delete()
    Person.objects.all().delete()
    Dwelling.objects.all().delete()
    Building.objects.all().delete()
    from citizens.models import Parcel

    Parcel.objects.all().delete()
    generate_population(persons=200, seed=3, region_prefix="370203001")
    assert (
        list(Person.objects.order_by("pk").values_list("name", "birth_date", "id_number_hash"))
        == first
    )


def test_the_command_refuses_a_registry_that_has_people(district) -> None:
    out = io.StringIO()
    call_command("generate_population", "--persons", "100", "--seed", "2", stdout=out, verbosity=0)
    assert "persons" in out.getvalue()
    with pytest.raises(CommandError, match="already has persons"):
        call_command("generate_population", "--persons", "100", verbosity=0)

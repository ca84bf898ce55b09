"""Two clerks registering the same link, or the same person, at the same moment: on real
PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import connection

from citizens.errors import InvalidInput
from citizens.models import Occupancy, Person
from citizens.services import occupancy_link, person_register
from tests.citizens.conftest import Registry, id_number
from tests.helpers import race

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL (SQLite is one writer)"
    ),
]


def test_the_same_link_twice_at_once_is_one_link(registry: Registry) -> None:
    erin = registry.persons["erin"]
    link = lambda: occupancy_link(person=erin, dwelling=registry.d101, role="tenant")  # noqa: E731
    results, errors = race(link, link)
    assert errors == [None, None]
    assert results[0].pk == results[1].pk
    assert Occupancy.objects.filter(person=erin, dwelling=registry.d101).count() == 1


def test_the_same_person_twice_at_once_is_registered_once(registry: Registry) -> None:
    number = id_number(77)
    register = lambda: person_register(name="Zed", id_number=number)  # noqa: E731
    results, errors = race(register, register)
    assert sum(result is not None for result in results) == 1
    (error,) = [e for e in errors if e is not None]
    assert isinstance(error, InvalidInput)
    assert list(error.field_errors) == ["id_number"]  # (threads speak the default language)
    assert Person.objects.filter(name="Zed").count() == 1


def test_two_nightly_counts_at_once_both_succeed(registry: Registry) -> None:
    from citizens.models import GridFigures
    from citizens.stats import figures_rebuild

    results, errors = race(figures_rebuild, figures_rebuild)
    assert errors == [None, None]
    assert results == [8, 8]
    assert GridFigures.objects.count() == 8
    assert GridFigures.objects.get(grid_id="370203001001001").persons == 3

"""Serializers that build their fields once per class (config.api.FieldsOnce) answer exactly
what DRF's own per-instance build answers, and no two instances share a bound field."""

from __future__ import annotations

import datetime as dt
import inspect

import pytest
from django.utils import timezone
from rest_framework import serializers

from cases.api import case_serializers
from config import api
from grids.models import Role
from tests.cases import conftest as cases_conftest
from tests.cases.conftest import World, rid
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

world = cases_conftest.world

ONCE = [
    cls
    for _name, cls in inspect.getmembers(case_serializers, inspect.isclass)
    if issubclass(cls, api.FieldsOnce) and issubclass(cls, serializers.BaseSerializer)
]


def _drf_build(self: serializers.Serializer) -> dict:
    return super(api.FieldsOnce, self).get_fields()  # type: ignore[misc]


def test_the_hot_serializers_build_their_fields_once() -> None:
    names = {cls.__name__ for cls in ONCE}
    assert {"CaseDetailSerializer", "EventSerializer", "ReportSerializer"} <= names


@pytest.mark.parametrize("cls", ONCE, ids=lambda cls: cls.__name__)
def test_fields_are_drfs_own_and_bound_to_each_instance(cls: type) -> None:
    first, second = cls(), cls()
    assert list(first.fields) == list(_drf_build(first))
    for name, field in first.fields.items():
        other = second.fields[name]
        assert field is not other
        assert field.parent is first
        assert other.parent is second
        assert repr(field) == repr(other)
        child = getattr(field, "child", None)
        if child is not None:  # a list of something: its child binds to this copy
            assert child.parent is field
            assert child is not getattr(other, "child", None)
    expected = {name: repr(field) for name, field in _drf_build(first).items()}
    assert {name: repr(field) for name, field in cls().get_fields().items()} == expected


def test_a_case_renders_as_drf_renders_it(world: World, monkeypatch) -> None:
    """The detail of a case with a history, a supervision and the contact, both ways."""
    case = world.report()
    leader = client_for(world.users[Role.DISTRICT_LEADER])
    soon = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    supervised = leader.post(
        f"/api/v1/cases/{case.pk}/actions/",
        {
            "action": "supervise",
            "version": 1,
            "request_id": rid(),
            "note": "尽快处理",
            "payload": {"due_date": soon},
        },
        format="json",
    )
    assert supervised.status_code == 200, supervised.json()
    intake = client_for(world.users[Role.INTAKE_OPERATOR])
    registered = intake.post(
        f"/api/v1/cases/{case.pk}/actions/",
        {"action": "register", "version": 2, "request_id": rid(), "lon": 120.38, "lat": 36.07},
        format="json",
    )
    assert registered.status_code == 200, registered.json()
    ours = intake.get(f"/api/v1/cases/{case.pk}/").json()
    monkeypatch.setattr(api.FieldsOnce, "get_fields", _drf_build)
    drfs = intake.get(f"/api/v1/cases/{case.pk}/").json()
    assert ours == drfs
    assert len(ours["timeline"]) == 3
    assert ours["supervisions"]

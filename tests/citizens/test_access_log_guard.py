"""The person access log is append-only in the database, on both backends, and on SQLite
its guard comes back after a migration that rebuilt the table."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from cases.dbguards import ensure_sqlite_append_only
from citizens.models import PersonAccessLog
from tests.citizens.conftest import Registry
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

TABLE = "citizens_personaccesslog"


@pytest.fixture
def logged_read(registry: Registry) -> None:
    """One row in the log: a read of a person through the API."""
    staff = registry.users["staff_a"]
    url = f"/api/v1/registry/persons/{registry.persons['bob'].pk}/"
    assert client_for(staff).get(url, {"reason": "核查"}).status_code == 200
    assert PersonAccessLog.objects.count() == 1


def refuses_update() -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"UPDATE {TABLE} SET reason = 'edited'")  # noqa: S608 - a constant
    except DatabaseError:
        return True
    return False


def test_the_person_access_log_refuses_updates(logged_read):
    assert PersonAccessLog._meta.db_table == TABLE
    assert refuses_update()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite drops triggers on rebuilds")
def test_its_sqlite_guard_is_renewed_after_migrate(logged_read):
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER {TABLE}_no_update")  # as a table rebuild would
    assert not refuses_update()
    ensure_sqlite_append_only()
    assert refuses_update()

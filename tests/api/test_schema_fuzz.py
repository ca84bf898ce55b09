"""schemathesis against /api/schema/: generated requests for every operation, as an intake
operator holding a real token, over the box district with a few cases. No response may be a
5xx, and every documented response must match its schema."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings

from cases.api.auth import token_issue
from config.wsgi import application
from grids.models import Role
from tests.cases import conftest as cases_conftest

world = cases_conftest.world

CHECKS = (schemathesis.checks.not_a_server_error, schemathesis.checks.response_schema_conformance)
EXAMPLES_PER_OPERATION = 10


@pytest.fixture
def _keep_test_connection():
    """Calling the WSGI app directly fires request_finished, whose close_old_connections
    would close the connection holding the test's transaction; Django's test client
    disconnects it the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
@pytest.mark.usefixtures("_keep_test_connection")
def test_every_api_operation_conforms_to_its_schema(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    # Generated requests arrive far faster than any person's; throttling is tested elsewhere.
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}
    world.report()
    world.report(world.users[Role.INTAKE_OPERATOR], source="hotline_12345")
    token = token_issue(user=world.users[Role.INTAKE_OPERATOR]).token
    headers = {"Authorization": f"Token {token}", "Accept-Language": "en"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 15

    for operation in operations:

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def exercise(case: schemathesis.Case) -> None:
            cache.clear()
            case.call_and_validate(headers=headers, checks=CHECKS)

        exercise()

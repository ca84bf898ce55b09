"""schemathesis with every check it has (`--checks all`), as three roles: an inspector, a
dispatcher and a citizen, each holding a real token, over the box district with a few cases.
No 5xx; every response documented and matching its schema; invalid data refused; and so on
(schemathesis.checks). Issue 14."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.cache import cache
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings

from cases.api.auth import token_issue
from config.wsgi import application
from grids.models import Role
from tests.api.test_schema_fuzz import _keep_test_connection  # noqa: F401
from tests.cases import conftest as cases_conftest
from tests.citizens.citizen_helpers import register_citizen

world = cases_conftest.world

EXAMPLES_PER_OPERATION = 5
# "Schema-valid data is accepted" is checked with the business rules' refusals allowed: a
# well-formed request may still name a point outside the district (422), a wrong one-time code
# or password (400), a phone already registered (409), something not there (404) or an upload
# whose bytes are no photo (415).
CONFIG = schemathesis.config.SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "400", "401", "403", "404", "409", "415", "422"]
            }
        }
    }
)
ROLES = ["inspector", "dispatcher", "citizen"]

pytestmark = pytest.mark.slow


def _token(world, role: str) -> str:
    if role == "citizen":
        return register_citizen()[1]
    user = world.users[Role.INSPECTOR if role == "inspector" else Role.DISPATCHER]
    return token_issue(user=user).token


def _summary(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    named = [line for line in lines if line.startswith("- ")]
    received = [line for line in lines if line.startswith(("Received", "Documented"))]
    return "; ".join(named + received) or (lines[0] if lines else type(exc).__name__)


@pytest.mark.django_db
@pytest.mark.usefixtures("_keep_test_connection")
@pytest.mark.parametrize("role", ROLES)
def test_every_operation_passes_every_check_as(role, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}
    world.report()
    world.report(world.users[Role.INTAKE_OPERATOR], source="hotline_12345")
    headers = {"Authorization": f"Token {_token(world, role)}", "Accept-Language": "en"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application, config=CONFIG)
    operations = [result.ok() for result in schema.get_all_operations()]
    failures: list[str] = []

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
            case.call_and_validate(headers=headers)  # every registered check

        try:
            exercise()
        except BaseException as exc:  # schemathesis' FailureGroup: collect, fail once at the end
            if isinstance(exc, KeyboardInterrupt):
                raise
            failures.append(f"{operation.label}: {_summary(exc)}")

    assert not failures, f"{len(failures)} operations fail as {role}:\n" + "\n".join(failures)

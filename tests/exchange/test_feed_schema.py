"""schemathesis on the feed as an agency with a scope: no 5xx, every answer as documented."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.cache import cache
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings

from cases.api.auth import agency_key_issue
from config.wsgi import application
from exchange.models import AgencyScope
from tests.api.test_schema_fuzz import CHECKS, _keep_test_connection  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_keep_test_connection")]


def test_the_feed_answers_as_documented(world, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}
    world.report()
    world.report(item_id=world.natural_item.pk)
    issued = agency_key_issue(name="区应急局", source="hotline_12345")
    AgencyScope.objects.create(agency=issued.row, region_id="370203")
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
    operation = schema["/api/v1/exchange/cases/"]["GET"]

    @given(case=operation.as_strategy())
    @hypothesis_settings(
        max_examples=30,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def exercise(case: schemathesis.Case) -> None:
        cache.clear()
        case.call_and_validate(
            headers={"X-Api-Key": issued.key, "Accept-Language": "en"}, checks=CHECKS
        )

    exercise()
    # And the plain first page validates too.
    first = operation.Case(query={})
    first.call_and_validate(headers={"X-Api-Key": issued.key}, checks=CHECKS)

"""Fixtures for the command-centre tests: the closed-loop world and evaluation stories."""

from tests.cases.conftest import world  # noqa: F401 - the fixture, shared
from tests.dispatch.evaluation_story import story  # noqa: F401 - the fixture

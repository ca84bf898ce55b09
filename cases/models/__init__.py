"""The closed loop's models, one module per concern."""

from cases.models.api import *  # noqa: F403
from cases.models.calendar import *  # noqa: F403
from cases.models.case import *  # noqa: F403
from cases.models.catalogue import *  # noqa: F403
from cases.models.handling import *  # noqa: F403
from cases.models.privacy import *  # noqa: F403
from cases.models.routing import *  # noqa: F403

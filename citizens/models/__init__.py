"""Citizens' models, one module per concern."""

from citizens.models.accounts import *  # noqa: F403
from citizens.models.open311 import *  # noqa: F403

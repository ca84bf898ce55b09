"""Citizens' models, one module per concern: the people and places registry (地-楼-房-人) and
its access log; citizen accounts; Open311 clients."""

from citizens.models.accounts import *  # noqa: F403
from citizens.models.open311 import *  # noqa: F403
from citizens.models.privacy import *  # noqa: F403
from citizens.models.registry import *  # noqa: F403
from citizens.models.stats import *  # noqa: F403

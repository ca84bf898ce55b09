"""The people and places registry (地-楼-房-人) and its access log, one module per concern."""

from citizens.models.privacy import *  # noqa: F403
from citizens.models.registry import *  # noqa: F403

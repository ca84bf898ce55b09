"""The command centre's tables: routing rules, deadline cards and supervision, notifications."""

import contextlib

from dispatch.models.evaluation import *  # noqa: F403
from dispatch.models.routing import *  # noqa: F403
from dispatch.models.supervision import *  # noqa: F403

# The notifications module is written separately; the app must import without it.
with contextlib.suppress(ImportError):
    from dispatch.models.notifications import *  # noqa: F403

"""The command centre's tables: deadline cards, the sweeper's settings, evaluation, notifications.

Routing rules and supervisions are catalogue and workflow data: they live in cases.
"""

import contextlib

from dispatch.models.deadlines import *  # noqa: F403
from dispatch.models.evaluation import *  # noqa: F403

# The notifications module is written separately; the app must import without it.
with contextlib.suppress(ImportError):
    from dispatch.models.notifications import *  # noqa: F403
from dispatch.models.queues import *  # noqa: F403

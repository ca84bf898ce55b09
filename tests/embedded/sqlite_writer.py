"""One process of the SpatiaLite locking test: act on the given cases as fast as it can, as
web, worker and beat do at once on `make run`. Prints one JSON line: the outcome counts.

Usage: python -m tests.embedded.sqlite_writer <username> <action> <case id>...
(DATABASE_URL names the database file; config.settings is used, as in production.)
"""

from __future__ import annotations

import json
import os
import sys
import uuid


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import OperationalError

    from cases.errors import CaseError
    from cases.services import case_transition
    from grids.models import User

    username, action, *case_ids = argv
    actor = User.objects.get(username=username)
    outcome = {"ok": 0, "refused": 0, "locked": 0, "other": []}
    for case_id in case_ids:
        try:
            case_transition(
                case_id=int(case_id),
                action=action,
                actor=actor,
                request_id=f"lock-{uuid.uuid4().hex}",
                note="locking test",
            )
            outcome["ok"] += 1
        except CaseError:
            outcome["refused"] += 1
        except OperationalError as exc:
            if "locked" in str(exc):
                outcome["locked"] += 1
            else:
                outcome["other"].append(repr(exc))
    print(json.dumps(outcome))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

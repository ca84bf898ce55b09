"""Count the population picture of every grid afresh (Celery beat does it nightly).

manage.py rebuild_registry_stats
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from citizens.stats import figures_rebuild


class Command(BaseCommand):
    help = "Count persons, households, dwellings, key groups and organisations per grid afresh."

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        grids = figures_rebuild()
        self.stdout.write(f"{grids} grids counted in {time.perf_counter() - started:.1f} s")

"""manage.py process_patrols: the patrol days (distance, time on duty, grids covered) of the
given days, from the inspectors' fixes. Celery beat does yesterday each night, before the
evaluation statistics; run rebuild_stats for the same days afterwards to score them."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from dispatch.evaluation.stats import patrols_build


class Command(BaseCommand):
    help = "Build the patrol days (per inspector and grid) of --date, or --from … --to."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--date", type=date.fromisoformat, help="YYYY-MM-DD (default: yesterday)"
        )
        parser.add_argument("--from", dest="start", type=date.fromisoformat)
        parser.add_argument("--to", dest="end", type=date.fromisoformat)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["date"] and (options["start"] or options["end"]):
            raise CommandError("Give --date, or --from and --to, not both.")
        if bool(options["start"]) != bool(options["end"]):
            raise CommandError("Give both --from and --to.")
        start = options["start"] or options["date"] or timezone.localdate() - timedelta(days=1)
        end = options["end"] or start
        if end < start:
            raise CommandError(f"--to {end} is before --from {start}.")
        if (end - start).days > 366:
            raise CommandError("At most 367 days at once.")
        day = start
        while day <= end:
            result = patrols_build(day=day)
            self.stdout.write(str(result))
            day += timedelta(days=1)

"""manage.py run_analysis: the hot-spot, trend and repeat-place passes, once (the same function
Celery beat runs)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from analysis.services import PASSES, run_analysis


class Command(BaseCommand):
    help = "Run the analysis passes once: hot spots, unusual rises, repeat places."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--at",
            help="Analyse as of this moment (ISO 8601 with its offset, e.g. "
            "2026-11-27T15:00+08:00) instead of now.",
        )
        parser.add_argument(
            "--only",
            choices=PASSES,
            action="append",
            help="Run only this pass (repeatable).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = None
        if options["at"]:
            try:
                now = datetime.fromisoformat(options["at"])
            except ValueError:
                raise CommandError(f"--at: not an ISO 8601 moment: {options['at']!r}") from None
            if timezone.is_naive(now):
                raise CommandError("--at: give the moment with its UTC offset (e.g. +08:00).")
        result = run_analysis(now=now, passes=tuple(options["only"] or PASSES))
        for line in result.lines():
            self.stdout.write(line)

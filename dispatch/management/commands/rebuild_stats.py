"""Rebuild the evaluation's facts and daily statistics for a range of days, on demand."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dispatch.evaluation.stats import stats_rebuild


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option}: {value!r} is not a date as YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = "Recompute the evaluation statistics of the days FROM..TO (inclusive); idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="start", required=True, help="First day, YYYY-MM-DD.")
        parser.add_argument("--to", dest="end", required=True, help="Last day, YYYY-MM-DD.")

    def handle(self, *args: Any, **options: Any) -> None:
        start = _day(options["start"], "--from")
        end = _day(options["end"], "--to")
        if end < start:
            raise CommandError(f"--to {end} is before --from {start}.")
        result = stats_rebuild(start=start, end=end)
        if options["verbosity"] >= 1:
            self.stdout.write(str(result))

"""Rebuild the evaluation's facts and daily statistics for a range of days, on demand."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from dispatch.evaluation.stats import local_day, stats_rebuild
from dispatch.models import DailyStat


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option}: {value!r} is not a date as YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = (
        "Recompute the evaluation statistics of the days FROM..TO (inclusive), or of the last "
        "DAYS days up to today; idempotent."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="start", help="First day, YYYY-MM-DD.")
        parser.add_argument("--to", dest="end", help="Last day, YYYY-MM-DD.")
        parser.add_argument(
            "--days",
            type=int,
            help="Instead of --from/--to: the last DAYS days, today included (make seed uses "
            "it for the generated history).",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when statistics have been built already (make run, run twice).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        start, end = self._range(options)
        if options["if_empty"] and DailyStat.objects.exists():
            if options["verbosity"] >= 1:
                self.stdout.write("Statistics exist already; nothing rebuilt.")
            return
        result = stats_rebuild(start=start, end=end)
        if options["verbosity"] >= 1:
            self.stdout.write(str(result))

    def _range(self, options: dict[str, Any]) -> tuple[date, date]:
        days = options["days"]
        if days is not None:
            if options["start"] or options["end"]:
                raise CommandError("Give --days, or --from and --to, not both.")
            if days < 1:
                raise CommandError("--days must be at least 1.")
            today = local_day(timezone.now())
            return today - timedelta(days=days - 1), today
        if not options["start"] or not options["end"]:
            raise CommandError("Give --from and --to (YYYY-MM-DD), or --days.")
        start = _day(options["start"], "--from")
        end = _day(options["end"], "--to")
        if end < start:
            raise CommandError(f"--to {end} is before --from {start}.")
        return start, end

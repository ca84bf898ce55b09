"""`manage.py generate_cases`: days of realistic case history, written in bulk (cases.generator)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from cases.generator import DayResult, GenerationRefused, generate_cases
from cases.models import Case


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"Not a date (YYYY-MM-DD): {value}") from exc


class Command(BaseCommand):
    help = (
        "Generate case history: --days days ending on --end-date (default today), --per-day "
        "reports a day, each walked through the workflow as far as it got by now, written with "
        "COPY (PostgreSQL) or bulk_create. Refuses a range that already holds generated cases "
        "unless --append. Needs seed_demo and seed_catalogue first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=365, help="Days of history (365).")
        parser.add_argument("--per-day", type=int, default=3000, help="Reports a day (3000).")
        parser.add_argument(
            "--seed", type=int, default=0, help="Random seed (0): same seed, same data."
        )
        parser.add_argument(
            "--end-date", type=_day, default=None, help="Last day, YYYY-MM-DD (today)."
        )
        parser.add_argument(
            "--batch",
            type=int,
            default=5000,
            help="Rows per INSERT on bulk_create backends (5000).",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="Days written at once by forked processes (PostgreSQL; default: CPUs, at most 4).",
        )
        parser.add_argument(
            "--append",
            action="store_true",
            help="Add to days that already hold generated cases (numbers continue).",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database holds any case (make run's demo history).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        verbose = options["verbosity"] > 0
        if options["if_empty"] and Case.objects.exists():
            if verbose:
                self.stdout.write("cases exist already: nothing generated")
            return
        bar = tqdm(total=options["days"], unit="day", disable=None if verbose else True)

        def on_day(result: DayResult) -> None:
            bar.set_postfix_str(f"{result.day} {result.cases} cases {result.events} events")
            bar.update(1)

        try:
            summary = generate_cases(
                days=options["days"],
                per_day=options["per_day"],
                end_date=options["end_date"],
                seed=options["seed"],
                batch_size=options["batch"],
                append=options["append"],
                workers=options["workers"],
                on_day=on_day,
            )
        except GenerationRefused as refused:
            raise CommandError(str(refused)) from refused
        finally:
            bar.close()
        if verbose:
            for line in summary.lines():
                self.stdout.write(self.style.SUCCESS(line))

"""Generate the reference district's population into an empty registry (after seed_demo).

manage.py generate_population                      520,000 persons over every grid
manage.py generate_population --persons 2000 --region 370203001   a small one, one street
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from citizens.population import REFERENCE_PERSONS, PopulationExistsError, generate_population


class Command(BaseCommand):
    help = "Generate persons in households, buildings, dwellings and parcels across the grids."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--persons", type=int, default=REFERENCE_PERSONS)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--region", default="", help="Only the grids under this code.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["persons"] < 1:
            raise CommandError("--persons must be at least 1.")

        def progress(message: str) -> None:
            if options["verbosity"] >= 1:
                self.stderr.write(message)

        try:
            summary = generate_population(
                persons=options["persons"],
                seed=options["seed"],
                region_prefix=options["region"],
                progress=progress,
            )
        except (PopulationExistsError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        for line in summary.lines():
            self.stdout.write(line)

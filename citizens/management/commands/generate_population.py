"""Generate the reference district's population into an empty registry (after seed_demo).

manage.py generate_population                      520,000 persons over every grid
manage.py generate_population --persons 2000 --region 370203005   a small one, one street
manage.py generate_population --demo --if-empty    ~20,000 in the demo accounts' street, once
                                                   (make run)
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from citizens.models import Person
from citizens.population import (
    DEMO_PERSONS,
    REFERENCE_PERSONS,
    PopulationExistsError,
    demo_street_code,
    generate_population,
)


class Command(BaseCommand):
    help = "Generate persons in households, buildings, dwellings and parcels across the grids."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--persons",
            type=int,
            help=f"How many (default {REFERENCE_PERSONS}; --demo {DEMO_PERSONS}).",
        )
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--region", default="", help="Only the grids under this code.")
        parser.add_argument(
            "--demo",
            action="store_true",
            help="A registry sized for a laptop: the demo accounts' street only.",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing (and succeed) when the registry already has persons.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and Person.objects.exists():
            if options["verbosity"] >= 1:
                self.stdout.write("The registry already has persons: nothing generated.")
            return
        persons = options["persons"]
        if persons is None:
            persons = DEMO_PERSONS if options["demo"] else REFERENCE_PERSONS
        if persons < 1:
            raise CommandError("--persons must be at least 1.")
        region = options["region"]
        if options["demo"] and not region:
            try:
                region = demo_street_code()
            except ValueError as exc:
                raise CommandError(str(exc)) from None

        def progress(message: str) -> None:
            if options["verbosity"] >= 1:
                self.stderr.write(message)

        try:
            summary = generate_population(
                persons=persons,
                seed=options["seed"],
                region_prefix=region,
                progress=progress,
            )
        except (PopulationExistsError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        for line in summary.lines():
            self.stdout.write(line)

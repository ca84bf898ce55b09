"""`manage.py generate_resources --count N --seed S`: random emergency resources for benchmarks."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from grids.emergency import ResourceInputError, resources_generate


class Command(BaseCommand):
    help = (
        "Generate COUNT emergency resources (cameras, supplies, teams, shelters) at random "
        "points inside the district's grids. The same seed gives the same resources (codes "
        "GEN<seed>-<n>), so running it again adds nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, required=True)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args: Any, **options: Any) -> None:
        count = options["count"]
        if count < 1 or count > 10_000_000:
            raise CommandError("--count must be between 1 and 10,000,000.")
        try:
            added = resources_generate(count=count, seed=options["seed"])
        except ResourceInputError as exc:
            raise CommandError(str(exc)) from exc
        if options["verbosity"] > 0:
            self.stdout.write(self.style.SUCCESS(f"{added} emergency resources added."))

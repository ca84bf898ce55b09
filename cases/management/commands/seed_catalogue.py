"""seed_catalogue: load the district's responsibility catalogue and the urgency factors."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cases.catalogue import CatalogueImportFailed, catalogue_seed


class Command(BaseCommand):
    help = (
        "Create or update the district catalogue (12 domains, 99 items) from "
        "cases/data/catalogue_370203.csv and the default urgency factors. Safe to run again: "
        "items are updated by code, edited urgency factors are kept, and items are linked to "
        "their units once those exist (run it again after seed_demo)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = catalogue_seed()
        except CatalogueImportFailed as failure:
            for problem in failure.problems:
                self.stderr.write(str(problem))
            raise CommandError(failure.summary) from None
        if options["verbosity"] == 0:
            return
        self.stdout.write(f"catalogue seeded: {result}")
        self.stdout.write(
            f"urgency factors created: {result.urgency_factors_created}; "
            f"items linked to their unit: {result.units_linked}"
        )
        if result.missing_unit_codes:
            self.stdout.write(
                "no unit yet for codes "
                + ", ".join(result.missing_unit_codes)
                + ": the items keep the code; seed again once the units exist"
            )

"""import_catalogue IN.csv [--dry-run]: the whole file or nothing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases.catalogue import CatalogueImportFailed, catalogue_import_csv


class Command(BaseCommand):
    help = (
        "Create or update catalogue domains, items and filing conditions from a UTF-8 CSV file "
        "(the export_catalogue format), matched by code. Every row is checked first; any "
        "problem is printed as 'row N, column X: reason' (the header is row 1) and nothing is "
        "written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV file to import")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check the file and report what would change, writing nothing.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = catalogue_import_csv(options["file"], dry_run=options["dry_run"])
        except CatalogueImportFailed as failure:
            for problem in failure.problems:
                self.stderr.write(f"{options['file']}: {problem}")
            raise CommandError(failure.summary) from None
        if options["verbosity"] > 0:
            self.stdout.write(f"imported {options['file']}: {result}")

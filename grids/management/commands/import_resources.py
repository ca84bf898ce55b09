"""`manage.py import_resources FILE.csv`: emergency resources from CSV, all or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from grids.emergency import CSV_OPTIONAL, CSV_REQUIRED, ResourceImportError, resources_import


class Command(BaseCommand):
    help = (
        f"Import emergency resources from a UTF-8 CSV with the columns {','.join(CSV_REQUIRED)} "
        f"and optionally {','.join(CSV_OPTIONAL)} (details: a JSON object). A row with a known "
        "code updates that resource. Every row is checked first: one bad row imports nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                count = resources_import(lines=handle)
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror or exc}") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path}: not UTF-8 text ({exc.reason}).") from exc
        except ResourceImportError as exc:
            for problem in exc.problems:
                self.stderr.write(f"{path}:{problem}")
            raise CommandError(
                f"{path}: {len(exc.problems)} bad rows; nothing was imported."
            ) from exc
        if options["verbosity"] > 0:
            self.stdout.write(self.style.SUCCESS(f"{count} emergency resources imported."))

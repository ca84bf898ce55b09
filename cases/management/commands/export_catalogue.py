"""export_catalogue OUT.csv: the catalogue as CSV, one row per filing condition."""

from __future__ import annotations

import io
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases.catalogue import catalogue_export_csv


class Command(BaseCommand):
    help = (
        "Write the catalogue to a UTF-8 CSV file ('-' for stdout) in the format "
        "import_catalogue reads."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("out", help="output file, or - for stdout")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["out"] == "-":
            buffer = io.StringIO()
            count = catalogue_export_csv(buffer)
            stdout = options.get("stdout") or sys.stdout
            # UTF-8 whatever the locale says: a C locale would fail on the first Chinese name.
            if hasattr(stdout, "buffer"):
                stdout.flush()
                stdout.buffer.write(buffer.getvalue().encode("utf-8"))
                stdout.buffer.flush()
            else:
                stdout.write(buffer.getvalue())
            if options["verbosity"] > 0:
                self.stderr.write(f"exported {count} catalogue rows")
            return
        try:
            count = catalogue_export_csv(options["out"])
        except OSError as exc:
            raise CommandError(f"{options['out']}: cannot write: {exc.strerror or exc}") from None
        if options["verbosity"] > 0:
            self.stdout.write(f"exported {count} catalogue rows to {options['out']}")

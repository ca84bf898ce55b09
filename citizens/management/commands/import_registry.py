"""Import buildings, dwellings or persons from a CSV or XLSX file.

manage.py import_registry FILE --kind persons            check only: the report
manage.py import_registry FILE --kind persons --commit   write the good rows, all or none
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from tqdm import tqdm

from citizens.importer import KINDS, ImportFileError, registry_import


class Command(BaseCommand):
    help = "Check (and with --commit, import) buildings, dwellings or persons from CSV/XLSX."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--kind", required=True, choices=KINDS)
        parser.add_argument(
            "--commit",
            action="store_true",
            help="Write the good rows (in one transaction); without it, only report.",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        quiet = options["no_progress"] or options["verbosity"] == 0

        def progress(rows: Any, total: int, label: str) -> Any:
            if quiet:
                return rows
            return tqdm(rows, total=total, desc=label, unit=_("rows"), file=self.stderr._out)

        try:
            with path.open("rb") as data:
                report = registry_import(
                    kind=options["kind"],
                    data=data,
                    filename=path.name,
                    commit=options["commit"],
                    progress=progress,
                )
        except OSError as exc:
            raise CommandError(
                _("%(file)s: %(error)s") % {"file": path, "error": exc.strerror}
            ) from None
        except ImportFileError as exc:
            raise CommandError(str(exc)) from None
        for error in report.errors:
            self.stdout.write(
                _("row %(row)s, %(column)s: %(reason)s")
                % {"row": error.row, "column": error.column, "reason": error.reason}
            )
        summary = _(
            "%(kind)s: %(total)s rows, %(valid)s good, %(bad)s with errors; %(imported)s imported."
        ) % {
            "kind": report.kind,
            "total": report.total,
            "valid": report.valid,
            "bad": report.bad_rows,
            "imported": report.imported,
        }
        self.stdout.write(summary)
        if not options["commit"] and report.valid:
            self.stdout.write(
                _("Nothing written. Run again with --commit to import the good rows.")
            )

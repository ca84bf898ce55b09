"""`manage.py import_layer FILE --code CODE --name NAME [--category C] [--owner AGENCY]`.

Reads a GeoJSON, CSV (lon/lat or WKT columns), zipped Shapefile or GeoPackage with GDAL,
checks every row, and writes the layer in one transaction: exit 0 and one summary line, or a
non-zero exit and one line per bad row, having written nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from tqdm import tqdm

from layers.importer import ImportOptions, LayerFileError, layer_import
from layers.models import UpdateFrequency


class Command(BaseCommand):
    help = (
        "Import a dataset (GeoJSON, CSV with lon/lat or WKT, zipped Shapefile, GeoPackage) as "
        "a layer of the catalogue. Every row is checked first; one bad row writes nothing. "
        "Importing into an existing layer updates it: rows are matched by --key."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--code", required=True, help="The layer's code (a-z, 0-9, -, _).")
        parser.add_argument("--name", required=True, help="The layer's name (Chinese).")
        parser.add_argument("--name-en", default="", help="The layer's English name.")
        parser.add_argument("--category", default="", help="A category code (default spatial).")
        parser.add_argument("--owner", default="", help="The owner agency: a unit code or name.")
        parser.add_argument(
            "--srid", type=int, default=None, help="The file's EPSG code, if it does not say."
        )
        parser.add_argument(
            "--gcj02",
            action="store_true",
            help="Coordinates are GCJ-02 (from a Chinese web map): convert them to WGS84.",
        )
        parser.add_argument("--layer", default="", help="The layer inside a GeoPackage.")
        parser.add_argument("--key", default="", help="The column with each row's unique id.")
        parser.add_argument("--name-field", default="", help="The column with each row's name.")
        parser.add_argument("--encoding", default="utf-8", help="Text encoding (e.g. gbk).")
        parser.add_argument(
            "--frequency", default="", choices=["", *UpdateFrequency.values], help="How often."
        )
        parser.add_argument("--check", action="store_true", help="Check only; write nothing.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        quiet = options["no_progress"] or options["verbosity"] == 0

        def progress(rows: Any, total: int, label: str) -> Any:
            if quiet:
                return rows
            return tqdm(rows, total=total, desc=label, unit=_("rows"), file=self.stderr._out)

        if not path.is_file():
            raise CommandError(_("%(file)s: no such file.") % {"file": path})
        import_options = ImportOptions(
            code=options["code"],
            name=options["name"],
            name_en=options["name_en"],
            category=options["category"],
            owner=options["owner"],
            srid=options["srid"],
            gcj02=options["gcj02"],
            layer_name=options["layer"],
            key_field=options["key"],
            name_field=options["name_field"],
            encoding=options["encoding"],
            frequency=options["frequency"],
            file_name=path.name,
        )
        try:
            report = layer_import(
                path=path, options=import_options, commit=not options["check"], progress=progress
            )
        except LayerFileError as exc:
            raise CommandError(f"{path}: {exc}") from None
        if report.problems:
            for problem in report.problems:
                self.stderr.write(f"{path}: {problem}")
            raise CommandError(
                _("%(file)s: %(n)d bad rows; nothing was written.")
                % {"file": path, "n": len(report.problems)}
            )
        self.stdout.write(report.summary(options["code"]))

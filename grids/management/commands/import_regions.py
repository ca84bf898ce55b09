"""import_regions FILE.geojson --level L [--update]: all of the file or nothing."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from grids.importer import (
    OUTSIDE_PARENT_TOLERANCE_M,
    RegionImportFailed,
    import_region_file,
)
from grids.models import LEVEL_ORDER


class Command(BaseCommand):
    help = (
        "Import one level of regions from a GeoJSON FeatureCollection (WGS84 lon/lat). "
        "Feature properties: code, name, parent_code (not for districts), kind (grids: unit or "
        "extended, default unit). Every feature is checked first; any problem is printed as "
        "'FILE: feature INDEX (code CODE): REASON' (INDEX counts from 0) and nothing is written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="GeoJSON FeatureCollection to import")
        parser.add_argument("--level", required=True, choices=LEVEL_ORDER)
        parser.add_argument(
            "--update",
            action="store_true",
            help="Regions whose code already exists get the file's name, kind and geometry "
            "(in place; links to them are kept). Without it an existing code is an error.",
        )
        parser.add_argument(
            "--tolerance-m",
            type=float,
            default=OUTSIDE_PARENT_TOLERANCE_M,
            help="How far in metres a region may extend beyond its parent (default %(default)s).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # tqdm needs the raw stream: Django's OutputWrapper appends a newline to every write,
        # which would turn each redraw of the bar into a new line.
        progress_to = None if options["verbosity"] == 0 else options.get("stderr") or sys.stderr
        try:
            result = import_region_file(
                options["file"],
                level=options["level"],
                update=options["update"],
                tolerance_m=options["tolerance_m"],
                progress_to=progress_to,
            )
        except RegionImportFailed as failure:
            for problem in failure.problems:
                self.stderr.write(str(problem))
            raise CommandError(failure.summary) from None
        self.stdout.write(
            f"imported {result.total} regions (level {result.level}): "
            f"{result.created} created, {result.updated} updated"
        )

"""export_regions --level L OUT.geojson: the regions of a level as a GeoJSON FeatureCollection.

The output is a contract (acceptance checks read it): features ordered by code, properties
exactly code, name, level, kind (grids only, else null), parent_code (null for the district),
geometry a WGS84 lon/lat MultiPolygon. It reads back with import_regions.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from grids.importer import regions_feature_collection
from grids.models import LEVEL_ORDER

ALL_LEVELS = "all"


class Command(BaseCommand):
    help = "Export the regions of one level (or all) to a GeoJSON file; '-' writes to stdout."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("out", help="output file, or - for stdout")
        parser.add_argument(
            "--level",
            required=True,
            choices=[*LEVEL_ORDER, ALL_LEVELS],
            help="'all' writes every level in one file, ordered by code (parents first).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        level = None if options["level"] == ALL_LEVELS else options["level"]
        collection = regions_feature_collection(level=level)
        text = json.dumps(collection, ensure_ascii=False) + "\n"
        count = len(collection["features"])
        summary = f"exported {count} regions (level {options['level']})"
        if options["out"] == "-":
            stdout = options.get("stdout") or sys.stdout
            # UTF-8 whatever the locale says: the contract is UTF-8, and a C locale would
            # otherwise fail on the first Chinese name.
            if hasattr(stdout, "buffer"):
                stdout.flush()
                stdout.buffer.write(text.encode("utf-8"))
                stdout.buffer.flush()
            else:
                stdout.write(text)
            # stdout carries the document, so the summary goes to stderr.
            if options["verbosity"] > 0:
                self.stderr.write(summary)
            return
        try:
            Path(options["out"]).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"{options['out']}: cannot write: {exc.strerror or exc}") from None
        if options["verbosity"] > 0:
            self.stdout.write(f"{summary} to {options['out']}")

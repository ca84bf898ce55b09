"""`manage.py seed_demo`: load the reference district Qingdao Shibei (市北区, 370203)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from config.dbstats import analyze
from grids.demo.geometry import no_progress
from grids.demo.seed import DemoAccountsRefusedError, seed_demo
from grids.models import Asset, Post, Region, Unit, User

T = TypeVar("T")


def _tqdm_progress(items: Iterable[T], *, desc: str, total: int) -> Iterable[T]:
    # tqdm draws on a terminal only (disable=None); in logs and CI the stage lines suffice.
    return tqdm(items, desc=desc, total=total, unit="community", leave=False, disable=None)


class Command(BaseCommand):
    help = (
        "Load the reference district Qingdao Shibei (市北区, 370203): its real boundary, the "
        "22 streets and 137 communities with real names and codes, 1,064 unit and 124 "
        "extended grids generated to tile them, 13 departments, 22 street offices, 400 assets "
        "and one demo account per role. Running it again updates the same rows."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing if any region exists (for `make run`).",
        )
        accounts = parser.add_mutually_exclusive_group()
        accounts.add_argument(
            "--no-accounts",
            action="store_true",
            help="Load the map, units and assets but no demo accounts.",
        )
        accounts.add_argument(
            "--force-demo-accounts",
            action="store_true",
            help="Create the demo accounts even on a production install (DEBUG off, PostgreSQL).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        verbose = options["verbosity"] > 0
        if options["if_empty"] and Region.objects.exists():
            if verbose:
                self.stdout.write("Regions already exist: seed_demo --if-empty changes nothing.")
            return
        try:
            summary = seed_demo(
                accounts=not options["no_accounts"],
                force_demo_accounts=options["force_demo_accounts"],
                progress=_tqdm_progress if verbose else no_progress,
                report=self.stdout.write if verbose else lambda message: None,
            )
        except DemoAccountsRefusedError as refused:
            raise CommandError(str(refused)) from refused
        # Without statistics SQLite drives locate from the level index instead of the R*Tree
        # (docs/performance.md), and PostgreSQL takes the new tables for empty.
        analyze(Region, Unit, Post, User, Asset)
        if verbose:
            for line in summary.lines():
                style = self.style.WARNING if line.startswith("warning") else self.style.SUCCESS
                self.stdout.write(style(line))

"""manage.py generate_patrols: working days of GPS fixes for the inspectors (demo, benchmarks)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from analysis.patrol_generator import PatrolGenerationRefused, generate_patrols
from grids.models import PatrolFix, Post, Role


class Command(BaseCommand):
    help = (
        "Generate patrol tracks (GPS fixes with noise and jumps) for the inspectors posted to "
        "grids, on the working days ending today (or --end-date)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=1)
        parser.add_argument("--end-date", type=date.fromisoformat, help="YYYY-MM-DD")
        parser.add_argument(
            "--region",
            action="append",
            default=[],
            help="Only inspectors posted under this region code (repeatable).",
        )
        parser.add_argument(
            "--near",
            metavar="USERNAME",
            help="Only inspectors posted in the communities of this inspector's grids "
            "(make run: --near demo-inspector).",
        )
        parser.add_argument("--interval", type=float, default=15.0, help="Seconds between fixes.")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database holds any fix (make run's demo tracks).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and PatrolFix.objects.exists():
            self.stdout.write("Patrol fixes exist already; nothing generated.")
            return
        regions = list(options["region"])
        if options["near"]:
            communities = {
                code[:12]
                for code in Post.objects.filter(
                    user__username=options["near"], role=Role.INSPECTOR, is_active=True
                ).values_list("region__code", flat=True)
                if code
            }
            if not communities:
                raise CommandError(f"--near: {options['near']!r} is no inspector posted to a grid.")
            regions += sorted(communities)
        try:
            summary = generate_patrols(
                days=options["days"],
                end_date=options["end_date"],
                regions=regions,
                interval=options["interval"],
                seed=options["seed"],
                on_day=lambda day, n: self.stdout.write(f"{day}: {n} fixes"),
            )
        except PatrolGenerationRefused as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(str(summary))

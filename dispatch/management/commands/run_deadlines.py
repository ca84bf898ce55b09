"""Run the deadline sweep without Celery: once, or in a loop."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dispatch.sweeper import sweep_deadlines


class Command(BaseCommand):
    help = "Issue yellow and red cards, escalate overdue cases and send reminders."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="Sweep until interrupted.")
        parser.add_argument(
            "--interval", type=float, default=30.0, help="Seconds between sweeps (with --loop)."
        )
        parser.add_argument("--batch-size", type=int, default=200)

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            started = time.monotonic()
            result = sweep_deadlines(batch_size=options["batch_size"])
            if options["verbosity"] >= 1:
                self.stdout.write(str(result))
            if not options["loop"]:
                return
            try:
                time.sleep(max(0.0, options["interval"] - (time.monotonic() - started)))
            except KeyboardInterrupt:
                return

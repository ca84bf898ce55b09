"""The month partitions of the case events and evaluation facts (PostgreSQL only)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connection

from cases.partitions import PARTITIONED, PartitionError, ensure_all, list_partitions


def _month(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value if len(value) > 7 else f"{value}-01")
    except ValueError:
        raise CommandError(f"{option}: {value!r} is not a month as YYYY-MM.") from None


class Command(BaseCommand):
    help = (
        "List the month partitions with their row estimates (--list), or create this month's "
        "and the next ones, and those of --from..--to, moving rows that waited in DEFAULT "
        "(--ensure). SQLite/SpatiaLite: nothing is partitioned."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--ensure", action="store_true", help="Create the missing months.")
        parser.add_argument("--list", action="store_true", help="List partitions and rows.")
        parser.add_argument("--from", dest="start", help="First month to create, YYYY-MM.")
        parser.add_argument("--to", dest="end", help="Last month to create, YYYY-MM.")
        parser.add_argument(
            "--months-ahead",
            type=int,
            help="Months after this one to keep ready (default: PARTITION_MONTHS_AHEAD).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not (options["ensure"] or options["list"]):
            raise CommandError("Give --ensure, --list or both.")
        if connection.vendor != "postgresql":
            self.stdout.write(f"Not partitioned ({connection.vendor}): nothing to do.")
            return
        if options["ensure"]:
            self._ensure(options)
        if options["list"]:
            self._list()

    def _ensure(self, options: dict[str, Any]) -> None:
        start, end = options["start"], options["end"]
        if bool(start) != bool(end):
            raise CommandError("Give --from and --to together.")
        first = _month(start, "--from") if start else None
        last = _month(end, "--to") if end else None
        if first and last and last < first:
            raise CommandError("--to is before --from.")
        try:
            created = ensure_all(first, last, options["months_ahead"])
        except (PartitionError, DatabaseError) as exc:
            raise CommandError(f"Partitions not ensured: {str(exc).splitlines()[0]}") from exc
        for table, names in created.items():
            self.stdout.write(
                f"{table}: created {', '.join(names)}" if names else f"{table}: up to date"
            )

    def _list(self) -> None:
        for table in PARTITIONED:
            partitions = list_partitions(table)
            if not partitions:
                self.stdout.write(f"{table}: not partitioned")
                continue
            self.stdout.write(f"{table}: {len(partitions)} partitions")
            for p in partitions:
                rows = "not analysed" if p.rows is None else f"~{p.rows:,} rows"
                self.stdout.write(f"  {p.name}  {p.bounds}  {rows}")

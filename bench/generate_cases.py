"""Benchmark generate_cases, then check what it wrote, all of it, in SQL (PostgreSQL).

    bench/seed_demo.sh postgis wangge_bench          # a fresh, seeded database
    DATABASE_URL=postgis://wangge@127.0.0.1/wangge_bench SECRET_KEY=x DEBUG=0 \\
        .venv/bin/python bench/generate_cases.py --days 365 --per-day 3000 --end-date 2026-11-27

Prints the run's throughput (cases/s, events/s, and the slowest day), then the checks:
every event is a row of the workflow table (source state, target); each case's events chain
from '' to the case's status with versions 1..n; numbers fit their day's sequence; a sample of
points lies in the case's grid; open cases per state over the last days; table sizes.
--check-only skips the generation.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from tqdm import tqdm  # noqa: E402

from cases.generator import DayResult, generate_cases  # noqa: E402
from cases.workflow import TRANSITIONS  # noqa: E402


def scalar(sql: str, params: list | None = None) -> object:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchone()[0]


def rows(sql: str, params: list | None = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchall()


def timed_check(label: str, sql: str, params: list | None = None) -> object:
    started = time.perf_counter()
    value = scalar(sql, params)
    print(f"  {label}: {value}   ({time.perf_counter() - started:.1f} s)")
    return value


def generate(args: argparse.Namespace) -> None:
    slowest: tuple[float, date | None] = (0.0, None)
    last = time.perf_counter()
    bar = tqdm(total=args.days, unit="day", mininterval=2)

    def on_day(result: DayResult) -> None:
        nonlocal last, slowest
        now = time.perf_counter()
        slowest = max(slowest, (now - last, result.day), key=lambda pair: pair[0])
        last = now
        bar.set_postfix_str(f"{result.day} {result.cases}c {result.events}e")
        bar.update(1)

    print(f"load average before: {os.getloadavg()[0]:.2f}")
    summary = generate_cases(
        days=args.days,
        per_day=args.per_day,
        end_date=args.end_date,
        seed=args.seed,
        workers=args.workers,
        append=args.append,
        on_day=on_day,
    )
    bar.close()
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    for line in summary.lines():
        print(line)
    print(f"slowest day: {slowest[1]} {slowest[0]:.2f} s (between two finished days)")


def check() -> None:
    if connection.vendor != "postgresql":
        raise SystemExit("The checks are written for PostgreSQL.")
    allowed = [
        (action.value, source, row.target or "")
        for action, row in TRANSITIONS.items()
        for source in (row.sources or {""})
    ]
    values = ", ".join(["(%s, %s, %s)"] * len(allowed))
    params = [value for triple in allowed for value in triple]
    print("checks:")
    timed_check(
        "events that are no row of the workflow table",
        "SELECT count(*) FROM cases_caseevent e WHERE NOT EXISTS ("  # noqa: S608 - placeholders
        f"SELECT 1 FROM (VALUES {values}) AS t(action, source, target) "
        "WHERE t.action = e.action AND t.source = e.from_status AND "
        "(t.target = e.to_status OR (t.target = '' AND e.to_status = e.from_status)))",
        params,
    )
    timed_check(
        "events whose from-state is not the previous event's to-state (or version not n)",
        """SELECT count(*) FROM (
            SELECT from_status, version,
                   coalesce(lag(to_status) OVER w, '') AS previous,
                   row_number() OVER w AS n
            FROM cases_caseevent WINDOW w AS (PARTITION BY case_id ORDER BY created_at, id)
        ) chain WHERE from_status <> previous OR version <> n""",
    )
    timed_check(
        "cases whose status/version differ from their last event",
        """SELECT count(*) FROM cases_case c JOIN (
            SELECT DISTINCT ON (case_id) case_id, to_status, version FROM cases_caseevent
            ORDER BY case_id, created_at DESC, id DESC) last ON last.case_id = c.id
           WHERE c.status <> last.to_status OR c.version <> last.version""",
    )
    timed_check(
        "cases without events",
        "SELECT count(*) FROM cases_case c WHERE NOT EXISTS "
        "(SELECT 1 FROM cases_caseevent e WHERE e.case_id = c.id)",
    )
    timed_check(
        "days whose highest serial is above the sequence's last",
        """SELECT count(*) FROM (
            SELECT split_part(number, '-', 2) AS day, max(split_part(number, '-', 3)::int) AS top
            FROM cases_case GROUP BY 1) n
           JOIN cases_casenumbersequence s ON to_char(s.day, 'YYYYMMDD') = n.day
           WHERE n.top > s.last""",
    )
    timed_check(
        "closed cases without closure kind, or with clocks out of order",
        """SELECT count(*) FROM cases_case WHERE
            (status = 'closed' AND (closure_kind = '' OR closed_at IS NULL))
            OR filed_at < reported_at OR dispatched_at < filed_at OR closed_at < dispatched_at
            OR handled_at < dispatched_at""",
    )
    timed_check(
        "sampled cases (1 %) whose point is outside their grid",
        """SELECT count(*) FROM cases_case c TABLESAMPLE SYSTEM (1)
           JOIN grids_region g ON g.code = c.grid_code
           WHERE NOT ST_Contains(g.geom, c.point)""",
    )
    print(
        "  sampled cases checked:", scalar("SELECT count(*) FROM cases_case TABLESAMPLE SYSTEM (1)")
    )
    print("status of cases reported in the last 3 days:")
    for status, count in rows(
        """SELECT status, count(*) FROM cases_case
           WHERE reported_at > (SELECT max(reported_at) FROM cases_case) - interval '3 days'
           GROUP BY 1 ORDER BY 2 DESC"""
    ):
        print(f"  {status:14s} {count}")
    print("closure kinds:", rows("SELECT closure_kind, count(*) FROM cases_case GROUP BY 1"))
    print(
        "totals:",
        rows("SELECT (SELECT count(*) FROM cases_case), (SELECT count(*) FROM cases_caseevent)"),
    )
    print("sizes (table + indexes):")
    for name, total, indexes in rows(
        """SELECT relname, pg_size_pretty(pg_total_relation_size(oid)),
                  pg_size_pretty(pg_indexes_size(oid))
           FROM pg_class WHERE relname IN ('cases_case', 'cases_caseevent')"""
    ):
        print(f"  {name}: {total} (indexes {indexes})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--per-day", type=int, default=3000)
    parser.add_argument("--end-date", type=date.fromisoformat, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--append", action="store_true")
    parser.add_argument("--check-only", action="store_true")
    args = parser.parse_args()
    print(f"backend: {connection.vendor} ({connection.settings_dict['NAME']})")
    if not args.check_only:
        generate(args)
    check()


if __name__ == "__main__":
    main()

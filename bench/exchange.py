"""Benchmark webhook delivery: events per second to a local receiver, and what recording an
event for the exchange adds to a case action.

    DATABASE_URL=... .venv/bin/python bench/exchange.py [-n 1000] [--workers 2]

Needs seed_demo (regions, the catalogue, staff). It writes: N cases reported by the district's
intake operator (request ids "bench-…") and registered, so 2 × N events in order per case, one
subscription `bench-exchange-…` for every event, its deliveries.

1. `case_report` timed with the exchange hook disconnected (baseline) and connected with the
   subscription in place, alternating, n/2 each;
2. a receiver in a separate process (ThreadingHTTPServer, answers 200 at once; verifies
   nothing, so the sender is measured) and the deliveries sent by
   `deliver_webhooks_until_idle` (batches of 100, a keep-alive session), with 1 worker, then
   with several worker threads (each its own connection; `skip_locked` on PostgreSQL) over a
   second round of events; events/s = delivered / wall time.

Prints the load average with every figure.
"""

from __future__ import annotations

import argparse
import cProfile
import multiprocessing
import os
import pstats
import sys
import threading
import time
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db import connection, connections  # noqa: E402
from django.db.models.signals import post_save  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.locate import percentiles, random_grid_points  # noqa: E402
from cases.models import CaseEvent, EntryLevel, Item  # noqa: E402
from cases.services import ReportInput, case_report, case_transition  # noqa: E402
from exchange import events as exchange_events  # noqa: E402
from exchange.delivery import deliver_webhooks_until_idle  # noqa: E402
from exchange.models import Subscription, WebhookDelivery  # noqa: E402
from exchange.services import subscription_create  # noqa: E402
from grids.models import Post, Role  # noqa: E402


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.2f} / {five:.2f}"


def rid() -> str:
    return f"bench-{uuid.uuid4().hex}"


def serve(port_queue: multiprocessing.Queue) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port_queue.put(server.server_address[1])
    server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=1000, help="cases per round (2 events each)")
    parser.add_argument("--workers", type=int, default=2, help="threads in the second round")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="cProfile the 1-worker round")
    args = parser.parse_args()
    print(f"backend: {connection.vendor} ({connection.settings_dict['NAME']})")
    queue: multiprocessing.Queue = multiprocessing.Queue()
    receiver = multiprocessing.Process(target=serve, args=(queue,), daemon=True)
    receiver.start()
    url = f"http://127.0.0.1:{queue.get(timeout=10)}/hook"

    intake = (
        Post.objects.filter(role=Role.INTAKE_OPERATOR, region__code="370203", is_active=True)
        .select_related("user")
        .first()
    )
    if intake is None:
        raise SystemExit("No intake operator: run manage.py seed_demo first.")
    operator = intake.user
    item = (
        Item.objects.filter(is_active=True, default_unit__isnull=False)
        .filter(entry_level=EntryLevel.DISTRICT)
        .order_by("code")
        .first()
    )
    points = random_grid_points(2 * args.n, args.seed)
    # Earlier runs' subscriptions point at receivers that are gone.
    Subscription.objects.filter(name__startswith="bench-exchange-").update(is_active=False)
    WebhookDelivery.objects.filter(
        subscription__name__startswith="bench-exchange-", state="pending"
    ).update(state="dead")
    subscription_create(name=f"bench-exchange-{uuid.uuid4().hex[:8]}", url=url)

    def report(index: int) -> int:
        _grid, point = points[index]
        data = ReportInput(
            source="hotline_12345", item_id=item.pk, description="bench", point=point, address=""
        )
        return case_report(actor=operator, data=data, request_id=rid()).pk

    # 1. What recording adds to case_report: hook off / on, alternating.
    off: list[float] = []
    on: list[float] = []
    pending: list[int] = []
    print(f"reporting {args.n} cases ({load()})")
    for index in range(args.n):
        hooked = index % 2 == 1
        if not hooked:
            post_save.disconnect(sender=CaseEvent, dispatch_uid="exchange_event")
        started = time.perf_counter()
        case_id = report(index)
        elapsed = (time.perf_counter() - started) * 1000
        if not hooked:
            post_save.connect(
                exchange_events.case_event_saved, sender=CaseEvent, dispatch_uid="exchange_event"
            )
            off.append(elapsed)
        else:
            on.append(elapsed)
            pending.append(case_id)
    for name, samples in (("case_report, exchange off", off), ("case_report, exchange on", on)):
        print(f"{name}: {percentiles(samples)} ({load()})")

    for case_id in pending:
        case_transition(case_id=case_id, action="register", actor=operator, request_id=rid())

    def deliver_round(workers: int) -> None:
        due = WebhookDelivery.objects.filter(state="pending").count()
        now = timezone.now() + timedelta(seconds=1)
        before = load()
        started = time.perf_counter()
        if workers == 1 and args.profile:
            profile = cProfile.Profile()
            profile.runcall(deliver_webhooks_until_idle, now=now)
            pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
        elif workers == 1:
            deliver_webhooks_until_idle(now=now)
        else:

            def work() -> None:
                try:
                    deliver_webhooks_until_idle(now=now)
                finally:
                    connections.close_all()

            threads = [threading.Thread(target=work) for _ in range(workers)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        seconds = time.perf_counter() - started
        left = WebhookDelivery.objects.filter(state="pending").count()
        sent = due - left
        print(
            f"{workers} worker(s): {sent} of {due} events delivered in {seconds:.2f} s: "
            f"{sent / seconds:.0f} events/s ({before} → {load()})"
        )

    deliver_round(1)
    # Second round: the other half of the points, reported and registered with the hook on.
    second = [report(index) for index in range(args.n, args.n + args.n // 2)]
    for case_id in second:
        case_transition(case_id=case_id, action="register", actor=operator, request_id=rid())
    deliver_round(args.workers)
    receiver.terminate()


if __name__ == "__main__":
    main()

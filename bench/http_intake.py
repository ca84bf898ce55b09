"""HTTP benchmark of the intake requests against a bare DRF app, open loop at fixed rates.

    DATABASE_URL=postgis://wangge@127.0.0.1/wangge_bench CACHE_URL=redis://127.0.0.1:6379/3 \\
    SECRET_KEY=... PERSONAL_DATA_KEYS=... PERSONAL_DATA_HASH_KEY=... SECURE_SSL_REDIRECT=0 \\
        .venv/bin/python bench/http_intake.py [--target report] [--rates 10,25,50,100,150,200] \\
            [--seconds 10] [--rounds 1] [--workers 2] [--threads 4] [--worker-class gthread] \\
            [--no-bare]

Targets (--target):
- report: an inspector's report, POST /api/v1/cases/ with the grid inspector's token (the
  default; compared with the bare app);
- intake: an agency's ticket, POST /api/v1/intake/ with an agency key (X-Api-Key; the key is
  issued here, "bench-http", with its own rate of 100000/hour so that the per-key throttle
  measures nothing; compared with the bare app);
- queue: the district dispatcher's dispatch queue as the live page refreshes it,
  GET /queues/dispatch/?partial=1 (session cookie; 50 rows, the clock per row);
- map: the map's data for the whole district box as the district leader sees it,
  GET /map/cases.json?bbox=… (session cookie; every overdue case and the open ones in view).
The two GETs have no bare counterpart (the bare app only inserts); --no-bare skips it anyway.

Open loop at fixed arrival rates: request i is due at start + i/rate whatever happened to the
others, and its latency is measured from that scheduled instant, not from when a client
thread got round to sending it (so a server that falls behind shows its queue, instead of
slowing the load down: no coordinated omission). A request without an answer within
--timeout seconds is an error, as is any answer but the expected one (201 for the writes,
200 for the reads).

Both apps run under gunicorn with the same settings (--workers, --threads, --worker-class;
no access log for either), on the same database server and database: ours is config.wsgi with
DEBUG=0; the bare app (bench/bare/) validates a JSON body with a DRF serializer and inserts
one row with a point through the ORM, 2 statements. They run alternately at each rate (which
one goes first alternates too). Needs seed_demo, seed_calendar and seed_catalogue in the
database; the cases it makes stay there (request ids "http-…", tickets "HTTP-…").

Prints, per rate, p50/p99/errors of each and the load average before each run, the CPU time
the server's processes used per request (from /proc: all gunicorn processes of the app, user +
system; the database server's share is not in it); then the highest rate each sustained with
p99 < 150 ms and no errors, and their ratio.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402

from bench.locate import random_grid_points  # noqa: E402
from cases.api.auth import agency_key_issue, token_issue  # noqa: E402
from cases.models import Item, SourceChannel  # noqa: E402
from grids.models import Level, Post, Region, Role, User  # noqa: E402

TARGETS = ("report", "intake", "queue", "map")
WRITES = ("report", "intake")

P99_TARGET_MS = 150.0


@dataclass
class Run:
    app: str
    rate: int
    load: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    sent: int = 0
    cpu_ms_per_request: float = float("nan")
    # What the errors were: an unexpected status, "timeout" or the exception's name.
    why: Counter = field(default_factory=Counter)

    def p(self, q: float) -> float:
        return float(np.percentile(self.latencies_ms, q)) if self.latencies_ms else float("nan")

    @property
    def ok(self) -> bool:
        return self.errors == 0 and self.p(99) < P99_TARGET_MS


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(name: str, wsgi: str, env: dict[str, str], args: argparse.Namespace) -> tuple:
    port = free_port()
    command = [
        str(ROOT / ".venv/bin/gunicorn"),
        wsgi,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
        "--timeout",
        "60",
        "--worker-class",
        args.worker_class,
    ]
    log = open(f"/tmp/http_intake_{name}.log", "w")  # noqa: SIM115, S108 - closed with the server
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)  # noqa: S603
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process, port, log
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit(f"{name} did not start; see /tmp/http_intake_{name}.log")


def _session_cookie(user: User) -> str:
    """A logged-in session of the user, as the browser would send it."""
    from django.conf import settings
    from django.test import Client

    browser = Client()
    browser.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={browser.cookies[settings.SESSION_COOKIE_NAME].value}"


def _poster(role: str, level: str) -> User:
    post = (
        Post.objects.filter(role=role, region__level=level, is_active=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    if post is None:
        raise SystemExit(f"no {role} posted at {level} level: run seed_demo")
    return post.user


class Plan:
    """The requests to send for a target: ours, and the bare app's insert (the same report
    body without the catalogue item)."""

    def __init__(self, target: str, seed: int) -> None:
        self.target = target
        self.tokens: dict[str, str] = {}
        for post in Post.objects.filter(role=Role.INSPECTOR, is_active=True).select_related(
            "user", "region"
        ):
            if post.region is not None and post.region.code not in self.tokens:
                self.tokens[post.region.code] = token_issue(user=post.user, device="bench").token
        self.items = list(
            Item.objects.filter(is_active=True, conditions__isnull=False)
            .distinct()
            .order_by("code")
            .values_list("code", flat=True)
        )
        if not self.tokens or not self.items:
            raise SystemExit("Needs seed_demo and seed_catalogue.")
        self.points = [
            (grid, point) for grid, point in random_grid_points(4000, seed) if grid in self.tokens
        ]
        self.rng = np.random.default_rng(seed)
        self.lock = threading.Lock()
        self.agency_key = ""
        self.cookie = ""
        self.path = "/api/v1/cases/"
        if target == "intake":
            issued = agency_key_issue(name="bench-http", source=SourceChannel.HOTLINE_12345)
            issued.row.rate = "100000/hour"
            issued.row.save(update_fields=["rate"])
            self.agency_key = issued.key
            self.path = "/api/v1/intake/"
        elif target == "queue":
            self.cookie = _session_cookie(_poster(Role.DISPATCHER, Level.DISTRICT))
            self.path = "/queues/dispatch/?partial=1"
        elif target == "map":
            self.cookie = _session_cookie(_poster(Role.DISTRICT_LEADER, Level.DISTRICT))
            district = Region.objects.filter(level=Level.DISTRICT).order_by("code").first()
            if district is None or district.geom is None:
                raise SystemExit("no district outline: run seed_demo")
            box = ",".join(f"{v:.6f}" for v in district.geom.extent)
            self.path = f"/map/cases.json?bbox={box}"

    def request(self, app: str, i: int) -> tuple[str, str, dict[str, str], bytes | None, int]:
        """Method, path, headers, body and the expected status of request i."""
        headers = {"Accept-Language": "zh-hans"}
        if app == "ours" and self.target in ("queue", "map"):
            headers["Cookie"] = self.cookie
            return "GET", self.path, headers, None, 200
        grid, point = self.points[i % len(self.points)]
        body: dict[str, object] = {
            "request_id": f"http-{uuid.uuid4().hex}",
            "description": "压测：路面破损",
            "lon": point.x,
            "lat": point.y,
        }
        headers["Content-Type"] = "application/json"
        if app == "bare":
            return "POST", "/api/v1/cases/", headers, json.dumps(body).encode(), 201
        with self.lock:
            body["item"] = self.items[int(self.rng.integers(len(self.items)))]
        if self.target == "intake":
            body.pop("request_id")
            body["external_id"] = f"HTTP-{uuid.uuid4().hex[:40]}"
            body["address"] = "压测路 1 号"
            body["contact"] = {"name": "张三", "phone": "13900001111"}
            headers["X-Api-Key"] = self.agency_key
        else:
            headers["Authorization"] = f"Token {self.tokens[grid]}"
        return "POST", self.path, headers, json.dumps(body).encode(), 201


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its children (gunicorn's workers)."""
    total = 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for one in pids:
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def run_at(app: str, server: tuple, rate: int, seconds: float, plan: Plan, timeout: float) -> Run:
    process, port = server[0], server[1]
    run = Run(app=app, rate=rate, load=os.getloadavg()[0])
    cpu_before = _cpu_seconds(process.pid)
    local = threading.local()
    lock = threading.Lock()

    def connection() -> http.client.HTTPConnection:
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        return conn

    def send(i: int, due: float) -> None:
        method, path, headers, body, expected = plan.request(app, i)
        ok, why = False, ""
        # A kept-alive connection the server closed while idle (gthread's keep-alive is 2 s)
        # fails before any answer: sent again once on a new connection, as HTTP clients do
        # (a report carries its request id, so even a doubled one is one case).
        for attempt in (1, 2):
            try:
                conn = connection()
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == expected
                why = str(response.status)
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                why = type(exc).__name__
                conn.close()
                local.conn = None
                if attempt == 2:
                    break
            except (OSError, http.client.HTTPException) as exc:
                why = type(exc).__name__
                local.conn = None
                break
        done = time.perf_counter()
        with lock:
            if ok and done - due <= timeout:
                run.latencies_ms.append((done - due) * 1000)
            else:
                run.errors += 1
                run.why["timeout" if ok else why] += 1

    total = int(rate * seconds)
    run.sent = total
    with ThreadPoolExecutor(max_workers=min(400, max(16, rate * 2))) as pool:
        start = time.perf_counter() + 0.2
        for i in range(total):
            due = start + i / rate
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            pool.submit(send, i, due)
    run.cpu_ms_per_request = (_cpu_seconds(process.pid) - cpu_before) * 1000 / max(1, total)
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", default="10,25,50,100,150,200")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--worker-class", default="gthread")
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--target", choices=TARGETS, default="report")
    parser.add_argument("--no-bare", action="store_true", help="ours alone")
    args = parser.parse_args()
    rates = [int(r) for r in args.rates.split(",")]
    plan = Plan(args.target, args.seed)
    apps = ["ours"] if args.no_bare or args.target not in WRITES else ["ours", "bare"]
    base_env = {**os.environ, "DEBUG": "0", "PYTHONUNBUFFERED": "1"}
    bare_env = {**base_env, "DJANGO_SETTINGS_MODULE": "bench.bare.settings"}
    ours_env = {**base_env, "DJANGO_SETTINGS_MODULE": "config.settings"}
    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "--run-syncdb", "-v0"],
        cwd=ROOT,
        env=bare_env,
        check=True,
    )
    servers = {"ours": start_server("ours", "config.wsgi", ours_env, args)}
    if "bare" in apps:
        servers["bare"] = start_server("bare", "bench.bare.wsgi", bare_env, args)
    print(
        f"target {args.target}: {plan.path}; "
        f"gunicorn --workers {args.workers} --threads {args.threads} "
        f"--worker-class {args.worker_class}; {args.seconds:g} s per run; "
        f"cpus: {os.cpu_count()}; cache: {os.environ.get('CACHE_URL') or 'file'}"
    )
    runs: list[Run] = []
    try:
        for app in servers:  # warm up: connections, caches, each token's first use
            run_at(app, servers[app], 20, 3, plan, args.timeout)
        for round_no in range(args.rounds):
            for index, rate in enumerate(rates):
                order = apps if (index + round_no) % 2 == 0 else apps[::-1]
                for app in order:
                    run = run_at(app, servers[app], rate, args.seconds, plan, args.timeout)
                    runs.append(run)
                    print(
                        f"round {round_no + 1} {rate:4d}/s {app:4s} load={run.load:5.2f} "
                        f"p50={run.p(50):8.1f} p99={run.p(99):8.1f} ms "
                        f"errors={run.errors}/{run.sent} "
                        f"server CPU={run.cpu_ms_per_request:.1f} ms/request"
                        + (f" ({dict(run.why)})" if run.why else ""),
                        flush=True,
                    )
                    time.sleep(1.0)
    finally:
        for process, _port, log in servers.values():
            process.terminate()
            process.wait(timeout=30)
            log.close()

    print(
        "\n rate | ours p50 / p99 ms (errors) CPU ms/req | bare p50 / p99 ms (errors) CPU ms/req "
        "| load | p50 ratio"
    )
    nan = Run(app="bare", rate=0, load=float("nan"))
    for rate in rates:
        for round_no in range(args.rounds):
            ours = [r for r in runs if r.app == "ours" and r.rate == rate][round_no]
            bares = [r for r in runs if r.app == "bare" and r.rate == rate]
            bare = bares[round_no] if bares else nan
            print(
                f" {rate:4d} | {ours.p(50):7.1f} / {ours.p(99):7.1f} ({ours.errors:4d}) "
                f"{ours.cpu_ms_per_request:5.1f} "
                f"| {bare.p(50):7.1f} / {bare.p(99):7.1f} ({bare.errors:4d}) "
                f"{bare.cpu_ms_per_request:5.1f} "
                f"| {ours.load:4.1f}/{bare.load:4.1f} | {bare.p(50) / ours.p(50):.2f}"
            )
    for round_no in range(args.rounds):
        best = {}
        for app in apps:
            mine = [r for r in runs if r.app == app]
            per_round = mine[round_no * len(rates) : (round_no + 1) * len(rates)]
            sustained = [r.rate for r in per_round if r.ok]
            best[app] = max(sustained, default=0)
        bare_best = best.get("bare", 0)
        ratio = best["ours"] / bare_best if bare_best else float("nan")
        print(
            f"round {round_no + 1}: highest rate with p99 < {P99_TARGET_MS:.0f} ms and no "
            f"errors: ours {best['ours']}/s, bare {bare_best}/s, ratio {ratio:.2f}"
        )


if __name__ == "__main__":
    main()

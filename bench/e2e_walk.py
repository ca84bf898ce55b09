"""An end-to-end walk of the loop through the API under load: N clients in parallel, each
reporting a case as the demo inspector and walking it through every action the demo staff
are offered (register, file, dispatch, sign for, feedback, check, close, ...), for a while.
Counts every answer; any 5xx fails the run (issue 14's bar: 4 clients x 2 minutes, no 5xx).

    make run                                   # or any server with seed_demo + seed_catalogue
    .venv/bin/python bench/e2e_walk.py --base http://127.0.0.1:8000 --clients 4 --seconds 120

Only HTTP: it runs against the real stack (web, worker and beat), never in-process.
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import re
import sys
import threading
import time
import uuid
from typing import Any

import requests

ROLES = ["demo-intake", "demo-supervisor", "demo-dispatcher", "demo-unit", "demo-street"]
REPORTER = "demo-inspector"


class Walk:
    def __init__(self, base: str, password: str, deadline: float) -> None:
        self.base = base.rstrip("/")
        self.deadline = deadline
        self.lock = threading.Lock()
        self.statuses: collections.Counter[tuple[str, int]] = collections.Counter()
        self.server_errors: list[str] = []
        self.walked = self.closed = 0
        self.tokens = {name: self.login(name, password) for name in [REPORTER, *ROLES]}

    def call(self, user: str, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Accept-Language": "en"}
        if user:
            headers["Authorization"] = f"Token {self.tokens[user]}"
        response = requests.request(method, self.base + path, headers=headers, timeout=60, **kwargs)
        label = f"{method} {re.sub(r'/[0-9]+', '/{id}', path.split('?')[0])}"
        with self.lock:
            self.statuses[(label, response.status_code)] += 1
            if response.status_code >= 500:
                self.server_errors.append(f"{method} {path}: {response.text[:300]}")
        return response

    def login(self, username: str, password: str) -> str:
        response = requests.post(
            self.base + "/api/v1/auth/login/",
            json={"username": username, "password": password},
            timeout=60,
        )
        response.raise_for_status()
        return response.json()["token"]

    def report_template(self) -> dict[str, Any]:
        """An item the inspector may report and a point in the inspector's grid, from the
        catalogue and the inspector's grids."""
        items = self.call(REPORTER, "GET", "/api/v1/catalogue/").json()
        codes = sorted(_find_codes(items))
        if not codes:
            raise SystemExit("no catalogue item: run seed_catalogue")
        grids = self.call(REPORTER, "GET", "/api/v1/me/grids/").json()
        lon, lat = _a_point(grids)
        return {"item": codes[0], "lon": lon, "lat": lat}

    def client(self, template: dict[str, Any], seed: int) -> None:
        rng = random.Random(seed)
        while time.monotonic() < self.deadline:
            body = {
                **template,
                "lon": template["lon"] + rng.uniform(-0.0002, 0.0002),
                "lat": template["lat"] + rng.uniform(-0.0002, 0.0002),
                "description": f"e2e walk {uuid.uuid4().hex[:8]}",
                "request_id": f"e2e-{uuid.uuid4().hex}",
            }
            response = self.call(REPORTER, "POST", "/api/v1/cases/", json=body)
            if response.status_code != 201:
                continue
            case_id = response.json()["id"]
            self.walk(case_id)

    def walk(self, case_id: int) -> None:
        with self.lock:
            self.walked += 1
        for _ in range(20):
            if time.monotonic() >= self.deadline:
                return
            for user in [*ROLES, REPORTER]:
                detail = self.call(user, "GET", f"/api/v1/cases/{case_id}/")
                if detail.status_code != 200:
                    continue
                case = detail.json()
                actions = [a for a in case.get("actions", []) if _can_fill(a)]
                if not actions:
                    continue
                action = actions[0]
                answer = self.call(
                    user,
                    "POST",
                    f"/api/v1/cases/{case_id}/actions/",
                    json={
                        "action": action["action"],
                        "version": case["version"],
                        "request_id": f"e2e-{uuid.uuid4().hex}",
                        "note": "e2e walk",
                        "payload": _payload(action),
                    },
                )
                if answer.status_code == 200:
                    if answer.json().get("status") in ("closed", "rejected", "cancelled"):
                        with self.lock:
                            self.closed += 1
                        return
                    break
            else:
                return  # nobody may act: the walk ends here


def _find_codes(data: Any) -> set[str]:
    """Item codes (a letter and six digits) anywhere in the catalogue's answer."""
    found: set[str] = set()
    if isinstance(data, dict):
        code = data.get("code")
        if isinstance(code, str) and len(code) == 7 and code[0].isalpha() and code[1:].isdigit():
            found.add(code)
        for value in data.values():
            found |= _find_codes(value)
    elif isinstance(data, list):
        for value in data:
            found |= _find_codes(value)
    return found


def _a_point(data: Any) -> tuple[float, float]:
    """The first coordinate pair in the answer (a grid's outline), moved a little inside."""
    coordinates: list[list[float]] = []

    def walk(value: Any) -> None:
        if (
            isinstance(value, list)
            and len(value) == 2
            and all(isinstance(v, float | int) for v in value)
        ):
            coordinates.append([float(value[0]), float(value[1])])
        elif isinstance(value, list):
            for v in value:
                walk(v)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)

    walk(data)
    if not coordinates:
        raise SystemExit("the inspector has no grid: run seed_demo")
    ring = coordinates[:50]
    return sum(c[0] for c in ring) / len(ring), sum(c[1] for c in ring) / len(ring)


def _can_fill(action: dict[str, Any]) -> bool:
    return not action.get("photos") and all(
        not field["required"] or field.get("suggested") or field.get("choices")
        for field in action.get("payload_fields", [])
    )


def _payload(action: dict[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = {}
    for field in action.get("payload_fields", []):
        if field.get("suggested") not in (None, ""):
            payload[field["name"]] = field["suggested"]
        elif field.get("choices"):
            values = [c["value"] for c in field["choices"] if c["value"] != ""]
            if values:
                payload[field["name"]] = values[0]
        elif field["required"] and field["type"] in ("text", "string"):
            payload[field["name"]] = "e2e"
    return payload


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--password", default=os.environ.get("DEMO_PASSWORD", "wangge-demo-2026"))
    args = parser.parse_args()
    started = time.monotonic()
    walk = Walk(args.base, args.password, started + args.seconds)
    template = walk.report_template()
    threads = [
        threading.Thread(target=walk.client, args=(template, seed)) for seed in range(args.clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    total = sum(walk.statuses.values())
    print(
        f"{args.clients} clients, {elapsed:.0f} s: {total} requests, {walk.walked} cases walked,"
        f" {walk.closed} closed; load average {os.getloadavg()[0]:.1f}"
    )
    for (label, status), count in sorted(walk.statuses.items()):
        print(f"  {status}  {count:6d}  {label}")
    if walk.server_errors:
        print(f"{len(walk.server_errors)} server errors:")
        for line in walk.server_errors[:20]:
            print("  " + line)
        return 1
    print("no 5xx")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The handheld apps' budget: bytes of JS and CSS on the first load, compressed, and the time
until the app is interactive on Chromium's "Slow 4G" network emulation.

    DATABASE_URL=... .venv/bin/python bench/handheld_apps.py [--runs 5] [--port 8199]

What it does, as production serves it:
1. `collectstatic` into a temporary folder (hashed, compressed files, as WhiteNoise serves them);
2. gunicorn with DEBUG off on 127.0.0.1:PORT (2 workers), against the database in the
   environment (seed_demo must have run: the repeat visit logs in as demo-inspector);
3. Debian's Chromium through Playwright, a 390×844 phone, the network throttled through the
   DevTools protocol to Chrome's "Slow 4G" preset (562.5 ms latency, 1.44 Mbit/s down,
   675 kbit/s up); measured as is (the budget) and with the CPU slowed 4× (a cheap phone);
4. per run, a fresh browser context (empty cache, no service worker): the time from
   navigation to the login form ready (`html[data-ready]` set by the app after its modules
   ran), the JS and CSS bytes as they crossed the wire (the encoded body sizes), and all bytes;
5. the repeat visit: logged in, the service worker in place, the page reloaded on Slow 4G
   until the Today screen shows the task list.

Map tiles are not counted (they come from the tile server named by MAP_TILES_URL).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Chrome DevTools' "Slow 4G" preset (front_end/core/sdk/NetworkManager.ts).
SLOW_4G = {
    "offline": False,
    "latency": 150 * 3.75,
    "downloadThroughput": 1.6 * 1000 * 1000 / 8 * 0.9,
    "uploadThroughput": 750 * 1000 / 8 * 0.9,
}
CPU_SLOWDOWN = 4
BUDGET_BYTES = 300 * 1024
BUDGET_MS = 2000


def serve(port: int, static_root: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DEBUG": "0",
        "STATIC_ROOT": str(static_root),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
    }
    subprocess.run(  # noqa: S603 - our own manage.py
        [PYTHON, "manage.py", "collectstatic", "--no-input", "-v0"], cwd=ROOT, env=env, check=True
    )
    process = subprocess.Popen(  # noqa: S603 - our own gunicorn
        [
            GUNICORN,
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/m/", timeout=2)
            return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("gunicorn did not start")


def throttle(page: object, cpu: int) -> None:
    session = page.context.new_cdp_session(page)  # type: ignore[attr-defined]
    session.send("Network.enable")
    session.send("Network.emulateNetworkConditions", SLOW_4G)
    session.send("Emulation.setCPUThrottlingRate", {"rate": cpu})


def wait_js(page: object, expression: str, timeout_ms: int = 30_000) -> None:
    """Poll a JS expression until truthy. Not wait_for_function: that one compiles its predicate
    with eval, which the apps' Content-Security-Policy refuses; page.evaluate goes through the
    DevTools protocol. 20 ms steps keep the timing error small next to what is measured."""
    for _ in range(max(1, timeout_ms // 20)):
        if page.evaluate(expression):  # type: ignore[attr-defined]
            return
        page.wait_for_timeout(20)  # type: ignore[attr-defined]
    raise TimeoutError(f"{expression} stayed false for {timeout_ms} ms")


def first_load(browser: object, base: str, app: str, cpu: int) -> tuple[float, int, int]:
    context = browser.new_context(  # type: ignore[attr-defined]
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, base_url=base
    )
    page = context.new_page()
    throttle(page, cpu)
    sizes: list[tuple[str, int]] = []

    def on_finished(request: object) -> None:
        try:
            body = request.sizes()["responseBodySize"]  # type: ignore[attr-defined]
        except Exception:
            return
        sizes.append((request.resource_type, body))  # type: ignore[attr-defined]

    page.on("requestfinished", on_finished)
    started = time.perf_counter()
    page.goto(f"/{app}/", wait_until="commit")
    wait_js(page, "document.documentElement.dataset.ready === '1'", 60_000)
    selector = "[data-testid=login-form]" if app == "m" else "[data-testid=public-map]"
    page.wait_for_selector(selector, timeout=60_000)
    ready_ms = (time.perf_counter() - started) * 1000
    # Everything of the first load, Leaflet included (it follows the first screen).
    wait_js(page, "window.L !== undefined", 60_000)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)
    js_css = sum(size for kind, size in sizes if kind in ("script", "stylesheet"))
    everything = sum(size for _kind, size in sizes)
    context.close()
    return ready_ms, js_css, everything


def repeat_visit(browser: object, base: str) -> float:
    context = browser.new_context(  # type: ignore[attr-defined]
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        base_url=base,
        geolocation={"longitude": 120.3545, "latitude": 36.0858},
        permissions=["geolocation"],
    )
    page = context.new_page()
    page.goto("/m/")
    page.fill("input[name=username]", "demo-inspector")
    page.fill("input[name=password]", os.environ.get("DEMO_PASSWORD", "wangge-demo-2026"))
    page.click("[data-testid=login-form] button[type=submit]")
    page.wait_for_selector("main[data-screen=today] section[aria-labelledby=tasks-title]")
    wait_js(page, "navigator.serviceWorker.controller !== null")
    page.wait_for_load_state("networkidle")
    throttle(page, 1)
    started = time.perf_counter()
    page.reload(wait_until="commit")
    page.wait_for_selector(
        "main[data-screen=today] section[aria-labelledby=tasks-title]", timeout=60_000
    )
    ms = (time.perf_counter() - started) * 1000
    context.close()
    return ms


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--port", type=int, default=8199)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as static_root:
        server = serve(args.port, Path(static_root))
        base = f"http://127.0.0.1:{args.port}"
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=["--no-sandbox"], headless=True
                )
                for app, cpu in (("m", 1), ("m", CPU_SLOWDOWN), ("c", 1), ("c", CPU_SLOWDOWN)):
                    runs = [first_load(browser, base, app, cpu) for _ in range(args.runs)]
                    times = sorted(run[0] for run in runs)
                    js_css, everything = runs[-1][1], runs[-1][2]
                    # Bytes from the unthrottled-CPU runs: with the CPU slowed, Chromium does
                    # not always report the sizes of the last requests.
                    sizes = (
                        f"; JS+CSS {js_css / 1024:.1f} KB compressed, "
                        f"all {everything / 1024:.1f} KB"
                        if cpu == 1
                        else ""
                    )
                    print(
                        f"/{app}/ first load on Slow 4G, CPU ×{cpu}, {args.runs} runs: "
                        f"ready median {statistics.median(times):.0f} ms, max {times[-1]:.0f} ms"
                        f"{sizes}"
                    )
                    if app == "m" and cpu == 1:
                        ok = js_css <= BUDGET_BYTES and statistics.median(times) <= BUDGET_MS
                        print(f"  budget (300 KB, 2 s on Slow 4G): {'met' if ok else 'MISSED'}")
                repeats = sorted(repeat_visit(browser, base) for _ in range(max(1, args.runs // 2)))
                print(
                    f"/m/ repeat visit (logged in, worker cached) to the task list on Slow 4G: "
                    f"median {statistics.median(repeats):.0f} ms"
                )
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()

"""Playwright against Debian's Chromium and pytest-django's live server.

Never `playwright install`: the browser is the system one (apt-get install chromium).
Screenshots go to $ARTIFACTS_DIR (default var/artifacts); the folder is printed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
PASSWORD = "pw-123456!"  # tests/conftest.py make_user


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives Chromium through Playwright")
    config.addinivalue_line(
        "markers", "csp_violations_expected: the test provokes CSP refusals on purpose"
    )


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    root = Path(os.environ.get("ARTIFACTS_DIR", "var/artifacts")).resolve()
    root.mkdir(parents=True, exist_ok=True)
    print(f"\nbrowser screenshots: {root}")  # CI reads the folder from the log
    return root


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One headless Chromium per test module.

    Playwright's sync API keeps an event loop in this thread, which Django's async-safety
    check takes for async code; the flag is set only while a browser module runs (module
    scope, so the last test's database flush still sees it) and restored after.
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - depends on the environment
        pytest.skip("Python Playwright is not installed (pip install -r requirements.txt)")
    if not Path(CHROMIUM).exists():  # pragma: no cover - depends on the environment
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
            )
            _report_csp_violations(browser)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


# Before any page script: say on the console what the Content-Security-Policy refused (a
# photo preview, a tile, an inline style), so a page that works only without its CSP fails.
CSP_PROBE = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error("csp-violation " + e.violatedDirective + " " + (e.blockedURI || "inline")
    + " at " + (e.sourceFile || location.pathname) + ":" + e.lineNumber);
});
"""
CSP_VIOLATIONS: list[str] = []


def _report_csp_violations(browser: Any) -> None:
    """Every context the tests open reports its pages' CSP refusals into CSP_VIOLATIONS."""
    open_context = browser.new_context

    def new_context(*args: Any, **kwargs: Any) -> Any:
        context = open_context(*args, **kwargs)
        context.add_init_script(CSP_PROBE)

        def on_console(message: Any) -> None:
            if message.type == "error" and message.text.startswith("csp-violation"):
                CSP_VIOLATIONS.append(
                    f"{message.text} (page {message.page.url if message.page else '?'})"
                )

        context.on("console", on_console)
        return context

    browser.new_context = new_context


@pytest.fixture(autouse=True)
def _no_csp_violations(request: pytest.FixtureRequest) -> Iterator[None]:
    """A browser test fails when a page it opened broke its own CSP (what a visitor's browser
    would silently refuse). A test that provokes refusals on purpose is marked
    `csp_violations_expected`."""
    CSP_VIOLATIONS.clear()
    yield
    found = list(dict.fromkeys(CSP_VIOLATIONS))
    CSP_VIOLATIONS.clear()
    if found and not request.node.get_closest_marker("csp_violations_expected"):
        pytest.fail(f"the page's Content-Security-Policy refused: {found}")


@pytest.fixture
def _browser_settings(settings: Any) -> None:
    # The live server speaks plain http.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


@pytest.fixture
def login_as(
    chromium: Any, live_server: Any, transactional_db: None, _browser_settings: None
) -> Iterator[Callable[..., Any]]:
    """login_as(username, lang="zh-hans") → a page logged in through the login form, in a
    context of its own (its own session), at the user's home page."""
    contexts: list[Any] = []

    def _login(username: str, lang: str = "zh-hans") -> Any:
        context = chromium.new_context(
            viewport={"width": 1920, "height": 1080}, base_url=live_server.url, locale=lang
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        # Script errors end up in the test log, where CI shows them next to the failure.
        page.on("pageerror", lambda exc: print(f"[{username}] page error: {exc}"))
        page.on(
            "console",
            lambda msg: (
                msg.type in ("error", "warning")
                and print(f"[{username}] console {msg.type}: {msg.text}")
            ),
        )
        page.goto("/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit].primary")
        page.wait_for_url("**/home/")
        return page

    yield _login
    for context in contexts:
        context.close()


def wait_until(page: Any, expression: str, arg: Any = None, timeout_ms: int = 15_000) -> Any:
    """Poll a JS expression (or a function of `arg`) until it is truthy; return its value.

    Playwright's wait_for_function compiles a function with eval, which the pages'
    Content-Security-Policy refuses; page.evaluate goes through the DevTools protocol."""
    step = 100
    for _ in range(max(1, timeout_ms // step)):
        value = page.evaluate(expression, arg)
        if value:
            return value
        page.wait_for_timeout(step)
    pytest.fail(f"timed out after {timeout_ms} ms waiting for {expression}")

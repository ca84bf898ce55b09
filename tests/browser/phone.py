"""A phone for the handheld apps' browser tests: 390×844 with touch, the geolocation permission
granted and the position emulated; and the checks a cheap phone outdoors asks for (every
control named, 44 px targets, AA contrast, nothing cut off with large text)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

PHONE = {"width": 390, "height": 844}

# Runs in the page: what a person on a phone would trip over, as a list of strings.
AUDIT_JS = "\n".join(
    line
    for line in (Path(__file__).parent / "audit.js").read_text(encoding="utf-8").splitlines()
    if not line.startswith("//")  # evaluate() calls the text when it starts as a function
)


def new_phone(browser: Any, base_url: str, lon: float, lat: float, **extra: Any) -> Any:
    context = browser.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        geolocation={"longitude": lon, "latitude": lat, "accuracy": 8},
        permissions=["geolocation"],
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        base_url=base_url,
        service_workers="allow",
        **extra,
    )
    context.set_default_timeout(20_000)
    return context


def watch(page: Any, name: str) -> list[str]:
    """Collect the page's script errors (the tests assert there are none). What the page's CSP
    refuses fails the test on its own (tests/browser/conftest.py)."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"[{name}] {exc}"))
    return errors


def audit(page: Any) -> list[str]:
    return list(page.evaluate(AUDIT_JS))


def large_text_audit(page: Any) -> list[str]:
    """The phone's large-text setting (text at 150 %): nothing may be cut off or overflow."""
    page.evaluate("document.documentElement.style.fontSize = '150%'")
    problems = [p for p in audit(page) if p.startswith("page wider") or p.startswith("no name")]
    return problems


def shot(page: Any, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)

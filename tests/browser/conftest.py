"""Debian's Chromium through Playwright (never a downloaded browser), and what a page fetched.

`make test` installs Chromium with scripts/ensure-chromium; the browser tests skip, saying why,
only where it cannot be had. Screenshots go to tests/browser/artifacts/ (ignored by git).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium, or a visible skip saying why there is none."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: run scripts/ensure-chromium (as root) to install it")
    if importlib.util.find_spec("playwright") is None:
        pytest.skip("the playwright package is missing: pip install -e '.[dev]'")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Traffic:
    """Every request a page made, and those that failed or answered 4xx/5xx."""

    origin: str
    urls: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def watch(self, page: Any) -> None:
        page.on("request", lambda request: self.urls.append(request.url))
        page.on("requestfailed", lambda request: self.failures.append(request.url))
        page.on(
            "response",
            lambda r: self.failures.append(f"{r.status} {r.url}") if r.status >= 400 else None,
        )
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def off_origin(self) -> list[str]:
        """Requests that left the adapter's origin (data: URLs stay in the page)."""
        return [u for u in self.urls if not u.startswith((self.origin + "/", "data:"))]


def screenshot(page: Any, name: str) -> Path:
    """Save a screenshot of the page as tests/browser/artifacts/<name>.png."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    print(f"screenshot: {path}")
    return path

"""Debian's Chromium through Playwright (never a downloaded browser).

`make test` installs Chromium with scripts/ensure-chromium; the browser tests skip, saying why,
only where it cannot be had. Screenshots go to tests/browser/artifacts/ (ignored by git).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
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
    # Chromium's headless mode is the whole browser: each new context opens a window that
    # preloads its address bar's two popup pages (a renderer each, about as much CPU as the
    # page under test); no test types into an address bar.
    "--disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup",
]


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

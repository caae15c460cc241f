"""The demo page in Debian's Chromium: sign in as user6, load the widget with a token for user 6.

Drives /usr/bin/chromium through Playwright (never a downloaded browser); `make test` installs
Chromium with scripts/ensure-chromium, and this test skips, saying why, only where it cannot.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapter.app import create_app
from adapter.tokens import verify_widget_token
from tests.conftest import CHAT_AUTH, LiveServer, SettingsFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow]

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
CALLS = "window.__imbachatStandIn ? window.__imbachatStandIn.calls : []"


@pytest.fixture
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


def test_demo_page_loads_the_widget_for_the_signed_in_user(
    browser: Any, make_settings: SettingsFactory, live_server: Callable[[Any], LiveServer]
) -> None:
    """Signed out: ImbaChat.load() bare; as user6: user_id 6 and a token for 6, renewed in time."""
    settings = make_settings()
    tokens = settings.tokens
    assert tokens is not None
    server = live_server(create_app(settings))
    page = browser.new_page(viewport={"width": 1100, "height": 720})
    page.clock.install()
    page.goto(f"{server.url}/demo/")

    # Signed out: the vendor's loader calls ImbaChat.load() with no options at all.
    page.wait_for_function(f"({CALLS}).length === 1")
    assert page.evaluate(CALLS) == [{"argumentCount": 0, "options": None}]

    page.fill("input[name=username]", "user6")
    page.fill("input[name=password]", "demo")
    page.click("button[type=submit]")
    page.wait_for_function(f"({CALLS}).length === 1 && ({CALLS})[0].argumentCount === 1")
    (call,) = page.evaluate(CALLS)
    options = call["options"]
    claims = verify_widget_token(tokens, options["token"])
    assert options["user_id"] == 6
    assert claims["user_id"] == 6

    # The stand-in shows the name chatUsers gives, the one the chat's users-info call gives.
    page.wait_for_function("document.querySelector('#imbachat-stand-in')?.dataset.name")
    expected = httpx.get(f"{server.url}/imbachat/v1/users?user_ids=6", auth=CHAT_AUTH).json()
    assert page.get_attribute("#imbachat-stand-in", "data-name") == expected[0]["name"]
    assert page.get_attribute("#status", "data-user-id") == "6"
    assert not page.is_visible("#sign-in")
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "demo-page.png"
    page.screenshot(path=str(screenshot))
    print(f"demo page screenshot: {screenshot}")

    # A fresh token is asked for before the first one expires: jump to 5 s before expiry.
    page.clock.fast_forward((claims["exp"] - 5 - page.evaluate("Date.now() / 1000")) * 1000)
    page.wait_for_function(f"({CALLS}).length === 2")
    assert page.evaluate("Date.now() / 1000") < claims["exp"]
    renewed = page.evaluate(CALLS)[1]["options"]
    assert verify_widget_token(tokens, renewed["token"])["user_id"] == 6
    assert renewed["user_id"] == 6

    # Signed out again: a fresh page loads the widget with no options.
    page.click("#sign-out")
    page.wait_for_function(f"({CALLS}).length === 1 && ({CALLS})[0].argumentCount === 0")
    assert page.get_attribute("#status", "data-user-id") == ""

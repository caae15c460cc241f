"""The demo community in Chromium, as a new user tries it: sign in, members, a profile, Write
message, the chat's JSON, renewal, sign out; no page reload and nothing from another host."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from adapter.app import create_app
from adapter.demo.app import AVATAR_BASE_ENV
from tests.browser.support import Traffic, screenshot
from tests.servers import LiveServer
from tests.support import CHAT_AUTH, SettingsFactory, verify_widget_token

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CALLS = "window.__imbachatStandIn ? window.__imbachatStandIn.calls : []"
DIALOGS = "window.__imbachatStandIn ? window.__imbachatStandIn.dialogs : []"
AVATARS_LOADED = """(selector) => {
  const images = [...document.querySelectorAll(selector)];
  return images.length > 0 && images.every((i) => i.complete && i.naturalWidth > 0);
}"""


def test_the_demo_community_end_to_end(
    browser: Any,
    make_settings: SettingsFactory,
    live_server: Callable[[Any], LiveServer],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Signed out: ImbaChat.load() bare; as user6: members, a dialog with 7, renewal, sign out."""
    monkeypatch.setenv(AVATAR_BASE_ENV, "/demo-upstream")
    settings = make_settings()
    tokens = settings.tokens
    assert tokens is not None
    server = live_server(create_app(settings))
    traffic = Traffic(server.url)
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    traffic.watch(page)
    page.clock.install()
    page.goto(f"{server.url}/demo/")

    # A visitor: the welcome page, and the vendor's ImbaChat.load() with no options at all.
    page.wait_for_function(f"({CALLS}).length === 1")
    assert page.evaluate(CALLS) == [{"argumentCount": 0, "options": None}]
    assert page.is_visible("#welcome")
    screenshot(page, "demo-signed-out")
    page.evaluate("window.__samePage = true")

    page.fill("input[name=username]", "user6")
    page.fill("input[name=password]", "demo")
    page.click("#sign-in button[type=submit]")
    page.wait_for_function(f"({CALLS}).length === 2")
    options = page.evaluate(CALLS)[1]["options"]
    claims = verify_widget_token(tokens, options["token"])
    assert options["user_id"] == claims["user_id"] == 6
    assert page.evaluate("window.__samePage") is True  # signed in without a reload

    # The member list: the chat's names, and avatars served by the demo itself.
    page.wait_for_selector("#member-list li[data-user-id='7']")
    chat = httpx.get(f"{server.url}/imbachat/v1/users?user_ids=6,7", auth=CHAT_AUTH).json()
    names = {str(user["user_id"]): user["name"] for user in chat}
    assert page.inner_text("#member-list li[data-user-id='7'] a.name") == names["7"]
    assert page.get_attribute("#account", "data-user-id") == "6"
    assert names["6"] in page.inner_text("#account")
    page.wait_for_function(AVATARS_LOADED, arg="#member-list img")
    screenshot(page, "demo-members")

    # A profile, its Write message button, and the dialog open in the widget.
    page.click("#member-list li[data-user-id='7'] a.name")
    page.wait_for_function("document.querySelector('#profile-name').textContent.length > 0")
    assert page.inner_text("#profile-name") == names["7"]
    shown = json.loads(page.inner_text("#chat-json"))
    assert shown == [chat[1]]
    page.click("#write-message")
    page.wait_for_function(
        "document.querySelector('#imbachat-stand-in').dataset.dialogName === "
        + json.dumps(names["7"])
    )
    assert page.evaluate(DIALOGS) == [7]
    assert page.is_visible("#imbachat-stand-in .ic-window")
    screenshot(page, "demo-dialog")

    # A fresh token before the first expires: jump to 5 s before expiry.
    page.clock.fast_forward((claims["exp"] - 5 - page.evaluate("Date.now() / 1000")) * 1000)
    page.wait_for_function(f"({CALLS}).length === 3")
    assert page.evaluate("Date.now() / 1000") < claims["exp"]
    renewed = page.evaluate(CALLS)[2]["options"]
    assert renewed["user_id"] == 6
    assert verify_widget_token(tokens, renewed["token"])["user_id"] == 6
    assert renewed["language"] == options["language"]

    # Signed out: the widget for a visitor again, and the welcome page, without a reload.
    page.click("#account button")
    page.wait_for_function(f"({CALLS}).length === 4")
    assert page.evaluate(CALLS)[3] == {"argumentCount": 0, "options": None}
    page.wait_for_selector("#welcome", state="visible")
    assert page.get_attribute("#account", "data-user-id") == ""
    assert page.evaluate("window.__samePage") is True

    assert traffic.off_origin() == []
    assert traffic.failures == []  # no favicon 404, no broken avatar
    assert traffic.errors == []

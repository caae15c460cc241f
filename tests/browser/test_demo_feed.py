"""The demo's change feed in Chromium: a member renames themself on the demo site, and the chat
JSON panel shows the new name, with no webhook and no call from the page to the adapter but the
usual chatUsers."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from adapter.app import create_app
from adapter.demo.app import AVATAR_BASE_ENV
from tests.browser.support import Traffic, screenshot
from tests.servers import LiveServer
from tests.support import reference_data, settings_from

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_rename_on_the_site_shows_in_the_chat_json_panel(
    browser: Any, live_server: Callable[[Any], LiveServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    """user6 renames themself on their profile; the panel's users-info JSON follows."""
    monkeypatch.setenv(AVATAR_BASE_ENV, "/demo-upstream")
    settings = settings_from(reference_data(feed=True))
    assert settings.feed is not None
    server = live_server(create_app(settings))
    traffic = Traffic(server.url)
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    traffic.watch(page)
    page.goto(f"{server.url}/demo/")
    page.fill("input[name=username]", "user6")
    page.fill("input[name=password]", "demo")
    page.click("#sign-in button[type=submit]")
    page.wait_for_selector("#member-list li[data-user-id='6']")
    page.goto(f"{server.url}/demo/#/members/6")
    page.wait_for_selector("#rename", state="visible")
    before = json.loads(page.inner_text("#chat-json"))[0]

    page.fill("#rename input[name=displayName]", "Harbor Sixth")
    page.click("#rename button[type=submit]")
    page.wait_for_function("document.querySelector('#rename-note').textContent.startsWith('Saved')")
    assert "through the site's change feed" in page.inner_text("#rename-note")
    after = json.loads(page.inner_text("#chat-json"))[0]
    assert before["name"] != "Harbor Sixth"
    assert after == {**before, "name": "Harbor Sixth"}
    assert page.inner_text("#profile-name") == "Harbor Sixth"
    screenshot(page, "demo-feed-rename")
    assert not any("/webhooks/" in url for url in traffic.urls)
    assert traffic.off_origin() == []
    assert traffic.failures == []
    assert traffic.errors == []

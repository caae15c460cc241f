"""GraphiQL in Chromium with no network beyond the adapter: it loads, shows the schema's
default query, and runs it; no request leaves the adapter's origin."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from adapter.app import create_app
from tests.browser.support import Traffic, screenshot
from tests.servers import LiveServer
from tests.support import SettingsFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_graphiql_loads_and_runs_a_query_offline(
    browser: Any, make_settings: SettingsFactory, live_server: Callable[[Any], LiveServer]
) -> None:
    """The page leaves "Loading…", runs chatWidget, and fetches only from the adapter."""
    server = live_server(create_app(make_settings()))
    traffic = Traffic(server.url)
    context = browser.new_context()
    page = context.new_page()
    traffic.watch(page)
    # Anything off-origin fails at once, as it would on a machine with no internet.
    page.route(
        lambda url: not url.startswith(server.url + "/"),
        lambda route: route.abort(),
    )
    page.goto(f"{server.url}/graphql")
    page.wait_for_selector(".graphiql-container .graphiql-editors")
    assert "Loading GraphiQL" not in page.inner_text("body")
    page.click(".graphiql-execute-button")
    page.wait_for_function(
        "document.querySelector('.result-window')?.innerText.includes('scriptUrl')"
    )
    assert "/demo/stand-in/widget.js" in page.inner_text(".result-window")
    screenshot(page, "graphiql")
    context.close()
    assert traffic.off_origin() == []
    assert traffic.failures == []
    assert traffic.errors == []

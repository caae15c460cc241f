"""The client module (imbachat.js) in Chromium, on a bare page: start, sign-in and sign-out
without a reload, renewal, a sign-out noticed at renewal, openDialog, chatUsers, failures."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from adapter.app import create_app
from adapter.demo.app import AVATAR_BASE_ENV
from adapter.demo.sessions import SESSION_COOKIE, issue_session
from tests.browser.support import Traffic, screenshot
from tests.servers import LiveServer
from tests.support import CHAT_AUTH, SettingsFactory, verify_widget_token

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CALLS = "window.__imbachatStandIn ? window.__imbachatStandIn.calls : []"
BLANK = "<!doctype html><html><head><title>client test</title></head><body></body></html>"
START = """async () => {
  const { ImbaChatClient } = await import("/graphql/client/imbachat.js");
  window.changes = [];
  window.chat = new ImbaChatClient({ onChange: (state) => window.changes.push(state) });
  return await window.chat.start();
}"""
ERROR_OF = """async (expression) => {
  try { await eval(expression); return null; }
  catch (error) { return { name: error.name, code: error.code, message: error.message }; }
}"""


@pytest.fixture
def server(
    make_settings: SettingsFactory,
    live_server: Callable[[Any], LiveServer],
    monkeypatch: pytest.MonkeyPatch,
) -> LiveServer:
    """The adapter with the demo site embedded (the stand-in widget as its script)."""
    monkeypatch.setenv(AVATAR_BASE_ENV, "/demo-upstream")
    return live_server(create_app(make_settings()))


@pytest.fixture
def page(browser: Any, server: LiveServer) -> Iterator[Any]:
    """A bare page on the adapter's origin, with a clock the test can move."""
    context = browser.new_context()
    page = context.new_page()
    page.route(
        f"{server.url}/blank.html",
        lambda route: route.fulfill(body=BLANK, content_type="text/html"),
    )
    page.clock.install()
    page.goto(f"{server.url}/blank.html")
    yield page
    context.close()


def sign_in(page: Any, server: LiveServer, user_id: int) -> None:
    """What the site's own sign-in does: a session cookie in the browser."""
    page.context.add_cookies(
        [{"name": SESSION_COOKIE, "value": issue_session(user_id), "url": server.url}]
    )


def test_sign_in_renewal_and_sign_out_without_a_reload(
    page: Any, server: LiveServer, make_settings: SettingsFactory
) -> None:
    """start() bare, refresh() after sign-in loads user 6, renews, and refresh() signs out."""
    tokens = make_settings().tokens
    assert tokens is not None
    traffic = Traffic(server.url)
    traffic.watch(page)

    assert page.evaluate(START) == {"userId": None, "expiresAt": None}
    assert page.evaluate(CALLS) == [{"argumentCount": 0, "options": None}]

    sign_in(page, server, 6)
    state = page.evaluate("window.chat.refresh()")
    assert state["userId"] == "6"
    options = page.evaluate(CALLS)[1]["options"]
    claims = verify_widget_token(tokens, options["token"])
    assert options["user_id"] == claims["user_id"] == 6
    assert state["expiresAt"] == claims["exp"]

    # Renewal: issueChatToken before expiresAt, then ImbaChat.load with the same options.
    page.clock.fast_forward((claims["exp"] - 5 - page.evaluate("Date.now() / 1000")) * 1000)
    page.wait_for_function(f"({CALLS}).length === 3")
    renewed = page.evaluate(CALLS)[2]["options"]
    assert verify_widget_token(tokens, renewed["token"])["user_id"] == 6
    assert {k: v for k, v in renewed.items() if k != "token"} == {
        k: v for k, v in options.items() if k != "token"
    }
    assert page.evaluate("Date.now() / 1000") < claims["exp"]

    page.context.clear_cookies()
    assert page.evaluate("window.chat.refresh()") == {"userId": None, "expiresAt": None}
    assert page.evaluate(CALLS)[3] == {"argumentCount": 0, "options": None}
    changes = page.evaluate("window.changes")
    assert [change["userId"] for change in changes] == [None, "6", "6", None]
    assert traffic.off_origin() == []
    assert traffic.errors == []


def test_a_sign_out_elsewhere_is_noticed_at_renewal(page: Any, server: LiveServer) -> None:
    """When the renewal finds nobody signed in, the widget is loaded bare and the state cleared."""
    sign_in(page, server, 6)
    state = page.evaluate(START)
    assert state["userId"] == "6"
    page.context.clear_cookies()
    page.clock.fast_forward((state["expiresAt"] - 5 - page.evaluate("Date.now() / 1000")) * 1000)
    page.wait_for_function(f"({CALLS}).length === 2")
    assert page.evaluate(CALLS)[1] == {"argumentCount": 0, "options": None}
    assert page.evaluate("window.chat.state") == {"userId": None, "expiresAt": None}


def test_open_dialog_and_chat_users(page: Any, server: LiveServer) -> None:
    """openDialog passes the id to imbaChat.openDialog; chatUsers gives the chat's names."""
    page.evaluate(START)
    error = page.evaluate(ERROR_OF, "window.chat.openDialog(7)")
    assert error == {
        "name": "ChatApiError",
        "code": "UNAUTHENTICATED",
        "message": "Sign in to the site first.",
    }
    sign_in(page, server, 6)
    page.evaluate("window.chat.refresh()")
    page.evaluate("window.chat.openDialog('7')")
    assert page.evaluate("window.__imbachatStandIn.dialogs") == [7]
    page.wait_for_function("document.querySelector('#imbachat-stand-in')?.dataset.dialogName")
    users = page.evaluate("window.chat.chatUsers([6, '7'])")
    chat = httpx.get(f"{server.url}/imbachat/v1/users?user_ids=6,7", auth=CHAT_AUTH).json()
    assert [(u["userId"], u["name"]) for u in users] == [
        (str(c["user_id"]), c["name"]) for c in chat
    ]
    assert [u["chatJson"] for u in users] == chat
    screenshot(page, "client-dialog")


def test_failures_are_chat_api_errors(page: Any) -> None:
    """GraphQL errors keep their code; a missing endpoint and a missing script are named."""
    page.evaluate(START)
    graphql = page.evaluate(ERROR_OF, "window.chat.request('{ nope }')")
    assert graphql is not None
    assert graphql["code"] == "GRAPHQL_VALIDATION_FAILED"
    missing = page.evaluate(
        ERROR_OF,
        "import('/graphql/client/imbachat.js').then(({ ImbaChatClient }) =>"
        " new ImbaChatClient({ graphqlUrl: '/nowhere' }).start())",
    )
    assert missing is not None
    assert missing["code"] == "BAD_RESPONSE"
    assert "404" in missing["message"]


def test_a_widget_script_that_fails_to_load_is_widget_unavailable(
    browser: Any, server: LiveServer
) -> None:
    """A scriptUrl that 404s rejects start() with WIDGET_UNAVAILABLE (and a later try retries)."""
    context = browser.new_context()
    page = context.new_page()
    page.route(
        f"{server.url}/blank.html",
        lambda route: route.fulfill(body=BLANK, content_type="text/html"),
    )
    page.goto(f"{server.url}/blank.html")
    widget: dict[str, Any] = {
        "scriptUrl": "/no-such-widget.js",
        "options": {},
        "userId": None,
        "expiresAt": None,
    }
    answer = json.dumps({"data": {"chatWidget": widget}})
    failed = page.evaluate(
        ERROR_OF,
        "import('/graphql/client/imbachat.js').then(({ ImbaChatClient }) => new ImbaChatClient({"
        f" fetch: async () => new Response({answer!r}) }}).start())",
    )
    context.close()
    assert failed is not None
    assert failed["code"] == "WIDGET_UNAVAILABLE"
    assert "/no-such-widget.js" in failed["message"]


def test_another_origin_can_import_the_module(
    browser: Any, server: LiveServer, live_server: Callable[[Any], LiveServer]
) -> None:
    """A page of another origin (a second server, as a SPA's own host) imports the module."""
    app = Starlette(routes=[Route("/app.html", lambda _: HTMLResponse(BLANK))])
    other = live_server(app)
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{other.url}/app.html")
    exported = page.evaluate(
        f"import('{server.url}/graphql/client/imbachat.js').then((m) => Object.keys(m).sort())"
    )
    context.close()
    assert exported == [
        "CHAT_USERS",
        "CHAT_WIDGET",
        "ChatApiError",
        "ISSUE_CHAT_TOKEN",
        "ImbaChatClient",
    ]

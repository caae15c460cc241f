"""Through a real federation gateway: Apollo Gateway (IntrospectAndCompose) composes the adapter.

`scripts/ensure-npm gateway` installs the gateway from npm into a cached folder (pinned by
scripts/npm/gateway/package-lock.json); the fixture starts it with node on a port it binds itself,
and stops it by pid. Skips, saying why, only where node or npm cannot install it.
"""

from __future__ import annotations

import json
import select
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapter.app import create_app
from adapter.demo.sessions import SESSION_COOKIE
from adapter.tokens import verify_widget_token
from tests.graphql.support import ISSUE
from tests.npm import npm_tool
from tests.servers import LiveServer, stop_process
from tests.support import SettingsFactory

pytestmark = pytest.mark.slow

LOGIN = """mutation ($username: String!, $password: String!) {
  login(username: $username, password: $password) { user { id } }
}"""
WIDGET = "{ chatWidget { scriptUrl options userId expiresAt } }"
STARTUP_SECONDS = 60


@dataclass
class Gateway:
    """A running gateway process and its GraphQL URL."""

    url: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        """Stop the process by its pid and close its pipe."""
        stop_process(self.process)
        if self.process.stdout is not None:
            self.process.stdout.close()

    def post(self, query: str, *, cookie: str | None = None) -> dict[str, Any]:
        """One operation through the gateway, as a page's server-side call sends it."""
        headers = {"Cookie": cookie} if cookie else {}
        response = httpx.post(self.url, json={"query": query}, headers=headers, timeout=30)
        assert response.status_code in (200, 400), response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture(scope="module")
def gateway_folder() -> Path:
    """The installed gateway, or a skip naming why it cannot be installed."""
    return npm_tool("gateway")


def start_gateway(folder: Path, subgraphs: dict[str, str], log: Path) -> Gateway:
    """Start the gateway and read the URL it prints once it listens (bounded wait)."""
    with log.open("wb") as errors:
        process = subprocess.Popen(
            ["node", str(folder / "server.mjs"), *(f"{n}={u}" for n, u in subgraphs.items())],
            stdout=subprocess.PIPE,
            stderr=errors,
        )
    assert process.stdout is not None
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], deadline - time.monotonic())
        if not ready:
            break
        line = process.stdout.readline()
        if not line:
            break
        if line.startswith(b"{"):
            return Gateway(json.loads(line)["url"], process)
    Gateway("", process).stop()
    raise RuntimeError(f"the gateway did not start: {log.read_text(errors='replace')[-2000:]}")


@pytest.fixture
def composed(
    gateway_folder: Path,
    make_settings: SettingsFactory,
    live_server: Callable[[Any], LiveServer],
    tmp_path: Path,
) -> Iterator[tuple[Gateway, LiveServer]]:
    """The demo site's subgraph and the adapter's (federation on), composed by a gateway."""
    settings = make_settings(
        {
            "graphql": {
                "introspection": False,
                "federation": {"enabled": True, "entity": {"type_name": "User"}},
            }
        }
    )
    adapter = live_server(create_app(settings))
    subgraphs = {
        "site": f"{adapter.url}/demo-upstream/subgraph/graphql",
        "chat": f"{adapter.url}/graphql",
    }
    gateway = start_gateway(gateway_folder, subgraphs, tmp_path / "gateway.log")
    try:
        yield gateway, adapter
    finally:
        gateway.stop()


def sign_in(adapter: LiveServer, username: str) -> str:
    """Sign in at the demo site (served beside the adapter) and return its session cookie."""
    response = httpx.post(
        f"{adapter.url}/demo-upstream/graphql",
        json={"query": LOGIN, "variables": {"username": username, "password": "demo"}},
    )
    response.raise_for_status()
    return f"{SESSION_COOKIE}={response.cookies[SESSION_COOKIE]}"


def test_a_signed_in_user_gets_a_widget_token_through_the_gateway(
    composed: tuple[Gateway, LiveServer], make_settings: SettingsFactory
) -> None:
    """user6's forwarded session cookie gives a token for 6, and chatWidget its options."""
    gateway, adapter = composed
    cookie = sign_in(adapter, "user6")
    issued = gateway.post(ISSUE, cookie=cookie)
    widget = gateway.post(WIDGET, cookie=cookie)
    assert "errors" not in issued, issued
    token = issued["data"]["issueChatToken"]
    tokens = make_settings().tokens
    assert tokens is not None
    assert token["userId"] == "6"
    assert verify_widget_token(tokens, token["token"])["user_id"] == 6
    options = widget["data"]["chatWidget"]["options"]
    assert options["user_id"] == 6
    assert verify_widget_token(tokens, options["token"])["user_id"] == 6


def test_an_anonymous_call_through_the_gateway_is_unauthenticated(
    composed: tuple[Gateway, LiveServer],
) -> None:
    """No session cookie reaches the adapter: UNAUTHENTICATED, and chatWidget has no options."""
    gateway, _ = composed
    issued = gateway.post(ISSUE)
    widget = gateway.post(WIDGET)
    assert issued["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert issued.get("data") is None
    assert widget["data"]["chatWidget"]["options"] == {}
    assert widget["data"]["chatWidget"]["userId"] is None


def test_chat_users_through_the_gateway_match_the_chats_answer(
    composed: tuple[Gateway, LiveServer],
) -> None:
    """chatUsers through the gateway gives the names the chat's users-info call gives."""
    gateway, adapter = composed
    cookie = sign_in(adapter, "user6")
    body = gateway.post('{ chatUsers(ids: ["6", "7"]) { userId name } }', cookie=cookie)
    chat = httpx.get(f"{adapter.url}/imbachat/v1/users?user_ids=6,7", auth=("root", "abc"))
    assert body["data"]["chatUsers"] == [
        {"userId": str(user["user_id"]), "name": user["name"]} for user in chat.json()
    ]


PROFILE = '{ user(id: "7") { id displayName chatProfile { userId name avatarUrl } } }'


def test_the_site_user_entity_carries_its_chat_profile(
    composed: tuple[Gateway, LiveServer],
) -> None:
    """The site's User gets chatProfile from the adapter: the name the chat receives for 7."""
    gateway, adapter = composed
    cookie = sign_in(adapter, "user6")
    body = gateway.post(PROFILE, cookie=cookie)
    assert "errors" not in body, body
    chat = httpx.get(f"{adapter.url}/imbachat/v1/users?user_ids=7", auth=("root", "abc")).json()
    user = body["data"]["user"]
    assert user["id"] == "7"
    assert user["chatProfile"]["userId"] == "7"
    assert user["chatProfile"]["name"] == chat[0]["name"]
    assert user["chatProfile"]["avatarUrl"] == (chat[0]["avatar_url"] or None)


def test_the_chat_profile_needs_a_signed_in_viewer_through_the_gateway(
    composed: tuple[Gateway, LiveServer],
) -> None:
    """Anonymous: the site's fields still answer, chatProfile is null with UNAUTHENTICATED."""
    gateway, _ = composed
    body = gateway.post(PROFILE)
    assert body["data"]["user"]["id"] == "7"
    assert body["data"]["user"]["chatProfile"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

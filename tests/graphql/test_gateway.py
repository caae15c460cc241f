"""Through a real federation gateway: Apollo Gateway (IntrospectAndCompose) composes the adapter.

`scripts/ensure-npm gateway` installs the gateway from npm into a cached folder (pinned by
scripts/npm/gateway/package-lock.json); the fixture starts it with node on a port it binds itself,
and stops it by pid. Skips, saying why, only where node or npm cannot install it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapter.app import create_app
from tests.graphql.support import ISSUE, sign_in
from tests.npm import NodeServer, npm_tool, start_node
from tests.servers import LiveServer
from tests.support import SettingsFactory, verify_widget_token

pytestmark = pytest.mark.slow

WIDGET = "{ chatWidget { scriptUrl options userId expiresAt } }"
# The gateway answers GraphQL errors about a document with 400, as Apollo Server does.
ANSWERED = (200, 400)


@pytest.fixture(scope="module")
def gateway_folder() -> Path:
    """The installed gateway, or a skip naming why it cannot be installed."""
    return npm_tool("gateway")


def start_gateway(folder: Path, subgraphs: dict[str, str], log: Path) -> NodeServer:
    """Start the gateway and read the URL it prints once it listens (bounded wait)."""
    return start_node(folder, "server.mjs", *(f"{n}={u}" for n, u in subgraphs.items()), log=log)


@pytest.fixture
def composed(
    gateway_folder: Path,
    make_settings: SettingsFactory,
    live_server: Callable[[Any], LiveServer],
    tmp_path: Path,
) -> Iterator[tuple[NodeServer, LiveServer]]:
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


def test_a_signed_in_user_gets_a_widget_token_through_the_gateway(
    composed: tuple[NodeServer, LiveServer], make_settings: SettingsFactory
) -> None:
    """user6's forwarded session cookie gives a token for 6, and chatWidget its options."""
    gateway, adapter = composed
    cookie = sign_in(adapter, "user6")
    issued = gateway.post(ISSUE, cookie=cookie, statuses=ANSWERED)
    widget = gateway.post(WIDGET, cookie=cookie, statuses=ANSWERED)
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
    composed: tuple[NodeServer, LiveServer],
) -> None:
    """No session cookie reaches the adapter: UNAUTHENTICATED, and chatWidget has no options."""
    gateway, _ = composed
    issued = gateway.post(ISSUE, statuses=ANSWERED)
    widget = gateway.post(WIDGET, statuses=ANSWERED)
    assert issued["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert issued.get("data") is None
    assert widget["data"]["chatWidget"]["options"] == {}
    assert widget["data"]["chatWidget"]["userId"] is None


def test_chat_users_through_the_gateway_match_the_chats_answer(
    composed: tuple[NodeServer, LiveServer],
) -> None:
    """chatUsers through the gateway gives the names the chat's users-info call gives."""
    gateway, adapter = composed
    cookie = sign_in(adapter, "user6")
    body = gateway.post(
        '{ chatUsers(ids: ["6", "7"]) { userId name } }', cookie=cookie, statuses=ANSWERED
    )
    chat = httpx.get(f"{adapter.url}/imbachat/v1/users?user_ids=6,7", auth=("root", "abc"))
    assert body["data"]["chatUsers"] == [
        {"userId": str(user["user_id"]), "name": user["name"]} for user in chat.json()
    ]


PROFILE = '{ user(id: "7") { id displayName chatProfile { userId name avatarUrl } } }'


def test_the_site_user_entity_carries_its_chat_profile(
    composed: tuple[NodeServer, LiveServer],
) -> None:
    """The site's User gets chatProfile from the adapter: the name the chat receives for 7."""
    gateway, adapter = composed
    cookie = sign_in(adapter, "user6")
    body = gateway.post(PROFILE, cookie=cookie, statuses=ANSWERED)
    assert "errors" not in body, body
    chat = httpx.get(f"{adapter.url}/imbachat/v1/users?user_ids=7", auth=("root", "abc")).json()
    user = body["data"]["user"]
    assert user["id"] == "7"
    assert user["chatProfile"]["userId"] == "7"
    assert user["chatProfile"]["name"] == chat[0]["name"]
    assert user["chatProfile"]["avatarUrl"] == (chat[0]["avatar_url"] or None)


def test_the_chat_profile_needs_a_signed_in_viewer_through_the_gateway(
    composed: tuple[NodeServer, LiveServer],
) -> None:
    """Anonymous: the site's fields still answer, chatProfile is null with UNAUTHENTICATED."""
    gateway, _ = composed
    body = gateway.post(PROFILE, statuses=ANSWERED)
    assert body["data"]["user"]["id"] == "7"
    assert body["data"]["user"]["chatProfile"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

"""`make demo`'s change feed: a member renamed on the embedded demo site is what the chat gets
next, with no webhook: the adapter follows the site's `usersChanged` subscription in-process."""

from __future__ import annotations

import httpx
import orjson
import pytest

from adapter.app import create_app
from adapter.demo import create_demo_upstream_app
from adapter.demo.sessions import issue_session
from adapter.feed.in_process import connect_in_process
from tests.polling import eventually
from tests.support import CHAT_AUTH, asgi_client, gql, reference_data, settings_from

RENAME = """mutation($id: ID!, $name: String!) {
  renameMember(id: $id, displayName: $name) { id } }"""


async def _name(client: httpx.AsyncClient, user_id: int) -> str:
    response = await client.get(f"/imbachat/v1/users?user_ids={user_id}", auth=CHAT_AUTH)
    assert response.status_code == 200, response.text
    name: str = orjson.loads(response.content)[0]["name"]
    return name


@pytest.mark.asyncio
async def test_a_rename_on_the_demo_site_reaches_the_chat_with_no_webhook() -> None:
    """users-info answers user 6 from its cache; after the site renames them, the next answers
    carry the new name, though the cached copy is fresh for 300 s and no webhook is set."""
    settings = settings_from(reference_data(feed=True))
    assert settings.feed is not None
    assert not settings.webhooks.secret.get_secret_value()
    async with asgi_client(create_app(settings)) as client:
        old = await _name(client, 6)
        site = {"Authorization": f"Bearer {issue_session(6)}"}
        attempt = 0

        async def renamed() -> bool:
            # The feed subscribes a moment after start-up: rename until the chat shows it.
            nonlocal attempt
            attempt += 1
            variables = {"id": "6", "name": f"Sixth Member {attempt}"}
            body = await gql(client, RENAME, variables, headers=site, path="/demo-upstream/graphql")
            assert "errors" not in body
            return await eventually(lambda: _changed(client, old), within=1.0)

        assert await eventually(renamed, within=20.0)
        assert (await _name(client, 6)).startswith("Sixth Member")


async def _changed(client: httpx.AsyncClient, old: str) -> bool:
    return await _name(client, 6) != old


@pytest.mark.asyncio
async def test_the_in_process_websocket_is_refused_where_the_app_has_none() -> None:
    """A path without a WebSocket route is a ConnectionError, as a refused handshake is."""
    app = create_demo_upstream_app()
    with pytest.raises(ConnectionError, match="refused"):
        async with connect_in_process(app, "ws://demo/nowhere", subprotocols=["graphql-ws"]):
            pass

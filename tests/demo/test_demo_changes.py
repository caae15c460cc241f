"""The demo site's edits: renaming a member, `updatedAt`, the changed-since filter, and the
`usersChanged` subscription over both WebSocket protocols."""

from __future__ import annotations

import json

import httpx
import pytest
from starlette.applications import Starlette
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from adapter.demo.data import GENERATED_AT
from adapter.demo.sessions import issue_session
from tests.polling import eventually
from tests.servers import LiveServer
from tests.support import gql

RENAME = """
mutation($id: ID!, $name: String!) { renameMember(id: $id, displayName: $name) {
  id displayName updatedAt } }
"""
CHANGED = "query($since: String) { users(updatedSince: $since) { id displayName updatedAt } }"
SUBSCRIBE = "subscription { usersChanged { id displayName } }"


def _as(user_id: int) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_session(user_id)}"}


@pytest.mark.asyncio
async def test_a_member_renames_themself_and_updated_at_moves(client: httpx.AsyncClient) -> None:
    """The member's new name is served, stamped with a time after the generated data's."""
    body = await gql(client, RENAME, {"id": "6", "name": " Sixth Member "}, headers=_as(6))
    renamed = body["data"]["renameMember"]
    assert renamed["displayName"] == "Sixth Member"
    assert renamed["updatedAt"] > GENERATED_AT
    shown = await gql(client, 'query { user(id: "6") { displayName updatedAt } }')
    assert shown["data"]["user"] == {
        "displayName": "Sixth Member",
        "updatedAt": renamed["updatedAt"],
    }


@pytest.mark.asyncio
async def test_an_admin_renames_anyone_and_others_are_refused(client: httpx.AsyncClient) -> None:
    """User 1 is an admin and may rename user 7; user 8 and an anonymous caller may not."""
    assert "errors" not in await gql(client, RENAME, {"id": "7", "name": "X"}, headers=_as(1))
    for headers in (_as(8), {}):
        body = await gql(client, RENAME, {"id": "7", "name": "Y"}, headers=headers)
        assert "sign in as this member or an admin" in body["errors"][0]["message"]
    unknown = await gql(client, RENAME, {"id": "99999", "name": "Z"}, headers=_as(1))
    assert "no such member" in unknown["errors"][0]["message"]


@pytest.mark.asyncio
async def test_changed_since_lists_the_edits_after_a_stamp_oldest_first(
    client: httpx.AsyncClient,
) -> None:
    """`users(updatedSince:)` answers the members changed after it, in the order of the edits."""
    assert (await gql(client, CHANGED, {"since": GENERATED_AT}))["data"]["users"] == []
    stamps = []
    for user_id in (9, 3, 5):
        body = await gql(
            client, RENAME, {"id": str(user_id), "name": f"N{user_id}"}, headers=_as(user_id)
        )
        stamps.append(body["data"]["renameMember"]["updatedAt"])
    changed = (await gql(client, CHANGED, {"since": GENERATED_AT}))["data"]["users"]
    assert [u["id"] for u in changed] == ["9", "3", "5"]
    assert [u["updatedAt"] for u in changed] == stamps
    after_first = (await gql(client, CHANGED, {"since": stamps[0]}))["data"]["users"]
    assert [u["id"] for u in after_first] == ["3", "5"]
    offset = stamps[0].replace("Z", "+00:00")  # an offset, as the feed's poll writes times
    assert [u["id"] for u in (await gql(client, CHANGED, {"since": offset}))["data"]["users"]] == [
        "3",
        "5",
    ]
    bad = await gql(client, CHANGED, {"since": "yesterday"})
    assert "not an ISO 8601 time" in bad["errors"][0]["message"]
    neither = await gql(client, "query { users { id } }")
    assert "give ids or updatedSince" in neither["errors"][0]["message"]


async def _subscribe(socket: ClientConnection, protocol: str) -> None:
    """Open a subscription to usersChanged in either protocol's words."""
    await socket.send(json.dumps({"type": "connection_init"}))
    assert json.loads(await socket.recv())["type"] == "connection_ack"
    start = "subscribe" if protocol == "graphql-transport-ws" else "start"
    await socket.send(json.dumps({"id": "1", "type": start, "payload": {"query": SUBSCRIBE}}))


@pytest.mark.asyncio
@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_users_changed_publishes_each_rename_over_both_protocols(
    app: Starlette, protocol: str
) -> None:
    """A subscriber hears each rename as the list of changed members, in either protocol."""
    with LiveServer(app) as server:
        url = f"ws://127.0.0.1:{server.port}/graphql"
        async with (
            connect(url, subprotocols=[Subprotocol(protocol)]) as socket,
            httpx.AsyncClient(base_url=server.url) as http,
        ):
            await _subscribe(socket, protocol)
            assert await eventually(lambda: app.state.directory.subscribers == 1)
            for name in ("First", "Second"):
                body = await gql(http, RENAME, {"id": "12", "name": name}, headers=_as(12))
                assert "errors" not in body
                event = json.loads(await socket.recv())
                assert event["type"] == ("next" if protocol == "graphql-transport-ws" else "data")
                assert event["payload"]["data"]["usersChanged"] == [
                    {"id": "12", "displayName": name}
                ]

"""The demo site as a federation subgraph: it owns the User entity the adapter extends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from adapter.demo import create_demo_upstream_app
from adapter.demo.sessions import SESSION_COOKIE, issue_session

URL = "/subgraph/graphql"


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    """The demo upstream in-process."""
    transport = httpx.ASGITransport(app=create_demo_upstream_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://demo") as http:
        yield http


async def post(client: httpx.AsyncClient, query: str, **kwargs: Any) -> dict[str, Any]:
    """One operation against the subgraph, decoded."""
    response = await client.post(URL, json={"query": query, **kwargs})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_the_subgraph_keys_its_user_entity(client: httpx.AsyncClient) -> None:
    """`_service { sdl }` declares `type User @key(fields: "id")` for federation 2."""
    body = await post(client, "{ _service { sdl } }")
    sdl = body["data"]["_service"]["sdl"]
    assert 'type User @key(fields: "id")' in sdl
    assert "specs.apollo.dev/federation/v2" in sdl


async def test_users_by_id_and_by_reference(client: httpx.AsyncClient) -> None:
    """`user(id)` and `_entities` find the same member; unknown ids are null."""
    plain = await post(client, '{ user(id: "7") { id username } nobody: user(id: "0") { id } }')
    entities = await post(
        client,
        "query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { id username } } }",
        variables={"r": [{"__typename": "User", "id": "7"}, {"__typename": "User", "id": "x"}]},
    )
    assert plain["data"] == {"user": {"id": "7", "username": "user7"}, "nobody": None}
    assert entities["data"]["_entities"] == [{"id": "7", "username": "user7"}, None]


async def test_me_is_the_session_user(client: httpx.AsyncClient) -> None:
    """`me` is the member of the session cookie, and null without one."""
    cookie = {"Cookie": f"{SESSION_COOKIE}={issue_session(6)}"}
    signed_in = await client.post(URL, json={"query": "{ me { id } }"}, headers=cookie)
    anonymous = await post(client, "{ me { id } }")
    assert signed_in.json()["data"] == {"me": {"id": "6"}}
    assert anonymous["data"] == {"me": None}

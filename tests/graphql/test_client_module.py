"""The browser client is served with the API: importable from any origin, typed, current."""

from __future__ import annotations

import re
from typing import Any

from adapter.web.graphql.ide import CLIENT
from tests.graphql.support import session_cookie
from tests.support import CHAT_AUTH, gql

Api = Any

FILES = ("imbachat.js", "documents.js", "imbachat.d.ts", "documents.d.ts")


async def test_the_client_files_are_served_to_any_origin(api: Api) -> None:
    """Each file is served at <graphql path>/client/, with ACAO * and no credentials allowed."""
    async with api() as client:
        for name in FILES:
            response = await client.get(
                f"/graphql/client/{name}", headers={"Origin": "https://app.example.com"}
            )
            assert response.status_code == 200, name
            assert response.headers["access-control-allow-origin"] == "*"
            assert "access-control-allow-credentials" not in response.headers
            assert response.headers["cache-control"] == "no-cache"
            assert response.content == (CLIENT / name).read_bytes()


async def test_modules_and_declarations_have_their_types(api: Api) -> None:
    """JavaScript as text/javascript (a module needs it), declarations as TypeScript."""
    async with api() as client:
        module = await client.get("/graphql/client/imbachat.js")
        types = await client.get("/graphql/client/imbachat.d.ts")
    assert module.headers["content-type"].startswith("text/javascript")
    assert types.headers["content-type"].startswith("application/typescript")


async def test_the_client_follows_the_graphql_path(api: Api) -> None:
    """With graphql.path /api/chat the client is at /api/chat/client/."""
    async with api({"graphql": {"path": "/api/chat"}}) as client:
        moved = await client.get("/api/chat/client/imbachat.js")
        old = await client.get("/graphql/client/imbachat.js")
    assert moved.status_code == 200
    assert old.status_code == 404


async def test_unknown_client_files_are_404(api: Api) -> None:
    """A path outside the client's files is a 404, never another file of the package."""
    async with api() as client:
        missing = await client.get("/graphql/client/nope.js")
        climbing = await client.get("/graphql/client/%2e%2e/%2e%2e/graphql/schema.py")
    assert missing.status_code == 404
    assert climbing.status_code == 404


def test_the_declarations_cover_every_export() -> None:
    """Every name imbachat.js exports is declared in imbachat.d.ts."""
    module = (CLIENT / "imbachat.js").read_text()
    declarations = (CLIENT / "imbachat.d.ts").read_text()
    exported = set(re.findall(r"^export (?:class|function|const) (\w+)", module, re.MULTILINE))
    exported |= {
        n.strip()
        for group in re.findall(r"^export \{([^}]*)\}", module, re.M)
        for n in group.split(",")
    }
    assert exported == {
        "ChatApiError",
        "ImbaChatClient",
        "CHAT_USERS",
        "CHAT_WIDGET",
        "ISSUE_CHAT_TOKEN",
    }
    for name in exported:
        assert re.search(rf"\b{name}\b", declarations), name


async def test_chat_json_is_the_object_the_chat_receives(api: Api) -> None:
    """chatUsers' chatJson equals the users-info call's object for each user, key for key."""
    query = "query ($ids: [ID!]!) { chatUsers(ids: $ids) { userId chatJson } }"
    async with api() as client:
        body = await gql(client, query, {"ids": ["6", "4"]}, headers=session_cookie(1))
        chat = (await client.get("/imbachat/v1/users?user_ids=6,4", auth=CHAT_AUTH)).json()
    assert [user["chatJson"] for user in body["data"]["chatUsers"]] == chat

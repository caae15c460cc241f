"""`init --yes` through the command line, against live sites of different shapes.

For each site the written configuration is loaded as `serve` would load it, and the chat's
users-info call must return the expected JSON.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import strawberry
import yaml

from adapter.app import create_app
from adapter.config import load_settings
from adapter.demo.data import generate_users
from tests.init.schemas import MEMBERS, RELAY_PEOPLE, RELAY_TOKEN, CountingSite
from tests.init.support import (
    OPERATOR_AUTH,
    OPERATOR_ENVIRONMENT,
    InitRunner,
    SiteServer,
    chat_users,
)
from tests.servers import DemoUpstream
from tests.support import asgi_client


def _demo_expected(user_id: int, origin: str) -> dict[str, Any]:
    user = generate_users()[user_id - 1]
    expected: dict[str, Any] = {
        "user_id": user_id,
        "name": user.display_name or user.username,
        "avatar_url": user.avatar.url if user.avatar else False,
        # No profile-link field: init's template on the site's own address.
        "profile_url": f"{origin}/members/{user.username}/",
    }
    if user.last_login_at:
        expected["lastlogin"] = int(datetime.fromisoformat(user.last_login_at).timestamp())
    if user.badge:
        expected["badge"] = user.badge
    expected["chat_role"] = "admin" if user.role.value == "ADMIN" else "user"
    return expected


def _printed_answer(stdout: str) -> list[dict[str, Any]]:
    """The JSON array `init` printed after fetching users through the pipeline."""
    start = stdout.index("(HTTP 200):\n") + len("(HTTP 200):\n")
    end = stdout.index("\n]\n", start) + 2
    answer: list[dict[str, Any]] = orjson.loads(stdout[start:end])
    return answer


async def test_demo_upstream(
    run_init: InitRunner, demo_upstream: DemoUpstream, tmp_path: Path
) -> None:
    """Against the demo, `init --yes` writes a list-strategy config giving the right users-info."""
    done = run_init("--upstream", demo_upstream.graphql_url, "--yes")
    assert done.returncode == 0, done.stderr + done.stdout
    assert "Traceback" not in done.stderr
    config = yaml.safe_load((tmp_path / "config.yaml").read_text())
    assert config["upstream"]["batch"]["strategy"] == "list"
    assert config["mapping"]["fields"]["name"] == ["displayName", "username"]
    assert "user_mail" not in config["mapping"]["fields"]
    assert "# user_mail: email" in (tmp_path / "config.yaml").read_text()
    assert "email" not in (tmp_path / "resolvers/users.graphql").read_text()
    assert {p.name for p in (tmp_path / "resolvers").iterdir()} == {
        "users.graphql",
        "search.graphql",
        "viewer.graphql",
        "feed.graphql",
    }
    # The demo publishes its edits: the members' changes arrive by subscription, as users.
    assert config["feed"] == {
        "kind": "subscription",
        "document": "resolvers/feed.graphql",
        "ids": "usersChanged",
        "users": True,
    }
    expected = [_demo_expected(i, demo_upstream.base_url) for i in (1, 2, 3, 4)]
    assert _printed_answer(done.stdout) == expected[:3]
    demo_upstream.reset()
    assert await chat_users(tmp_path / "config.yaml", [1, 2, 3, 4, 999999]) == expected
    assert demo_upstream.requests() == 1  # four ids, one list field, one request


async def test_relay_site(
    run_init: InitRunner, serve_site: SiteServer, relay: CountingSite, tmp_path: Path
) -> None:
    """A Relay site: node(id:) with `... on User`, sample ids from a connection, ms timestamps."""
    url = serve_site(relay)
    done = run_init("--upstream", url, "--yes", "-H", f"Authorization: Bearer {RELAY_TOKEN}")
    assert done.returncode == 0, done.stderr + done.stdout
    text = (tmp_path / "config.yaml").read_text()
    assert RELAY_TOKEN not in text  # the header's value stays out of the file
    config = yaml.safe_load(text)
    assert config["upstream"]["headers"] == {"Authorization": "${IMBACHAT_UPSTREAM_AUTHORIZATION}"}
    assert config["upstream"]["batch"]["strategy"] == "alias"
    assert config["mapping"]["fields"]["lastlogin"] == {
        "path": "lastActiveAt",
        "convert": "epoch_ms_to_unix",
    }
    assert config["upstream"]["operations"]["search"]["result_path"] == "search.nodes"
    document = (tmp_path / "resolvers/user_by_id.graphql").read_text()
    assert "node(id: $id)" in document
    assert "... on User" in document
    assert "the first users listed by `users`" in done.stdout
    expected = [
        {
            "user_id": p.id,
            "name": p.name or p.handle,
            "avatar_url": p.avatar or False,
            "profile_url": f"https://relay.example.org/@{p.handle}",
            "lastlogin": p.last_active_ms // 1000,
        }
        for p in RELAY_PEOPLE.values()
    ]
    assert _printed_answer(done.stdout) == expected[:3]
    relay.requests = 0
    environ = {"IMBACHAT_UPSTREAM_AUTHORIZATION": f"Bearer {RELAY_TOKEN}"}
    answer = await chat_users(tmp_path / "config.yaml", [104, 103, 102, 101], environ)
    assert answer == expected[::-1]
    assert relay.requests == 1  # four aliased node fields in one request


async def test_member_site(
    run_init: InitRunner, serve_site: SiteServer, members: CountingSite, tmp_path: Path
) -> None:
    """A site whose only user field is member(id: Int!), with its own field names."""
    url = serve_site(members)
    done = run_init("--upstream", url, "--yes", "--output", "site")
    assert done.returncode == 0, done.stderr + done.stdout
    config = yaml.safe_load((tmp_path / "site/config.yaml").read_text())
    assert config["upstream"]["batch"]["strategy"] == "alias"
    assert config["chat"]["ids"]["type"] == "int"
    assert "search" not in config["upstream"]["operations"]
    assert "$id: Int!" in (tmp_path / "site/resolvers/user_by_id.graphql").read_text()
    expected = []
    for person in MEMBERS.values():
        user: dict[str, Any] = {
            "user_id": person.id,
            "name": person.nickname or person.login,
            "avatar_url": person.photo or False,
            "profile_url": f"{url.removesuffix('/graphql')}/members/{person.login}/",
        }
        if person.last_seen is not None:
            user["lastlogin"] = int(person.last_seen.timestamp())
        user["chat_role"] = "admin" if person.is_admin else "user"
        expected.append(user)
    assert _printed_answer(done.stdout) == expected[:3]
    assert await chat_users(tmp_path / "site/config.yaml", [7, 1, 2, 3, 5]) == [
        expected[3],
        *expected[:3],
    ]


# A site whose search answers a connection with `edges { node }` only, no `nodes`.
_HANDLES = {1: "ada", 2: "adele", 3: "bob"}


@strawberry.type
class _Account:
    id: strawberry.ID
    username: str


@strawberry.type
class _AccountEdge:
    node: _Account


@strawberry.type
class _AccountConnection:
    edges: list[_AccountEdge]


@strawberry.type
class _EdgesQuery:
    @strawberry.field
    def accounts(self, ids: list[strawberry.ID]) -> list[_Account | None]:
        return [
            _Account(id=i, username=_HANDLES[int(i)]) if int(i) in _HANDLES else None for i in ids
        ]

    @strawberry.field
    def search_accounts(self, text: str) -> _AccountConnection:
        found = [_Account(id=strawberry.ID(str(i)), username=h) for i, h in _HANDLES.items()]
        return _AccountConnection(edges=[_AccountEdge(node=a) for a in found if text in a.username])


async def test_search_through_edges(
    run_init: InitRunner, serve_site: SiteServer, tmp_path: Path
) -> None:
    """A search field answering `edges { node }` is found, written, and serves the chat's search."""
    url = serve_site(CountingSite(strawberry.Schema(query=_EdgesQuery)))
    done = run_init("--upstream", url, "--yes")
    assert done.returncode == 0, done.stderr + done.stdout
    config = yaml.safe_load((tmp_path / "config.yaml").read_text())
    assert config["upstream"]["operations"]["search"]["result_path"] == "searchAccounts.edges.node"
    settings = load_settings(tmp_path / "config.yaml", environ=OPERATOR_ENVIRONMENT)
    async with asgi_client(create_app(settings)) as client:
        response = await client.get("/imbachat/v1/search/ad", auth=OPERATOR_AUTH)
    assert response.status_code == 200, response.text
    assert [user["name"] for user in response.json()["data"]] == ["ada", "adele"]

"""The change feed's tests: the demo site over HTTP and WebSocket, restartable on its port, and
an adapter configured to follow it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette

from adapter.app import create_app, served_in_process
from adapter.config import Settings
from adapter.demo import create_demo_upstream_app
from adapter.demo.sessions import issue_session
from adapter.feed import Feed
from tests.servers import LiveServer
from tests.support import CHAT_AUTH, deep_merge, reference_data, remote, settings_from

# What the reference mapping reads, as resolvers/users.graphql selects it.
USER_FIELDS = "id username displayName avatar { url } lastLoginAt badge role "
USER_FIELDS += "profiles { id key name avatarUrl }"
SUBSCRIPTION = f"subscription {{ usersChanged {{ {USER_FIELDS} }} }}"
IDS_SUBSCRIPTION = "subscription { usersChanged { id } }"
POLL = (
    f"query Changed($since: String) {{ users(updatedSince: $since) {{ {USER_FIELDS} updatedAt }} }}"
)
RENAME = "mutation($id: ID!, $name: String!) { renameMember(id: $id, displayName: $name) { id } }"


class DemoSite:
    """The demo site served on one loopback port, which it keeps across restarts."""

    def __init__(self) -> None:
        self.app: Starlette = create_demo_upstream_app()
        self.server: LiveServer | None = LiveServer(self.app).__enter__()
        self.port = self.server.port

    @property
    def graphql_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/graphql"

    def stop(self) -> None:
        if self.server is not None:
            self.server.__exit__()
            self.server = None

    def start(self) -> None:
        self.server = LiveServer(self.app, port=self.port).__enter__()

    def rename(self, user_id: int, name: str) -> None:
        """The member renames themself on the site, over its GraphQL API."""
        response = httpx.post(
            self.graphql_url,
            json={"query": RENAME, "variables": {"id": str(user_id), "name": name}},
            headers={"Authorization": f"Bearer {issue_session(user_id)}"},
        )
        assert "errors" not in response.json(), response.text

    def rename_behind_its_back(self, user_id: int, name: str) -> None:
        """A change the API does not see happen (its server down, the database edited)."""
        assert self.app.state.directory.rename(user_id, name) is not None


@contextlib.contextmanager
def demo_site() -> Iterator[DemoSite]:
    site = DemoSite()
    try:
        yield site
    finally:
        site.stop()


def feed_settings(
    site: DemoSite,
    tmp_path: Path,
    document: str,
    overrides: dict[str, Any] | None = None,
    **feed: Any,
) -> Settings:
    """The reference configuration pointed at `site`, following its feed through `document`."""
    path = tmp_path / "feed.graphql"
    path.write_text(document)
    section = {"document": str(path), "reconnect_min_seconds": 0.05, "reconnect_max_seconds": 0.5}
    data = deep_merge(reference_data(), remote(site.graphql_url))
    data = deep_merge(data, {"feed": {**section, **feed}, **(overrides or {})})
    return settings_from(data)


@contextlib.asynccontextmanager
async def adapter(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, Feed]]:
    """The adapter on `settings`, its lifespan (and so its feed) running; its client and feed."""
    async with served_in_process(create_app(settings)) as (serve, state):
        transport = httpx.ASGITransport(app=serve)
        async with httpx.AsyncClient(transport=transport, base_url="http://adapter.test") as client:
            feed = state["feed"]
            assert feed is not None  # the settings have a feed
            yield client, feed


async def named(client: httpx.AsyncClient, user_id: int, name: str) -> bool:
    return await name_of(client, user_id) == name


async def name_of(client: httpx.AsyncClient, user_id: int) -> str | None:
    """The name the chat is given for `user_id`."""
    response = await client.get(f"/imbachat/v1/users?user_ids={user_id}", auth=CHAT_AUTH)
    assert response.status_code == 200, response.text
    users = response.json()
    return users[0]["name"] if users else None

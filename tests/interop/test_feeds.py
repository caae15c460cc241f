"""The change feed against real sites, end to end: a change on the site is what the adapter's
next users-info answer shows, with no webhook. PostGraphile v4 (`--subscriptions
--simple-subscriptions`, a trigger calling `pg_notify` on the members table) by subscription in
both protocols and by poll, as `init` proposes it; graphql-yoga (pub/sub over graphql-ws) by the
subscription `init` proposes, with nothing added."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from adapter.app import create_app
from adapter.config import FeedSettings, Settings, load_settings
from tests.init.postgraphile import PostGraphile, Unavailable, psql, start_postgraphile
from tests.interop.support import (
    CHAT_LOGIN,
    CHAT_PASSWORD,
    OPERATOR,
    Configured,
    NodeServer,
    init_site,
    site_post,
    start_node,
)
from tests.npm import npm_tool
from tests.polling import eventually
from tests.support import asgi_client

pytestmark = [pytest.mark.interop, pytest.mark.slow]

# The PostGraphile recipe (README): the trigger's topic, the changed row as its node.
LISTEN = """subscription ChatFeed {
  listen(topic: "members") { relatedNode { ... on Member { id } } }
}
"""
RENAME = "mutation ($id: ID!, $name: String!) { renameUser(id: $id, name: $name) { id } }"


@pytest.fixture(scope="module")
def postgraphile() -> Iterator[PostGraphile]:
    """PostGraphile with simple subscriptions over a members table that notifies its changes."""
    folder = npm_tool("postgraphile")
    try:
        with start_postgraphile(folder, subscriptions=True) as server:
            yield server
    except Unavailable as exc:
        pytest.skip(f"PostGraphile cannot run here: {exc}")


@pytest.fixture(scope="module")
def yoga(light_sites: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeServer]:
    """graphql-yoga serving the tutorial schema, which publishes each `renameUser`."""
    log = tmp_path_factory.mktemp("yoga-feed") / "yoga.log"
    server = start_node(light_sites, "yoga.mjs", "tutorial", log=log)
    try:
        yield server
    finally:
        server.stop()


def _with_feed(configured: Configured, **feed: Any) -> Settings:
    """The settings init wrote, their feed replaced by (or changed to) `feed`."""
    settings = load_settings(configured.path, environ=OPERATOR)
    current = settings.feed.model_dump() if settings.feed and "kind" not in feed else {}
    return settings.model_copy(update={"feed": FeedSettings(**{**current, **feed})})


async def _name(client: httpx.AsyncClient, user_id: int) -> str:
    response = await client.get(
        f"/imbachat/v1/users?user_ids={user_id}", auth=(CHAT_LOGIN, CHAT_PASSWORD)
    )
    assert response.status_code == 200, response.text
    name: str = orjson.loads(response.content)[0]["name"]
    return name


async def _followed(settings: Settings, user_id: int, change: Callable[[str], None]) -> None:
    """The chat's answer for `user_id` is cached, then follows a change on the site: the site is
    changed until the answer shows the change made last (the feed starts a moment after the
    adapter), though the cached copy is fresh for minutes and no webhook is set."""
    assert not settings.webhooks.secret.get_secret_value()
    async with asgi_client(create_app(settings)) as client:
        await _name(client, user_id)
        for attempt in range(20):
            name = f"Renamed {attempt}"
            change(name)

            async def shown(expected: str = name) -> bool:
                return await _name(client, user_id) == expected

            if await eventually(shown, within=3.0):
                return
    raise AssertionError("the chat showed none of 20 changes")


def _rename_row(postgraphile: PostGraphile) -> Callable[[str], None]:
    def rename(name: str) -> None:
        sql = f"update members set display_name = '{name}' where id = 6"  # noqa: S608 - ours
        psql(postgraphile.database_url, sql)

    return rename


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_postgraphile_subscription(
    postgraphile: PostGraphile, tmp_path: Path, protocol: str
) -> None:
    """`listen(topic: "members")`'s related node, over either protocol, evicts the row's copy."""
    configured = init_site(postgraphile.url, tmp_path / "site")
    (tmp_path / "listen.graphql").write_text(LISTEN)
    settings = _with_feed(
        configured,
        kind="subscription",
        document=tmp_path / "listen.graphql",
        ids="listen.relatedNode",
        protocol=protocol,
    )
    await _followed(settings, 6, _rename_row(postgraphile))


async def test_postgraphile_poll_as_init_proposes_it(
    postgraphile: PostGraphile, tmp_path: Path
) -> None:
    """init finds `allMembers(filter: {updatedAt: {greaterThan:}})` and writes the poll, oldest
    change first; asked every half second here, it brings the changed row."""
    configured = init_site(postgraphile.url, tmp_path / "site")
    assert configured.config["feed"]["kind"] == "poll"
    document = (tmp_path / "site/resolvers/feed.graphql").read_text()
    assert "updatedAt: {greaterThan: $since}" in document
    assert "orderBy: UPDATED_AT_ASC" in document  # oldest change first: no page skips one
    await _followed(_with_feed(configured, interval_seconds=0.5), 6, _rename_row(postgraphile))


async def test_yoga_subscription_as_init_proposes_it(yoga: NodeServer, tmp_path: Path) -> None:
    """init finds `userChanged: User!` and writes the subscription; as written, each rename's
    user object is what the chat gets next."""
    configured = init_site(yoga.url, tmp_path / "site")
    assert configured.config["feed"] == {
        "kind": "subscription",
        "document": "resolvers/feed.graphql",
        "ids": "userChanged",
        "users": True,
    }

    def rename(name: str) -> None:
        site_post(yoga.url, RENAME, {"id": "3", "name": name})

    await _followed(load_settings(configured.path, environ=OPERATOR), 3, rename)

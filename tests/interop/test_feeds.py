"""The change feed's real sites: PostGraphile v4 (`--subscriptions --simple-subscriptions`, a
trigger calling `pg_notify` on the members table) and graphql-yoga (pub/sub over graphql-ws)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.init.postgraphile import PostGraphile, Unavailable, psql, start_postgraphile
from tests.interop.feeds import Subscriber, subscribed
from tests.interop.support import NodeServer, site_post, start_node
from tests.npm import npm_tool

pytestmark = [pytest.mark.interop, pytest.mark.slow]

PROTOCOLS = ["graphql-transport-ws", "graphql-ws"]
LISTEN = """subscription { listen(topic: "members") {
  relatedNode { ... on Member { id displayName } } } }"""
USER_CHANGED = "subscription { userChanged { id name } }"
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


async def _heard(events: Subscriber, change: Callable[[str], None]) -> Mapping[str, Any]:
    """Change the site until the subscriber hears the change made last (the site starts
    listening a moment after it acknowledged the subscription); that event's data."""
    for attempt in range(30):
        name = f"Renamed {attempt}"
        change(name)
        try:
            data = await asyncio.wait_for(events.next_data(), 2.0)
        except TimeoutError:
            continue
        while name not in str(data):
            data = await asyncio.wait_for(events.next_data(), 10.0)
        return data
    raise AssertionError("the site published none of 30 changes")


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_postgraphile_publishes_a_changed_row(
    postgraphile: PostGraphile, protocol: str
) -> None:
    """An UPDATE of a member reaches a `listen` subscriber as the changed row, in both protocols."""

    def rename(name: str) -> None:
        sql = f"update members set display_name = '{name}' where id = 6"  # noqa: S608 - ours
        psql(postgraphile.database_url, sql)

    async with subscribed(postgraphile.url, protocol, LISTEN) as events:
        data = await _heard(events, rename)
    assert data["listen"]["relatedNode"]["id"] == 6


async def test_yoga_publishes_a_renamed_user(yoga: NodeServer) -> None:
    """A `renameUser` reaches a `userChanged` subscriber as the whole user, over graphql-ws's
    library (graphql-transport-ws)."""

    def rename(name: str) -> None:
        site_post(yoga.url, RENAME, {"id": "3", "name": name})

    async with subscribed(yoga.url, "graphql-transport-ws", USER_CHANGED) as events:
        data = await _heard(events, rename)
    assert data["userChanged"]["id"] == "3"

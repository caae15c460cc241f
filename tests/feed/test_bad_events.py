"""Bad events from a feed's server (not JSON, not messages, no data, ids that are not ids or
that nobody has, a flood) are counted and bounded; the feed stays up and applies the next one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.typing import Subprotocol

from tests.feed.support import IDS_SUBSCRIPTION, adapter, demo_site, feed_settings, name_of, named
from tests.polling import eventually


def _event(ids: list[Any]) -> bytes:
    users = [{"id": i} for i in ids]
    return orjson.dumps({"type": "next", "id": "1", "payload": {"data": {"usersChanged": users}}})


class ScriptedServer:
    """A graphql-transport-ws server that sends what the test queues, once subscribed."""

    def __init__(self) -> None:
        self.outbox: asyncio.Queue[bytes | str] = asyncio.Queue()
        self.url = ""

    async def handle(self, connection: ServerConnection) -> None:
        sender: asyncio.Task[None] | None = None
        try:
            async for raw in connection:
                kind = orjson.loads(raw)["type"]
                if kind == "connection_init":
                    await connection.send('{"type":"connection_ack"}')
                elif kind == "subscribe":
                    sender = asyncio.create_task(self._send(connection))
        finally:
            if sender is not None:
                sender.cancel()

    async def _send(self, connection: ServerConnection) -> None:
        while True:
            await connection.send(await self.outbox.get())


@asynccontextmanager
async def scripted_server() -> AsyncIterator[ScriptedServer]:
    server = ScriptedServer()
    protocols = [Subprotocol("graphql-transport-ws")]
    async with serve(server.handle, "127.0.0.1", 0, subprotocols=protocols) as listening:
        port = next(iter(listening.sockets)).getsockname()[1]
        server.url = f"ws://127.0.0.1:{port}/graphql"
        yield server


def _count(feed: Any, outcome: str) -> float:
    value = feed.metrics.registry.get_sample_value(
        "adapter_feed_events_total", {"outcome": outcome}
    )
    return float(value or 0)


@pytest.mark.asyncio
async def test_bad_events_are_counted_and_the_feed_goes_on(tmp_path: Path) -> None:
    with demo_site() as site:
        async with scripted_server() as server:
            settings = feed_settings(
                site,
                tmp_path,
                IDS_SUBSCRIPTION,
                kind="subscription",
                url=server.url,
                max_ids_per_event=100,
            )
            async with adapter(settings) as (client, feed):
                assert await eventually(lambda: feed.status == "up")
                await name_of(client, 6)
                await name_of(client, 7)
                site.rename_behind_its_back(6, "After The Junk")
                site.rename_behind_its_back(7, "After The Flood")
                for junk in (
                    "not json {",
                    "[1, 2]",
                    orjson.dumps(
                        {"type": "next", "id": "1", "payload": {"errors": [{"message": "x"}]}}
                    ),
                    _event(["abc!", 99_999_999, None, {"nested": 1}]),
                    _event([6]),
                ):
                    await server.outbox.put(junk)
                assert await eventually(lambda: named(client, 6, "After The Junk"))
                assert _count(feed, "malformed") == 3
                assert _count(feed, "applied") == 2
                dropped = feed.metrics.registry.get_sample_value(
                    "adapter_users_dropped_total", {"reason": "bad_id"}
                )
                assert dropped == 3
                assert await name_of(client, 7) != "After The Flood"

                # A flood is not applied id by id: every cached copy counts as stale instead.
                await server.outbox.put(_event(list(range(1, 5001))))
                assert await eventually(lambda: named(client, 7, "After The Flood"))
                assert _count(feed, "flood") == 1
                assert feed.status == "up"


@pytest.mark.asyncio
async def test_a_server_that_drops_each_subscription_is_retried_ever_more_slowly(
    tmp_path: Path,
) -> None:
    """Acknowledged, then closed at once: the backoff grows as for a refused connection (it
    started again at each acknowledgement, a reconnect and a stale mark every 50 ms forever)."""
    opened: list[float] = []

    async def ack_then_close(connection: ServerConnection) -> None:
        opened.append(asyncio.get_running_loop().time())
        async for raw in connection:
            if orjson.loads(raw)["type"] == "connection_init":
                await connection.send('{"type":"connection_ack"}')
            else:
                await connection.close()

    protocols = [Subprotocol("graphql-transport-ws")]
    with demo_site() as site:
        async with serve(ack_then_close, "127.0.0.1", 0, subprotocols=protocols) as listening:
            port = next(iter(listening.sockets)).getsockname()[1]
            settings = feed_settings(
                site,
                tmp_path,
                IDS_SUBSCRIPTION,
                kind="subscription",
                url=f"ws://127.0.0.1:{port}/graphql",
                reconnect_min_seconds=0.05,
                reconnect_max_seconds=1.0,
            )
            async with adapter(settings):
                assert await eventually(lambda: len(opened) >= 5)
    # Waits of 0.05, 0.1, 0.2, 0.4 s, each jittered down to half at most.
    assert opened[4] - opened[3] >= 0.2

"""The change feed's real sites: PostGraphile's simple subscriptions over `pg_notify`, and
graphql-yoga's pub/sub over graphql-ws; a bare subscriber that shows what a site publishes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

__all__ = ["Subscriber", "subscribed"]

# The first message each protocol sends for a subscription, and the type of its events.
_START = {"graphql-transport-ws": "subscribe", "graphql-ws": "start"}
_EVENT = {"graphql-transport-ws": "next", "graphql-ws": "data"}


class Subscriber:
    """One subscription's events, as the site sends them."""

    def __init__(self, socket: ClientConnection, protocol: str) -> None:
        self._socket = socket
        self._protocol = protocol

    async def next_data(self) -> Mapping[str, Any]:
        """The next event's data (keep-alives skipped)."""
        while True:
            message = json.loads(await self._socket.recv())
            if message["type"] == _EVENT[self._protocol]:
                data: Mapping[str, Any] = message["payload"]["data"]
                return data


@asynccontextmanager
async def subscribed(url: str, protocol: str, query: str) -> AsyncIterator[Subscriber]:
    """`query` subscribed at `url` (http or ws) in `protocol`, acknowledged by the site."""
    address = "ws" + url.removeprefix("http")
    async with connect(address, subprotocols=[Subprotocol(protocol)]) as socket:
        await socket.send(json.dumps({"type": "connection_init", "payload": {}}))
        while json.loads(await socket.recv())["type"] != "connection_ack":
            pass
        start = {"id": "1", "type": _START[protocol], "payload": {"query": query}}
        await socket.send(json.dumps(start))
        yield Subscriber(socket, protocol)

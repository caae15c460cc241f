"""A GraphQL subscription over WebSocket, in either protocol a site may speak.

`graphql-transport-ws` (the graphql-ws library: Apollo Server 4, graphql-yoga, Hasura, Strawberry)
and the older `graphql-ws` of subscriptions-transport-ws (PostGraphile v4, Apollo Server 2) differ
in message names only: `subscribe`/`next` against `start`/`data`, and `ping`/`pong` against the
server's `ka`. The service's headers go both into the handshake and into `connection_init`'s
payload, where servers that read credentials per connection look for them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

import orjson
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

__all__ = ["PROTOCOLS", "FeedError", "Subscription"]

PROTOCOLS = (Subprotocol("graphql-transport-ws"), Subprotocol("graphql-ws"))
_ACK_SECONDS = 10.0
_DATA = {"next", "data"}  # an event, in either protocol
_ENDS = {"error", "complete", "connection_error"}


class Socket(Protocol):
    """What a subscription uses of a connection: a `websockets` one, or `InProcessSocket`."""

    @property
    def subprotocol(self) -> str | None: ...

    async def send(self, message: str) -> None: ...

    def __aiter__(self) -> AsyncIterator[str | bytes]: ...


Connect = Callable[..., AbstractAsyncContextManager[Socket]]


class FeedError(Exception):
    """The site ended or refused the feed; the message says how."""


class Subscription:
    """One subscription: connect, subscribe, hand each event's `data` on, until it ends."""

    def __init__(
        self,
        url: str,
        document: str,
        variables: Mapping[str, Any],
        *,
        protocol: str,
        headers: Mapping[str, str],
        on_malformed: Callable[[str], None],
        connect: Connect = connect,
    ) -> None:
        self.url = url
        self._connect = connect
        self.protocols = PROTOCOLS if protocol == "auto" else (Subprotocol(protocol),)
        self.payload = {"query": document, "variables": dict(variables)}
        self.headers = dict(headers)
        self._on_malformed = on_malformed

    async def follow(
        self,
        items_of: Callable[[Any], list[Any]],
        apply: Callable[[list[Any]], Awaitable[None]],
        connected: Callable[[bool], Awaitable[None]],
    ) -> None:
        """Subscribe and apply every event's changes until the connection ends (returns) or
        fails (raises). Once subscribed, `connected(True)`: what changed before is unknown."""
        async with self._connect(
            self.url,
            subprotocols=self.protocols,
            additional_headers=self.headers,
            open_timeout=_ACK_SECONDS,
            close_timeout=1.0,
            # A silent connection (a site gone without closing it) is noticed within 10 s.
            ping_interval=5.0,
            ping_timeout=5.0,
        ) as socket:
            modern = (socket.subprotocol or self.protocols[0]) == PROTOCOLS[0]
            init = {**self.headers, "headers": self.headers} if self.headers else {}
            await _send(socket, {"type": "connection_init", "payload": init})
            await self._acknowledged(socket, modern)
            start = "subscribe" if modern else "start"
            await _send(socket, {"id": "1", "type": start, "payload": self.payload})
            await connected(True)
            async for raw in socket:
                message = self._message(raw)
                if message is None:
                    continue
                kind = message.get("type")
                if kind == "ping":
                    await _send(socket, {"type": "pong"})
                elif kind in _DATA:
                    payload = message.get("payload")
                    data = payload.get("data") if isinstance(payload, dict) else None
                    if isinstance(data, dict):
                        await apply(items_of(data))
                    else:
                        self._on_malformed("an event without data")
                elif kind in _ENDS:
                    raise FeedError(f"the server ended the subscription ({kind})")

    async def _acknowledged(self, socket: Socket, modern: bool) -> None:
        async with asyncio.timeout(_ACK_SECONDS):
            async for raw in socket:
                message = self._message(raw)
                kind = None if message is None else message.get("type")
                if kind == "connection_ack":
                    return
                if kind == "ping" and modern:
                    await _send(socket, {"type": "pong"})
                elif kind in _ENDS:
                    raise FeedError(f"the server refused the connection ({kind})")
        raise FeedError("the server closed the connection before acknowledging it")

    def _message(self, raw: str | bytes) -> dict[str, Any] | None:
        try:
            message = orjson.loads(raw)
        except orjson.JSONDecodeError:
            message = None
        if not isinstance(message, dict):
            self._on_malformed("a message that is not a JSON object")
            return None
        return message


async def _send(socket: Socket, message: Mapping[str, Any]) -> None:
    await socket.send(orjson.dumps(message).decode())

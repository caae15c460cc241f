"""A WebSocket to an ASGI app in this process: how the feed reaches the embedded demo, which
has no address of its own (`make demo` serves it inside the adapter, whatever the port).

It speaks ASGI's WebSocket messages to the app directly and offers what `Subscription` uses of
a `websockets` connection: the chosen `subprotocol`, `send`, and iterating the messages.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message

__all__ = ["InProcessSocket", "connect_in_process"]

_CLOSED: Message = {"type": "websocket.close", "code": 1011}


@dataclass
class InProcessSocket:
    """One accepted WebSocket to the app."""

    _to_app: asyncio.Queue[Message]
    _from_app: asyncio.Queue[Message]
    subprotocol: str

    async def send(self, text: str) -> None:
        await self._to_app.put({"type": "websocket.receive", "text": text})

    async def __aiter__(self) -> AsyncIterator[str]:
        while (message := await self._from_app.get())["type"] == "websocket.send":
            yield message.get("text") or message.get("bytes", b"").decode()


@asynccontextmanager
async def connect_in_process(
    app: ASGIApp, url: str, *, subprotocols: Sequence[str], **_: Any
) -> AsyncIterator[InProcessSocket]:
    """Open a WebSocket to `app` at `url`'s path, offering `subprotocols`; ConnectionError when
    the app does not accept it. Closed, the app hears the client go."""
    parts = urlsplit(url)
    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "scheme": "ws",
        "path": parts.path or "/",
        "raw_path": (parts.path or "/").encode(),
        "query_string": parts.query.encode(),
        "root_path": "",
        "headers": [(b"host", (parts.netloc or "localhost").encode())],
        "subprotocols": list(subprotocols),
        "client": ("127.0.0.1", 0),
        "server": (parts.hostname or "localhost", parts.port or 80),
    }
    to_app: asyncio.Queue[Message] = asyncio.Queue()
    from_app: asyncio.Queue[Message] = asyncio.Queue()

    async def serve() -> None:
        try:
            await app(scope, to_app.get, from_app.put)
        finally:
            from_app.put_nowait(_CLOSED)  # however the app ends, the client hears it closed

    task = asyncio.get_running_loop().create_task(serve())
    try:
        await to_app.put({"type": "websocket.connect"})
        accepted = await from_app.get()
        if accepted["type"] != "websocket.accept":
            raise ConnectionError(f"the app refused the WebSocket ({accepted['type']})")
        yield InProcessSocket(to_app, from_app, accepted.get("subprotocol") or subprotocols[0])
    finally:
        await to_app.put({"type": "websocket.disconnect", "code": 1000})
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task

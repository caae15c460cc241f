"""Sites of the suite's own that the adapter asks instead of a well-behaved one.

`MisbehavingSite` is a real HTTP server on loopback that answers as told. It speaks just enough
HTTP/1.1 (one request per connection, `connection: close`) to answer the adapter's upstream
client, on a port the kernel chose. By default it forwards to the demo upstream (the real
Strawberry app, in-process); `answer_with` and `drip` switch in the faults an attack run found,
and `behave()` switches the site back. `FaultySite` is the demo site as an httpx transport at
SITE_URL with a fault switched in on demand; `slow_server` answers only after a delay.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import httpx
import orjson

from adapter.demo import create_demo_upstream_app

__all__ = ["SITE_URL", "Fault", "FaultySite", "MisbehavingSite", "misbehaving_site", "slow_server"]

Writer = asyncio.StreamWriter
Behaviour = Callable[[bytes, Writer], Awaitable[None]]

SITE_URL = "http://site.test/graphql"
Fault = Callable[[httpx.Request], httpx.Response]


def _response(
    status: int,
    body: bytes,
    content_type: str = "application/json",
    content_encoding: str | None = None,
) -> bytes:
    encoding = f"content-encoding: {content_encoding}\r\n" if content_encoding else ""
    head = (
        f"HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\n{encoding}"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode() + body


@dataclass
class MisbehavingSite:
    """The server's URL, what it does now, and what it has seen."""

    url: str = ""
    requests: int = 0
    open_connections: int = 0
    last_head: bytes = b""
    _behaviour: Behaviour | None = None

    def __post_init__(self) -> None:
        self._demo = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_demo_upstream_app()),
            base_url="http://demo.test",
        )

    def behave(self) -> None:
        """Answer as the demo site does."""
        self._behaviour = None

    def answer_with(
        self, body: bytes, status: int = 200, *, content_encoding: str | None = None
    ) -> None:
        """Answer every request with `body` (JSON, encoded as `content_encoding` says)."""

        async def fixed(_: bytes, writer: Writer) -> None:
            writer.write(_response(status, body, content_encoding=content_encoding))
            await writer.drain()

        self._behaviour = fixed

    def echo_in_errors(self) -> None:
        """Answer GraphQL errors that quote the request: its body and its credential headers."""

        async def echo(body: bytes, writer: Writer) -> None:
            lines = self.last_head.decode("latin-1").split("\r\n")[1:]
            credentials = [
                f"bad header {line}"
                for line in lines
                if line.partition(":")[0].lower() in {"cookie", "authorization"}
            ]
            errors = [{"message": f"cannot use {body.decode()}"}]
            errors.extend({"message": message} for message in credentials)
            writer.write(_response(200, orjson.dumps({"data": None, "errors": errors})))
            await writer.drain()

        self._behaviour = echo

    def drip(self, *, every: float, length: int = 100_000) -> None:
        """Send the headers of a `length`-byte answer at once, then one byte every `every` s."""

        async def dripping(_request: bytes, writer: Writer) -> None:
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                b"content-length: %d\r\n\r\n{" % length
            )
            await writer.drain()
            for _ in range(length - 1):
                await asyncio.sleep(every)
                writer.write(b" ")
                await writer.drain()

        self._behaviour = dripping

    async def handle(self, reader: asyncio.StreamReader, writer: Writer) -> None:
        self.open_connections += 1
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            self.last_head = head
            length = 0
            for line in head.split(b"\r\n"):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            body = await reader.readexactly(length)
            self.requests += 1
            if self._behaviour is not None:
                await self._behaviour(body, writer)
            else:
                answer = await self._demo.post("/graphql", content=body, headers=_JSON)
                writer.write(_response(answer.status_code, answer.content))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the client went away, which is what a deadline does
        finally:
            self.open_connections -= 1
            writer.close()

    async def aclose(self) -> None:
        await self._demo.aclose()


_JSON = {"content-type": "application/json"}


@contextlib.asynccontextmanager
async def misbehaving_site() -> AsyncIterator[MisbehavingSite]:
    """Serve a `MisbehavingSite` on 127.0.0.1 (port chosen by the kernel) for the block."""
    site = MisbehavingSite()
    handlers: set[asyncio.Task[None]] = set()

    def accept(reader: asyncio.StreamReader, writer: Writer) -> None:
        task = asyncio.ensure_future(site.handle(reader, writer))
        handlers.add(task)
        task.add_done_callback(handlers.discard)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    site.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/graphql"
    try:
        yield site
    finally:
        server.close()
        for task in list(handlers):
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)
        await site.aclose()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.wait_closed(), 1)


class FaultySite(httpx.AsyncBaseTransport):
    """The demo site (in-process, real Strawberry), unless a fault is switched in.

    `requests` counts every request that reached the site, faulty or not; `asked` lists the ids
    of each users request.
    """

    def __init__(self) -> None:
        self.site = httpx.ASGITransport(app=create_demo_upstream_app())
        self.fault: Fault | None = None
        self.requests = 0
        self.asked: list[list[str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        body = orjson.loads(request.content)
        ids = (body.get("variables") or {}).get("ids")
        if isinstance(ids, list):
            self.asked.append([str(i) for i in ids])
        if self.fault is not None:
            return self.fault(request)
        return await self.site.handle_async_request(request)

    async def aclose(self) -> None:
        await self.site.aclose()


@contextlib.asynccontextmanager
async def slow_server(delay: float) -> AsyncIterator[str]:
    """A loopback HTTP server that reads a request and answers only after `delay` seconds."""

    handlers: set[asyncio.Task[None]] = set()

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.read(65536)
            await asyncio.sleep(delay)
            body = b'{"data":{"users":[]}}'
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                b"content-length: %d\r\n\r\n%s" % (len(body), body)
            )
            await writer.drain()
        finally:
            writer.close()

    def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.ensure_future(answer(reader, writer))
        handlers.add(task)
        task.add_done_callback(handlers.discard)

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/graphql"
    finally:
        server.close()
        for task in list(handlers):
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.wait_closed(), 1)

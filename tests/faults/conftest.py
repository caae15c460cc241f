"""Fault injection: the real demo upstream in-process, with faults switched in on demand."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import httpx
import orjson
import pytest

from adapter.config import Settings
from adapter.demo import create_demo_upstream_app
from tests.cache.conftest import private_redis
from tests.conftest import SettingsFactory, deep_merge

__all__ = [
    "FaultySite",
    "assert_error_shape",
    "fault_settings",
    "private_redis",
    "slow_server",
]

SITE_URL = "http://site.test/graphql"
Fault = Callable[[httpx.Request], httpx.Response]


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


@pytest.fixture
def fault_settings(make_settings: SettingsFactory) -> Callable[..., Settings]:
    """Settings for a site at SITE_URL: no retry waits, short timeouts, memory cache."""

    def build(overrides: Mapping[str, Any] | None = None) -> Settings:
        base = {
            "upstream": {
                "embedded_demo": False,
                "url": SITE_URL,
                "timeouts": {"connect": 0.5, "read": 0.3, "write": 0.5, "pool": 0.5},
                "retry": {"backoff_initial": 0, "backoff_max": 0},
            },
            "cache": {"backend": "memory"},
        }
        return make_settings(deep_merge(base, overrides or {}))

    return build


def assert_error_shape(response: httpx.Response, status: int) -> dict[str, Any]:
    """The chat's JSON error shape with `status`, and nothing that looks like a traceback."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert set(body) == {"code", "version", "error", "debug"}
    assert body["code"] == status
    assert body["version"] == 1
    assert isinstance(body["error"], str)
    assert body["error"]
    assert body["debug"] == ""
    assert "Traceback" not in response.text
    assert 'File "' not in response.text
    return body


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

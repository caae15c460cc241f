"""Helpers for directory tests: a movable clock, the demo's asked-ids counter, a Directory,
a site held at the door and a cache that watches its locks."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import httpx

from adapter.cache import Cache
from adapter.config import Settings
from adapter.directory import Directory
from adapter.runtime import open_runtime, prepare_runtime
from tests.caches import DelegatingCache
from tests.servers import DemoUpstream

__all__ = ["Clock", "GatedTransport", "LockWatch", "asked", "open_directory"]


@dataclass
class Clock:
    """Wall-clock seconds that move only when the test says so."""

    now: float = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def asked(upstream: DemoUpstream) -> Counter[str]:
    """How often the demo upstream was asked for each user id since its last reset."""
    return Counter(httpx.get(f"{upstream.base_url}/stats/ids").json()["user_ids"])


class GatedTransport(httpx.AsyncBaseTransport):
    """The real HTTP transport, held at the door until the test opens it (a slow site)."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.entered = asyncio.Event()
        self.second = asyncio.Event()
        self.gate = asyncio.Event()
        self.requests = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        (self.entered if self.requests == 1 else self.second).set()
        await self.gate.wait()
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


class LockWatch(DelegatingCache):
    """A cache that tells the test when a lock was refused (another replica holds it)."""

    def __init__(self, inner: Cache) -> None:
        super().__init__(inner)
        self.refused = asyncio.Event()

    async def acquire_lock(self, key: str, ttl_seconds: float) -> bool:
        taken = await self.inner.acquire_lock(key, ttl_seconds)
        if not taken:
            self.refused.set()
        return taken


@contextlib.asynccontextmanager
async def open_directory(
    settings: Settings,
    *,
    cache: Cache | None = None,
    clock: Callable[[], float] = time.time,
    transport: httpx.AsyncBaseTransport | None = None,
) -> AsyncIterator[Directory]:
    """A Directory as the app opens it (the runtime: configured cache, own metrics), closed
    afterwards with the `transport` given, which the test hands over; a `cache` given stays
    the test's."""
    async with contextlib.AsyncExitStack() as stack:
        if transport is not None:
            stack.push_async_callback(transport.aclose)
        runtime = await stack.enter_async_context(
            open_runtime(
                prepare_runtime(settings), upstream_transport=transport, cache=cache, clock=clock
            )
        )
        yield runtime.directory

"""Helpers for directory tests: a movable clock, the demo's asked-ids counter, a Directory."""

from __future__ import annotations

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
from tests.conftest import DemoUpstream

__all__ = ["Clock", "RedisSettingsFactory", "asked", "open_directory"]

RedisSettingsFactory = Callable[..., Settings]


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

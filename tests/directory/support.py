"""Helpers for directory tests: a movable clock, the demo's asked-ids counter, a Directory."""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import httpx

from adapter.cache import Cache, build_cache
from adapter.config import Settings
from adapter.directory import Directory
from adapter.metrics import Metrics
from adapter.operations import build_operations
from adapter.upstream import UpstreamClient
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
    """A Directory as the app builds it (configured cache, own metrics), closed afterwards."""
    metrics = Metrics()
    upstream = UpstreamClient(settings.upstream, metrics=metrics, transport=transport)
    profiles = cache if cache is not None else build_cache(settings.cache, metrics)
    directory = Directory(
        settings=settings,
        operations=build_operations(settings),
        upstream=upstream,
        cache=profiles,
        metrics=metrics,
        clock=clock,
    )
    try:
        yield directory
    finally:
        await directory.aclose()
        await upstream.aclose()
        if cache is None:
            await profiles.aclose()

"""The chunk lock across replicas: taken once per chunk fetched, and released exactly once."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from adapter.cache import MemoryCache, encode_entry
from adapter.errors import UpstreamError, UpstreamUnavailable
from tests.directory.support import Clock, GatedTransport, open_directory
from tests.servers import DemoUpstream
from tests.support import SettingsFactory


class CountedLocks(MemoryCache):
    """A memory cache that records every lock taken and given back."""

    def __init__(self, *, refuse: bool = False) -> None:
        super().__init__(max_entries=100)
        self.refuse = refuse
        self.acquired: list[str] = []
        self.released: list[str] = []

    async def acquire_lock(self, key: str, ttl_seconds: float) -> bool:
        if self.refuse:
            return False
        self.acquired.append(key)
        return await super().acquire_lock(key, ttl_seconds)

    async def release_lock(self, key: str) -> None:
        self.released.append(key)
        await super().release_lock(key)


class FilledWhileLocking(CountedLocks):
    """Another replica's copy of the chunk lands just before this replica takes the lock."""

    def __init__(self) -> None:
        super().__init__()
        self.meanwhile: dict[str, bytes] = {}

    async def acquire_lock(self, key: str, ttl_seconds: float) -> bool:
        await self.set_many(self.meanwhile, 60)
        return await super().acquire_lock(key, ttl_seconds)


def _site_down(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("refused", request=request)


async def test_the_lock_is_released_once_after_a_fetch(
    redis_settings: SettingsFactory, demo_upstream: DemoUpstream
) -> None:
    """A fetched chunk gives its lock back once, after storing what it fetched."""
    cache = CountedLocks()
    settings = redis_settings({"cache": {"lock_seconds": 30}})
    async with open_directory(settings, cache=cache) as directory:
        assert len(await directory.lookup([1, 2])) == 2
    assert len(cache.acquired) == 1
    assert cache.released == cache.acquired
    assert demo_upstream.requests() == 1


async def test_the_lock_is_released_once_when_the_site_fails(
    redis_settings: SettingsFactory,
) -> None:
    """A chunk whose fetch fails still gives its lock back, once."""
    cache = CountedLocks()
    settings = redis_settings({"cache": {"lock_seconds": 30}})
    transport = httpx.MockTransport(_site_down)
    async with open_directory(settings, cache=cache, transport=transport) as directory:
        with pytest.raises(UpstreamError):
            await directory.lookup([1])
    assert len(cache.acquired) == 1
    assert cache.released == cache.acquired


async def test_the_lock_is_released_once_when_the_fetch_is_cancelled(
    redis_settings: SettingsFactory,
) -> None:
    """A fetch cancelled at shutdown while it holds the lock gives it back, once."""
    cache = CountedLocks()
    settings = redis_settings({"cache": {"lock_seconds": 30}})
    gated = GatedTransport()
    async with open_directory(settings, cache=cache, transport=gated) as directory:
        waiting = asyncio.create_task(directory.lookup([1]))
        await gated.entered.wait()
        assert cache.released == []
        await directory.aclose()
        with pytest.raises(UpstreamUnavailable, match="cancelled"):
            await waiting
    assert len(cache.acquired) == 1
    assert cache.released == cache.acquired


async def test_the_lock_is_released_once_when_another_replica_filled_the_chunk(
    redis_settings: SettingsFactory, demo_upstream: DemoUpstream
) -> None:
    """A chunk found filled after taking the lock is not fetched, and the lock goes back once."""
    clock = Clock()
    cache = FilledWhileLocking()
    settings = redis_settings({"cache": {"lock_seconds": 30}})
    async with open_directory(settings, cache=cache, clock=clock) as directory:
        profile = b'{"user_id":1,"name":"One"}'
        cache.meanwhile[directory.key(1)] = encode_entry(profile, clock.now + 60)
        assert await directory.lookup([1]) == [profile]
    assert demo_upstream.requests() == 0
    assert len(cache.acquired) == 1
    assert cache.released == cache.acquired


async def test_a_lock_held_elsewhere_is_never_released_here(
    redis_settings: SettingsFactory, demo_upstream: DemoUpstream
) -> None:
    """A replica refused the lock waits for the holder, then fetches without releasing its lock."""
    cache = CountedLocks(refuse=True)
    settings = redis_settings({"cache": {"lock_seconds": 0.2}})
    async with open_directory(settings, cache=cache) as directory:
        assert len(await directory.lookup([1])) == 1
    assert cache.released == []
    assert demo_upstream.requests() == 1


async def test_the_same_ids_in_another_order_share_one_lock_across_replicas(
    redis_settings: SettingsFactory, demo_upstream: DemoUpstream
) -> None:
    """Three replicas asked for the same 100 cold ids in three orders ask the site once: the
    chunks and their lock are named by the sorted ids."""
    settings = redis_settings({"cache": {"lock_seconds": 30, "local_max_entries": 0}})
    ids = list(range(1, 101))
    gated = GatedTransport()
    async with (
        open_directory(settings, transport=gated) as first,
        open_directory(settings) as second,
        open_directory(settings) as third,
    ):
        holding = asyncio.create_task(first.lookup(ids))
        await gated.entered.wait()  # the first replica holds the lock and asks the site
        waiting = [
            asyncio.create_task(second.lookup(ids[::-1])),
            asyncio.create_task(third.lookup(ids[50:] + ids[:50])),
        ]
        await asyncio.sleep(0.2)  # both have met the lock by now (or asked the site)
        gated.gate.set()
        answers = await asyncio.gather(holding, *waiting)
    assert [len(answer) for answer in answers] == [len(answers[0])] * 3
    assert len(answers[0]) > 0
    assert demo_upstream.requests() == 1

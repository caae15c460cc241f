"""The cache policies, counted against the demo upstream process and the real Redis."""

from __future__ import annotations

import asyncio
import contextlib

import orjson
import redis

from adapter.cache import EVICTED, build_cache
from adapter.directory import fingerprint
from adapter.metrics import Metrics
from adapter.operations import build_operations
from tests.directory.support import Clock, GatedTransport, LockWatch, asked, open_directory
from tests.servers import DemoUpstream
from tests.support import SettingsFactory, sample

FRESH, STALE, NEGATIVE = 300, 3300, 60


def _ids(profiles: list[bytes]) -> list[int]:
    return [orjson.loads(profile)["user_id"] for profile in profiles]


async def test_unknown_ids_are_remembered_for_the_negative_ttl(
    redis_settings: SettingsFactory, demo_upstream: DemoUpstream
) -> None:
    """An unknown id costs one upstream request per negative TTL, not one per call."""
    clock = Clock()
    settings = redis_settings({"cache": {"negative_seconds": NEGATIVE}})
    async with open_directory(settings, clock=clock) as directory:
        assert _ids(await directory.lookup([1, 999999])) == [1]
        assert _ids(await directory.lookup([1, 999999])) == [1]
        assert demo_upstream.requests() == 1
        assert sample(directory.metrics, "adapter_cache_requests_total", result="negative") == 1

        demo_upstream.reset()
        clock.advance(NEGATIVE + 1)
        assert _ids(await directory.lookup([1, 999999])) == [1]
    assert asked(demo_upstream) == {"999999": 1}  # user 1 was still fresh


async def test_a_remembered_warm_answer_holds_only_after_the_feeds_stale_mark(
    redis_settings: SettingsFactory, demo_upstream: DemoUpstream
) -> None:
    """A list answered warm (a profile and an unknown id, counted as a hit and a negative) is
    asked of the site again once the change feed marks copies before now as stale."""
    clock = Clock()
    settings = redis_settings({"cache": {"negative_seconds": NEGATIVE}})
    async with open_directory(settings, clock=clock) as directory:
        await directory.lookup([1, 999999])
        for _ in range(2):
            assert _ids(await directory.lookup([1, 999999])) == [1]
        assert demo_upstream.requests() == 1
        assert sample(directory.metrics, "adapter_cache_requests_total", result="hit") == 2
        assert sample(directory.metrics, "adapter_cache_requests_total", result="negative") == 2

        demo_upstream.reset()
        clock.advance(1)
        directory.stale_before = clock()
        assert _ids(await directory.lookup([1, 999999])) == [1]
    assert asked(demo_upstream) == {"1": 1, "999999": 1}


async def test_stale_entries_are_served_at_once_and_refreshed_in_the_background(
    redis_settings: SettingsFactory, demo_upstream: DemoUpstream
) -> None:
    """Past the fresh TTL a profile is served as is and one background request refreshes it."""
    clock = Clock()
    settings = redis_settings({"cache": {"fresh_seconds": FRESH, "stale_seconds": STALE}})
    async with open_directory(settings, clock=clock) as directory:
        await directory.lookup([1, 2, 3])
        demo_upstream.reset()
        clock.advance(FRESH + 1)

        assert _ids(await directory.lookup([1, 2, 3])) == [1, 2, 3]
        await directory.idle()
        assert demo_upstream.requests() == 1
        assert asked(demo_upstream) == {"1": 1, "2": 1, "3": 1}

        assert _ids(await directory.lookup([1, 2, 3])) == [1, 2, 3]
        await directory.idle()
        assert demo_upstream.requests() == 1  # fresh again after the refresh
    assert (
        sample(directory.metrics, "adapter_cache_requests_total", result="stale"),
        sample(directory.metrics, "adapter_cache_requests_total", result="hit"),
    ) == (3, 3)


def test_fingerprint_changes_when_the_mapping_or_document_changes(
    make_settings: SettingsFactory,
) -> None:
    """Same configuration, same fingerprint; another mapping or users document, another one."""
    base = make_settings()
    renamed = make_settings({"mapping": {"fields": {"name": "username"}}})
    alias = make_settings(
        {
            "upstream": {
                "batch": {"strategy": "alias"},
                "operations": {"users": {"document": "resolvers/user_by_id.graphql"}},
            }
        }
    )
    prints = [fingerprint(s, build_operations(s)) for s in (base, make_settings(), renamed, alias)]
    assert prints[0] == prints[1]
    assert len({prints[0], prints[2], prints[3]}) == 3


async def test_a_changed_mapping_never_reads_entries_of_the_old_one(
    redis_settings: SettingsFactory, demo_upstream: DemoUpstream
) -> None:
    """After a mapping change the same Redis holds the old shape, but it is not served."""
    before = redis_settings()
    after = redis_settings({"mapping": {"fields": {"name": "username"}}})
    async with open_directory(before) as directory:
        old = await directory.lookup([1])
    async with open_directory(after) as directory:
        new = await directory.lookup([1])
    assert demo_upstream.requests() == 2
    assert orjson.loads(old[0])["name"] != orjson.loads(new[0])["name"] == "user1"


async def test_the_local_layer_answers_hot_ids_without_redis_until_invalidated(
    redis_settings: SettingsFactory, demo_upstream: DemoUpstream, redis_url: str
) -> None:
    """With the in-process layer on, a hot id is served locally; invalidate clears every layer."""
    settings = redis_settings({"cache": {"local_max_entries": 100, "local_seconds": 60}})
    async with open_directory(settings) as directory:
        await directory.lookup([1, 2])
        shared = redis.Redis.from_url(redis_url)
        try:
            shared.delete(directory.key(1), directory.key(2))  # as another replica might
        finally:
            shared.close()
        assert _ids(await directory.lookup([1, 2])) == [1, 2]
        assert demo_upstream.requests() == 1  # the local copies answered

        await directory.invalidate([2])
        assert _ids(await directory.lookup([1, 2])) == [1, 2]
    assert demo_upstream.requests() == 2
    assert asked(demo_upstream) == {"1": 1, "2": 2}


async def test_two_replicas_sharing_redis_refill_a_chunk_once(
    redis_settings: SettingsFactory, demo_upstream: DemoUpstream
) -> None:
    """With chunk locks on, a replica that finds the chunk locked waits for the other's fill."""
    settings = redis_settings({"cache": {"lock_seconds": 30}})
    gated = GatedTransport()
    async with (
        contextlib.aclosing(LockWatch(build_cache(settings.cache, Metrics()))) as watch,
        open_directory(settings, transport=gated) as first,
        open_directory(settings, cache=watch) as second_plain,
    ):
        ids = list(range(1, 11))
        first_call = asyncio.create_task(first.lookup(ids))
        await gated.entered.wait()  # the first replica holds the lock and is at the site
        second_call = asyncio.create_task(second_plain.lookup(ids))
        await watch.refused.wait()  # the second found the chunk locked
        gated.gate.set()
        answers = await asyncio.gather(first_call, second_call)
    assert [_ids(answer) for answer in answers] == [ids, ids]
    assert demo_upstream.requests() == 1


async def test_an_invalidation_during_a_fetch_keeps_its_copy_out_of_the_cache(
    redis_settings: SettingsFactory, demo_upstream: DemoUpstream
) -> None:
    """A fetch that began before an eviction does not write back, and is not joined afterwards."""
    gated = GatedTransport()
    settings = redis_settings()
    async with (
        contextlib.aclosing(build_cache(settings.cache, Metrics())) as cache,
        open_directory(settings, transport=gated, cache=cache) as directory,
    ):
        started = asyncio.create_task(directory.lookup([1, 2]))
        await gated.entered.wait()
        await directory.invalidate([1])
        again = asyncio.create_task(directory.lookup([1]))
        await gated.second.wait()  # the second look-up started a fetch of its own
        gated.gate.set()
        assert _ids(await started) == [1, 2]
        assert _ids(await again) == [1]
        stored = await cache.get_many([directory.key(1), directory.key(2)])
    assert all(value is not None for value in stored)
    assert asked(demo_upstream) == {"1": 2, "2": 1}


async def test_an_invalidation_during_a_fetch_alone_leaves_the_id_uncached(
    redis_settings: SettingsFactory,
) -> None:
    """Without a later look-up, the evicted id stays out of Redis (its eviction marker stays)
    after the older fetch ends."""
    gated = GatedTransport()
    settings = redis_settings()
    async with (
        contextlib.aclosing(build_cache(settings.cache, Metrics())) as cache,
        open_directory(settings, transport=gated, cache=cache) as directory,
    ):
        started = asyncio.create_task(directory.lookup([1, 2]))
        await gated.entered.wait()
        await directory.invalidate([1])
        gated.gate.set()
        assert _ids(await started) == [1, 2]
        stored = await cache.get_many([directory.key(1), directory.key(2)])
    assert stored[0] is not None
    assert stored[0].startswith(EVICTED)
    assert stored[1] is not None

"""Redis Cluster: multi-key reads, writes and deletes across hash slots on a real 3-node cluster."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import SecretStr

from adapter.app import create_app
from adapter.cache import EVICTED
from adapter.cache.redis import RedisClusterCache
from adapter.config import RedisSettings, Settings
from tests.directory.support import asked, open_directory
from tests.servers import DemoUpstream, stop_process
from tests.support import SettingsFactory, asgi_client, sample

pytestmark = pytest.mark.slow  # starts and joins three redis-server processes


def cluster_settings(
    make_settings: SettingsFactory, demo: DemoUpstream, cluster_url: str, **redis: Any
) -> Settings:
    """The reference settings on the demo upstream process and the cluster, keys of their own."""
    return make_settings(
        {
            "upstream": {"embedded_demo": False, "url": demo.graphql_url},
            "cache": {
                "backend": "redis-cluster",
                "prefix": f"imbachat-test:{uuid.uuid4().hex[:12]}:",
                "redis": {"url": cluster_url, **redis},
            },
        }
    )


@pytest.fixture
async def cluster(redis_cluster: str) -> AsyncIterator[RedisClusterCache]:
    """The cluster backend, connected through one node."""
    backend = RedisClusterCache.from_settings(RedisSettings(url=SecretStr(redis_cluster)))
    yield backend
    await backend.aclose()


async def test_multi_key_reads_writes_and_deletes_span_every_node(
    cluster: RedisClusterCache,
) -> None:
    """Keys on all three nodes are written, read in order and deleted in one call each."""
    prefix = f"imbachat-test:{uuid.uuid4().hex[:12]}:"
    keys = [f"{prefix}u:{i}" for i in range(30)]
    await cluster.ping()
    nodes = {getattr(cluster.client.get_node_from_key(key), "name", None) for key in keys}
    assert len(nodes) == 3
    await cluster.set_many({key: key.encode() for key in keys[:20]}, 60)
    assert await cluster.get_many(keys) == [key.encode() for key in keys[:20]] + [None] * 10
    await cluster.delete_many(keys[:10])
    values = await cluster.get_many(keys[:20])
    assert [value[:1] for value in values[:10] if value is not None] == [EVICTED] * 10
    assert values[10:] == [k.encode() for k in keys[10:20]]
    seen = dict(zip(keys, await cluster.get_many(keys), strict=True))
    await cluster.delete_many(keys[10:15])
    stored = await cluster.replace_many(dict.fromkeys(keys, b"new"), seen, 60)
    assert sorted(stored) == sorted(keys[:10] + keys[15:])
    await cluster.delete_many(keys)
    assert await cluster.get_many([]) == []
    await cluster.set_many({}, 60)
    await cluster.delete_many([])


async def test_cluster_locks_are_exclusive_and_released_by_their_holder(
    cluster: RedisClusterCache, redis_cluster: str
) -> None:
    """A chunk lock on the cluster refuses a second holder until released."""
    other = RedisClusterCache.from_settings(RedisSettings(url=SecretStr(redis_cluster)))
    key = f"imbachat-test:{uuid.uuid4().hex[:12]}:lock"
    try:
        assert await cluster.acquire_lock(key, 30)
        assert not await other.acquire_lock(key, 30)
        await cluster.release_lock(key)
        assert await other.acquire_lock(key, 30)
        await other.release_lock(key)
    finally:
        await other.aclose()


async def test_the_directory_on_a_cluster_reads_50_ids_across_slots_in_one_call(
    make_settings: SettingsFactory, demo_upstream: DemoUpstream, redis_cluster: str
) -> None:
    """Through redis-cluster, 50 ids cost one upstream request, then none, then only the evicted."""
    settings = cluster_settings(make_settings, demo_upstream, redis_cluster)
    ids = list(range(1, 51))
    async with open_directory(settings) as directory:
        assert len(await directory.lookup(ids)) == 50
        assert len(await directory.lookup(ids)) == 50
        assert demo_upstream.requests() == 1
        await directory.invalidate([3, 40])
        assert len(await directory.lookup(ids)) == 50
        await directory.invalidate(ids)
    assert demo_upstream.requests() == 2
    assert asked(demo_upstream)["3"] == asked(demo_upstream)["40"] == 2
    assert sum(asked(demo_upstream).values()) == 52


async def test_a_warm_burst_larger_than_the_pool_is_answered_from_the_cluster(
    make_settings: SettingsFactory, demo_upstream: DemoUpstream, redis_cluster: str
) -> None:
    """200 concurrent look-ups on 4 connections per node wait their turn, never failing open."""
    settings = cluster_settings(
        make_settings, demo_upstream, redis_cluster, max_connections=4, socket_timeout=5
    )
    ids = list(range(1, 21))
    async with open_directory(settings) as directory:
        await directory.lookup(ids)
        demo_upstream.reset()
        answers = await asyncio.gather(*(directory.lookup(ids) for _ in range(200)))
        await directory.invalidate(ids)
    assert all(len(answer) == 20 for answer in answers)
    assert demo_upstream.requests() == 0
    assert sample(directory.metrics, "adapter_cache_errors_total", operation="get") == 0


async def test_readyz_says_degraded_when_one_cluster_node_is_down(
    make_settings: SettingsFactory,
    demo_upstream: DemoUpstream,
    private_redis_cluster: tuple[str, list[subprocess.Popen[bytes]]],
) -> None:
    """Every primary is pinged: with one of three nodes stopped the cache is degraded."""
    url, nodes = private_redis_cluster
    settings = cluster_settings(make_settings, demo_upstream, url)
    async with asgi_client(create_app(settings)) as client:
        assert (await client.get("/readyz")).json()["checks"]["cache"] == "ok"
        stop_process(nodes[-1])
        for _ in range(5):  # whichever node a ping would pick
            assert (await client.get("/readyz")).json()["checks"]["cache"] == "degraded"

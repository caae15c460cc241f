"""`build_cache`: the configured backend, guarded, with the optional local layer in front."""

from __future__ import annotations

from pydantic import SecretStr

from adapter.cache import FailOpenCache, MemoryCache, SyncedLocalCache, build_cache
from adapter.cache.redis import RedisCache, RedisClusterCache
from adapter.config import CacheSettings, RedisSettings
from adapter.metrics import Metrics


async def test_each_backend_is_built_as_configured() -> None:
    """memory is bare; redis and redis-cluster are guarded; a local layer goes in front."""
    redis = RedisSettings(url=SecretStr("redis://127.0.0.1:1/0"))
    memory = build_cache(CacheSettings(backend="memory", local_max_entries=10), Metrics())
    assert isinstance(memory, MemoryCache)
    single = build_cache(
        CacheSettings(backend="redis", redis=redis, local_max_entries=0), Metrics()
    )
    assert isinstance(single, FailOpenCache)
    assert isinstance(single.backend, RedisCache)
    cluster = build_cache(
        CacheSettings(backend="redis-cluster", redis=redis, local_max_entries=0), Metrics()
    )
    assert isinstance(cluster, FailOpenCache)
    assert isinstance(cluster.backend, RedisClusterCache)
    layered = build_cache(
        CacheSettings(backend="redis", redis=redis, local_max_entries=10), Metrics()
    )
    assert isinstance(layered, SyncedLocalCache)
    assert layered.channel is not None
    assert isinstance(layered.shared, FailOpenCache)
    for cache in (memory, single, cluster, layered):
        await cache.aclose()

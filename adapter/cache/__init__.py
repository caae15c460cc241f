"""The profile cache: one small interface, three backends, and a fail-open guard.

`build_cache` returns what the directory uses: the configured backend wrapped so that a failing
backend counts as a miss (`FailOpenCache`), with an in-process layer in front for the hottest
ids (`SyncedLocalCache`, kept true across replicas by `cache/invalidation.py`).
"""

from __future__ import annotations

from adapter.cache.base import Cache
from adapter.cache.entries import EVICTED, Entry, EntryMemo, decode_entry, encode_entry
from adapter.cache.guard import FailOpenCache
from adapter.cache.invalidation import SyncedLocalCache, synced_cache
from adapter.cache.memory import MemoryCache
from adapter.config import CacheSettings
from adapter.metrics import Metrics

__all__ = [
    "EVICTED",
    "Cache",
    "Entry",
    "EntryMemo",
    "FailOpenCache",
    "MemoryCache",
    "SyncedLocalCache",
    "build_cache",
    "decode_entry",
    "encode_entry",
]


def build_cache(settings: CacheSettings, metrics: Metrics) -> Cache:
    """The configured backend, guarded, with the optional in-process layer in front."""
    if settings.backend == "memory":
        return MemoryCache(max_entries=settings.memory_max_entries)
    from adapter.cache.redis import RedisCache, RedisClusterCache

    kind = RedisCache if settings.backend == "redis" else RedisClusterCache
    guarded: Cache = FailOpenCache(
        kind.from_settings(settings.redis),
        metrics=metrics,
        log_interval=settings.error_log_interval_seconds,
        pause_after_error=settings.retry_after_error_seconds,
    )
    if settings.local_max_entries:
        return synced_cache(settings, guarded, metrics)
    return guarded

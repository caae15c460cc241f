"""FailOpenCache (a failing backend never fails a request) and the local layer in front."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest
from structlog.testing import capture_logs

from adapter.cache import FailOpenCache, MemoryCache, SyncedLocalCache
from adapter.errors import CacheError
from adapter.metrics import Metrics
from tests.support import sample


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Flaky(MemoryCache):
    """A memory backend that raises while `down` is set (an injected fault), counting calls."""

    def __init__(self) -> None:
        super().__init__(max_entries=100)
        self.down = False
        self.calls = 0

    def _check(self) -> None:
        self.calls += 1
        if self.down:
            raise ConnectionError("Redis went away")

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        self._check()
        return await super().get_many(keys)

    async def set_many(self, items: Mapping[str, bytes], ttl_seconds: float) -> None:
        self._check()
        await super().set_many(items, ttl_seconds)

    async def delete_many(self, keys: Sequence[str]) -> None:
        self._check()
        await super().delete_many(keys)

    async def acquire_lock(self, key: str, ttl_seconds: float) -> bool:
        self._check()
        return await super().acquire_lock(key, ttl_seconds)

    async def ping(self) -> None:
        self._check()


def _guarded(backend: Flaky, ticks: Ticks, metrics: Metrics) -> FailOpenCache:
    return FailOpenCache(
        backend, metrics=metrics, log_interval=30, pause_after_error=2, clock=ticks
    )


async def test_failures_become_misses_logged_once_per_interval() -> None:
    """A down backend reads as empty, writes are skipped, and one warning comes per interval."""
    ticks, metrics, backend = Ticks(), Metrics(), Flaky()
    cache = _guarded(backend, ticks, metrics)
    await cache.set_many({"a": b"1"}, 60)
    backend.down = True
    with capture_logs() as logs:
        for _ in range(5):
            assert await cache.get_many(["a"]) == [None]
            await cache.set_many({"b": b"2"}, 60)
            assert await cache.acquire_lock("l", 1)  # no lock service: everyone refills
            await cache.release_lock("l")
            ticks.now += 2  # each round outlasts the pause, so the backend is tried again
        ticks.now += 30
        assert await cache.get_many(["a"]) == [None]
    assert [entry["event"] for entry in logs] == ["cache_unavailable", "cache_unavailable"]
    # In each round only the read reached the backend: the write and lock after it were paused.
    assert logs[1]["failures_since_last_log"] == 4
    assert sample(metrics, "adapter_cache_errors_total", operation="get") == 6
    assert sample(metrics, "adapter_cache_errors_total", operation="set") == 0


async def test_after_a_failure_the_backend_is_left_alone_for_the_pause() -> None:
    """Within the pause no call reaches the backend; after it the backend is tried again."""
    ticks, metrics, backend = Ticks(), Metrics(), Flaky()
    cache = _guarded(backend, ticks, metrics)
    backend.down = True
    await cache.get_many(["a"])
    calls = backend.calls
    for _ in range(10):
        assert await cache.get_many(["a"]) == [None]
    assert backend.calls == calls
    assert not cache.healthy
    ticks.now += 2
    await cache.get_many(["a"])
    assert backend.calls == calls + 1


async def test_the_backend_is_used_again_when_it_recovers() -> None:
    """Once the backend answers again, reads hit and the recovery is logged."""
    ticks, metrics, backend = Ticks(), Metrics(), Flaky()
    cache = _guarded(backend, ticks, metrics)
    backend.down = True
    await cache.set_many({"a": b"1"}, 60)
    backend.down = False
    ticks.now += 2
    with capture_logs() as logs:
        await cache.set_many({"a": b"1"}, 60)
        assert await cache.get_many(["a"]) == [b"1"]
    assert [entry["event"] for entry in logs] == ["cache_recovered"]
    assert cache.healthy


async def test_an_eviction_that_failed_or_was_skipped_raises() -> None:
    """Deletes do not fail open: a webhook must not report an eviction that did not happen."""
    ticks, metrics, backend = Ticks(), Metrics(), Flaky()
    cache = _guarded(backend, ticks, metrics)
    await cache.delete_many(["a"])
    backend.down = True
    with pytest.raises(CacheError):
        await cache.delete_many(["a"])
    calls = backend.calls
    with pytest.raises(CacheError):  # paused: tried anyway, and still not pretended done
        await cache.delete_many(["a"])
    assert backend.calls == calls + 1
    with pytest.raises(CacheError, match="does not answer"):
        await cache.ping()
    backend.down = False
    await cache.ping()
    await cache.aclose()


class Full(MemoryCache):
    """A backend that refuses writes and takes deletes (a full Redis under `noeviction`)."""

    def __init__(self) -> None:
        super().__init__(max_entries=100)
        self.full = False

    async def set_many(self, items: Mapping[str, bytes], ttl_seconds: float) -> None:
        if self.full:
            raise CacheError("OOM command not allowed when used memory > 'maxmemory'.")
        await super().set_many(items, ttl_seconds)

    async def acquire_lock(self, key: str, ttl_seconds: float) -> bool:
        if self.full:
            raise CacheError("OOM command not allowed when used memory > 'maxmemory'.")
        return await super().acquire_lock(key, ttl_seconds)


async def test_a_full_backend_still_evicts_and_pings_degraded_until_a_write_works() -> None:
    """A refused write pauses the cache, yet a delete is still made; ping reports the refusal
    until a write goes through again."""
    ticks, metrics, backend = Ticks(), Metrics(), Full()
    cache = FailOpenCache(
        backend, metrics=metrics, log_interval=30, pause_after_error=2, clock=ticks
    )
    await cache.set_many({"a": b"1"}, 60)
    await cache.ping()
    backend.full = True
    assert await cache.acquire_lock("nonce", 60)  # fails open, and pauses the cache
    assert not cache.healthy
    await cache.delete_many(["a"])
    assert await backend.get_many(["a"]) == [None]
    with pytest.raises(CacheError, match="refused the last write"):
        await cache.ping()
    ticks.now += 2
    backend.full = False
    await cache.set_many({"b": b"2"}, 60)
    await cache.ping()


async def test_the_local_layer_serves_hot_keys_and_refills_from_the_shared_one() -> None:
    """Reads try the local layer first; shared hits are copied there for `local_seconds`."""
    ticks = Ticks()
    local, shared = MemoryCache(max_entries=10, clock=ticks), Flaky()
    cache = SyncedLocalCache(local, shared, None, local_seconds=5, synced_seconds=300)
    await cache.set_many({"a": b"1"}, 60)
    await shared.set_many({"b": b"2"}, 60)
    calls = shared.calls
    assert await cache.get_many(["a"]) == [b"1"]
    assert shared.calls == calls  # the local copy answered
    assert await cache.get_many(["a", "b", "c"]) == [b"1", b"2", None]
    assert await local.get_many(["b"]) == [b"2"]
    ticks.now += 5  # local copies expire; the shared layer answers again
    assert await local.get_many(["a", "b"]) == [None, None]
    assert await cache.get_many(["a", "b"]) == [b"1", b"2"]


async def test_the_layers_delete_lock_ping_and_close_together() -> None:
    """Deletes clear both layers; locks, ping and close go to the shared layer."""
    local, shared = MemoryCache(max_entries=10), Flaky()
    cache = SyncedLocalCache(local, shared, None, local_seconds=5, synced_seconds=300)
    await cache.set_many({"a": b"1"}, 60)
    await cache.delete_many(["a"])
    assert await local.get_many(["a"]) == [None]
    assert await shared.get_many(["a"]) == [None]
    assert await cache.acquire_lock("l", 5)
    assert not await shared.acquire_lock("l", 5)
    await cache.release_lock("l")
    assert await shared.acquire_lock("l", 5)
    await cache.ping()
    await cache.aclose()

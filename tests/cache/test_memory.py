"""The in-process backend: bounded LRU with a time to live per entry, and short locks."""

from __future__ import annotations

from adapter.cache import MemoryCache


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_entries_expire_after_their_ttl() -> None:
    """An entry is there until its TTL has passed, then gone."""
    ticks = Ticks()
    cache = MemoryCache(max_entries=10, clock=ticks)
    await cache.set_many({"a": b"1", "b": b"2"}, 5)
    assert await cache.get_many(["a", "b", "c"]) == [b"1", b"2", None]
    ticks.now += 5
    assert await cache.get_many(["a", "b"]) == [None, None]
    assert len(cache) == 0


async def test_the_least_recently_used_entry_goes_first() -> None:
    """Past `max_entries`, the entry read or written longest ago is dropped."""
    cache = MemoryCache(max_entries=2)
    await cache.set_many({"a": b"1", "b": b"2"}, 60)
    await cache.get_many(["a"])
    await cache.set_many({"c": b"3"}, 60)
    assert await cache.get_many(["a", "b", "c"]) == [b"1", None, b"3"]


async def test_zero_ttl_writes_nothing_and_delete_forgets() -> None:
    """A TTL of zero stores nothing; delete removes present keys and ignores absent ones."""
    cache = MemoryCache(max_entries=10)
    await cache.set_many({"a": b"1"}, 0)
    assert await cache.get_many(["a"]) == [None]
    await cache.set_many({"a": b"1", "b": b"2"}, 60)
    await cache.delete_many(["a", "zzz"])
    assert await cache.get_many(["a", "b"]) == [None, b"2"]
    await cache.ping()
    await cache.aclose()
    assert len(cache) == 0


async def test_a_lock_is_exclusive_until_released_or_expired() -> None:
    """A second taker is refused while the lock is held, and served after release or expiry."""
    ticks = Ticks()
    cache = MemoryCache(max_entries=10, clock=ticks)
    assert await cache.acquire_lock("l", 5)
    assert not await cache.acquire_lock("l", 5)
    await cache.release_lock("l")
    assert await cache.acquire_lock("l", 5)
    ticks.now += 5
    assert await cache.acquire_lock("l", 5)
    assert await cache.acquire_lock("other", 5)

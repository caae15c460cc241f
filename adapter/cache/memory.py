"""A bounded in-process cache: least recently used entries go first, each with its own expiry."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence

__all__ = ["MemoryCache"]


class MemoryCache:
    """The default backend (no Redis needed) and the optional layer in front of Redis."""

    def __init__(self, *, max_entries: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_entries = max_entries
        self._clock = clock
        self._items: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._locks: dict[str, float] = {}

    def __len__(self) -> int:
        return len(self._items)

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        return self.read(keys)[0]

    def read(self, keys: Sequence[str]) -> tuple[list[bytes | None], list[str]]:
        """`get_many`'s values, and the keys it found nothing for (for a layer in front)."""
        now = self._clock()
        items = self._items
        # Bound once: the warm users-info call reads 20 keys per request through this loop.
        touch = items.move_to_end
        found: list[bytes | None] = []
        append = found.append
        missing: list[str] = []
        for key in keys:
            try:
                expires, value = items[key]
            except KeyError:
                missing.append(key)
                append(None)
                continue
            if now < expires:
                touch(key)
                append(value)
            else:
                del items[key]
                missing.append(key)
                append(None)
        return found, missing

    async def set_many(self, items: Mapping[str, bytes], ttl_seconds: float) -> None:
        if ttl_seconds <= 0:
            return
        expires = self._clock() + ttl_seconds
        for key, value in items.items():
            self._items[key] = (expires, value)
            self._items.move_to_end(key)
        while len(self._items) > self.max_entries:
            self._items.popitem(last=False)

    async def replace_many(
        self, items: Mapping[str, bytes], seen: Mapping[str, bytes | None], ttl_seconds: float
    ) -> list[str]:
        current = await self.get_many(list(items))
        unchanged = {
            key: value
            for (key, value), now in zip(items.items(), current, strict=True)
            if now == seen.get(key)
        }
        await self.set_many(unchanged, ttl_seconds)
        return list(unchanged)

    async def delete_many(self, keys: Sequence[str]) -> None:
        # One process: the directory itself keeps a fetch under way from writing back.
        self.forget(keys)

    def forget(self, keys: Sequence[str]) -> None:
        """`delete_many` for callers outside a coroutine (the invalidation channel)."""
        for key in keys:
            self._items.pop(key, None)

    def clear(self) -> None:
        """Forget every entry (locks stay)."""
        self._items.clear()

    async def acquire_lock(self, key: str, ttl_seconds: float) -> bool:
        # Locks live beside the entries (as in Redis) but are never evicted to make room.
        now = self._clock()
        held = self._locks.get(key)
        if held is not None and held > now:
            return False
        self._locks = {k: until for k, until in self._locks.items() if until > now}
        self._locks[key] = now + ttl_seconds
        return True

    async def release_lock(self, key: str) -> None:
        self._locks.pop(key, None)

    async def ping(self) -> None:
        return None

    async def aclose(self) -> None:
        self._items.clear()
        self._locks.clear()

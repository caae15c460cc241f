"""Cache test doubles: a base that forwards the whole Cache protocol, so a double overrides only
what it watches."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from adapter.cache import Cache

__all__ = ["DelegatingCache"]


class DelegatingCache:
    """Every Cache method forwarded to `inner`; subclasses override the calls they watch.

    tests/cache/test_doubles.py fails when the Cache protocol gains a method this base does not
    forward.
    """

    def __init__(self, inner: Cache) -> None:
        self.inner = inner

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        return await self.inner.get_many(keys)

    async def set_many(self, items: Mapping[str, bytes], ttl_seconds: float) -> None:
        return await self.inner.set_many(items, ttl_seconds)

    async def replace_many(
        self, items: Mapping[str, bytes], seen: Mapping[str, bytes | None], ttl_seconds: float
    ) -> list[str]:
        return await self.inner.replace_many(items, seen, ttl_seconds)

    async def delete_many(self, keys: Sequence[str]) -> None:
        return await self.inner.delete_many(keys)

    async def acquire_lock(self, key: str, ttl_seconds: float) -> bool:
        return await self.inner.acquire_lock(key, ttl_seconds)

    async def release_lock(self, key: str) -> None:
        return await self.inner.release_lock(key)

    async def ping(self) -> None:
        return await self.inner.ping()

    async def aclose(self) -> None:
        return await self.inner.aclose()

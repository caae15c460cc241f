"""Redis (one server or a Sentinel-less primary): one MGET per look-up, pipelined writes."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis, RedisCluster
from redis.asyncio.lock import Lock
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import LockError, ResponseError

from adapter.cache.entries import EVICTION_MARK_SECONDS, eviction_marker
from adapter.config import RedisSettings

__all__ = ["REPLACE_IF_UNCHANGED", "RedisCache", "TokenLocks", "client_options", "seen_digest"]

# KEYS: the keys; ARGV: the TTL in ms, then per key the SHA-1 of the value it must still hold
# ("" for none) and its new value. Returns the 1-based positions of the keys stored.
REPLACE_IF_UNCHANGED = """
local stored = {}
for i, key in ipairs(KEYS) do
  local current = redis.call('GET', key)
  local expected = ARGV[2 * i]
  local same
  if expected == '' then same = (current == false) else
    same = (current ~= false and redis.sha1hex(current) == expected) end
  if same then
    redis.call('SET', key, ARGV[2 * i + 1], 'PX', ARGV[1])
    stored[#stored + 1] = i
  end
end
return stored
"""
_EVICTION_MARK_MS = int(EVICTION_MARK_SECONDS * 1000)


def seen_digest(value: bytes | None) -> str:
    """What REPLACE_IF_UNCHANGED compares: the value's SHA-1, or "" for no value."""
    return "" if value is None else hashlib.sha1(value).hexdigest()  # noqa: S324 - a comparison, not security


def client_options(settings: RedisSettings) -> dict[str, Any]:
    """Connection options shared by the single-server and the cluster client.

    A password in the URL wins over `password` (redis-py applies the URL last).
    """
    password = settings.password.get_secret_value() if settings.password is not None else ""
    return {
        "password": password or None,
        "socket_timeout": settings.socket_timeout,
        "socket_connect_timeout": settings.connect_timeout,
        "max_connections": settings.max_connections,
        # No backoff: a command waits for Redis at most (1 + retries) socket timeouts.
        "retry": Retry(NoBackoff(), settings.retries),
    }


class TokenLocks:
    """Short non-blocking locks with a token per holder (redis-py's `Lock`).

    Releasing compares the token, so a lock that expired and was taken by another replica
    is never freed by mistake.
    """

    def __init__(self, client: Redis | RedisCluster) -> None:
        self.client = client
        self._held: dict[str, Lock] = {}

    async def acquire(self, key: str, ttl_seconds: float) -> bool:
        lock = self.client.lock(key, timeout=ttl_seconds, blocking=False, thread_local=False)
        if not await lock.acquire():
            return False
        self._held[key] = lock
        return True

    async def release(self, key: str) -> None:
        lock = self._held.pop(key, None)
        if lock is not None:
            with contextlib.suppress(LockError):  # it expired meanwhile: nothing of ours to free
                await lock.release()


class RedisCache:
    """A connection pool to one Redis server; `rediss://` URLs use TLS."""

    def __init__(self, client: Redis) -> None:
        self.client = client
        self._locks = TokenLocks(client)
        self._replace = client.register_script(REPLACE_IF_UNCHANGED)

    @classmethod
    def from_settings(cls, settings: RedisSettings) -> RedisCache:
        # Blocking: past `max_connections` a call waits (at most a socket timeout) for a free
        # connection; the default pool raises at once, and a burst of chat calls would turn
        # into cache errors and a stampede on the site.
        pool = BlockingConnectionPool.from_url(
            settings.url.get_secret_value(),
            timeout=settings.socket_timeout,
            health_check_interval=30,
            **client_options(settings),
        )
        return cls(Redis.from_pool(pool))

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        if not keys:
            return []
        values: list[bytes | None] = await self.client.mget(keys)  # type: ignore[assignment]  # decode_responses is off: bytes only
        return values

    async def set_many(self, items: Mapping[str, bytes], ttl_seconds: float) -> None:
        if not items or ttl_seconds <= 0:
            return
        milliseconds = max(1, int(ttl_seconds * 1000))
        async with self.client.pipeline(transaction=False) as pipe:
            for key, value in items.items():
                pipe.set(key, value, px=milliseconds)
            await pipe.execute()

    async def replace_many(
        self, items: Mapping[str, bytes], seen: Mapping[str, bytes | None], ttl_seconds: float
    ) -> list[str]:
        if not items or ttl_seconds <= 0:
            return []
        keys = list(items)
        args: list[bytes | str | int] = [max(1, int(ttl_seconds * 1000))]
        for key in keys:
            args += [seen_digest(seen.get(key)), items[key]]
        positions: list[int] = await self._replace(keys=keys, args=args)
        return [keys[position - 1] for position in positions]

    async def delete_many(self, keys: Sequence[str]) -> None:
        if not keys:
            return
        marker = eviction_marker()
        try:
            async with self.client.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.set(key, marker, px=_EVICTION_MARK_MS)
                await pipe.execute()
        except ResponseError:
            # Refused (a full Redis under noeviction): a plain delete is still taken.
            await self.client.delete(*keys)

    async def acquire_lock(self, key: str, ttl_seconds: float) -> bool:
        return await self._locks.acquire(key, ttl_seconds)

    async def release_lock(self, key: str) -> None:
        await self._locks.release(key)

    async def ping(self) -> None:
        await self.client.ping()

    async def aclose(self) -> None:
        await self.client.aclose()

"""What the replicas share about the feed: who holds it, since when copies are stale, the cursor.

With Redis, one replica holds the feed under a lease (redis-py's `Lock`: SET NX PX, renewed by a
token-checked script); when it dies the key expires and another replica takes it. With the
memory cache every process is a deployment of its own and holds its feed for good.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

import orjson
from redis.asyncio import Redis, RedisCluster
from redis.exceptions import LockError, RedisError

from adapter.cache.redis import client_options
from adapter.config import CacheSettings

__all__ = ["FeedStore", "LocalFeedStore", "RedisFeedStore", "feed_store"]


class LocalFeedStore:
    """The memory cache's: this process alone holds its feed."""

    def __init__(self) -> None:
        self._cursor: Any = None

    async def hold(self) -> bool:
        return True

    async def stale_before(self) -> float | None:
        return None  # the runner sets this process's directory itself

    async def mark_stale(self, before: float) -> None:
        pass

    async def cursor(self) -> Any:
        return self._cursor

    async def save_cursor(self, value: Any) -> None:
        self._cursor = value

    async def aclose(self) -> None:
        pass


class RedisFeedStore:
    def __init__(
        self, client: Redis | RedisCluster, prefix: str, *, lease_seconds: float, cursor_key: str
    ) -> None:
        self.client = client
        self.lease_seconds = lease_seconds
        self._lock = client.lock(
            f"{prefix}feed:lease", timeout=lease_seconds, blocking=False, thread_local=False
        )
        self._stale_key = f"{prefix}feed:stale-before"
        self._cursor_key = f"{prefix}feed:cursor:{cursor_key}"
        self._held_until = 0.0

    async def hold(self) -> bool:
        """Take or renew the feed's lease; whether this replica holds it. A Redis error keeps
        a lease held until it would have expired, then lets it go."""
        try:
            if time.monotonic() < self._held_until:
                await self._lock.reacquire()
            elif not await self._lock.acquire():
                return False
        except LockError:  # expired and taken by another replica meanwhile
            self._held_until = 0.0
            return False
        except RedisError:
            # A third of the lease short of its expiry: the feed stops before another replica
            # may take it.
            return time.monotonic() < self._held_until - self.lease_seconds / 3
        self._held_until = time.monotonic() + self.lease_seconds
        return True

    async def stale_before(self) -> float | None:
        """Copies written before this time count as stale (None: not known)."""
        value = await self.client.get(self._stale_key)
        return None if value is None else float(value)

    async def mark_stale(self, before: float) -> None:
        await self.client.set(self._stale_key, repr(before), ex=86_400)

    async def cursor(self) -> Any:
        """The poll's last change seen, None before the first."""
        value = await self.client.get(self._cursor_key)
        return None if value is None else orjson.loads(value)

    async def save_cursor(self, value: Any) -> None:
        await self.client.set(self._cursor_key, orjson.dumps(value))

    async def aclose(self) -> None:
        if time.monotonic() < self._held_until:
            with contextlib.suppress(LockError, RedisError):  # else it expires by itself
                await self._lock.release()
        await self.client.aclose()


FeedStore = LocalFeedStore | RedisFeedStore


def feed_store(settings: CacheSettings, *, lease_seconds: float, cursor_key: str) -> FeedStore:
    if settings.backend == "memory":
        return LocalFeedStore()
    url, options = settings.redis.url.get_secret_value(), client_options(settings.redis)
    client = (
        Redis.from_url(url, **options)
        if settings.backend == "redis"
        else RedisCluster.from_url(url, **options)
    )
    return RedisFeedStore(
        client, settings.prefix, lease_seconds=lease_seconds, cursor_key=cursor_key
    )

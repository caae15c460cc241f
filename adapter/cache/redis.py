"""Redis backends: one server (or a Sentinel-less primary), and Redis Cluster."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis, RedisCluster
from redis.asyncio.lock import Lock
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import LockError, ResponseError

from adapter.cache.entries import EVICTION_MARK_SECONDS, eviction_marker
from adapter.config import RedisSettings

__all__ = [
    "REPLACE_IF_UNCHANGED",
    "RedisCache",
    "RedisClusterCache",
    "client_options",
    "seen_digest",
]

# KEYS: the keys; ARGV: the TTL in ms, then per key the SHA-1 of the value it must still hold
# ("" for none) and its new value. Returns the 1-based positions of the keys stored. A key of
# another type (a list someone wrote under the prefix) reads as none, as MGET reads it: the
# copy replaces it, where a GET would fail the script and pause the whole cache each time.
REPLACE_IF_UNCHANGED = """
local stored = {}
for i, key in ipairs(KEYS) do
  local current = redis.pcall('GET', key)
  if type(current) == 'table' and current.err then current = false end
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


class RedisCache:
    """A connection pool to one Redis server; `rediss://` URLs use TLS.

    One MGET per look-up; every write is one pipeline of one command per key, the same commands
    that `RedisClusterCache` sends across hash slots.
    """

    def __init__(self, client: Redis | RedisCluster) -> None:
        self.client = client
        # Each lock held, with its token: redis-py's `Lock` releases only its own, so a lock
        # that expired and was taken by another replica is never freed by mistake.
        self._held: dict[str, Lock] = {}

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

    def _turn(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Held around every command: a connection pool that blocks needs nothing more."""
        return contextlib.nullcontext()

    async def _execute(self, commands: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        """One pipeline of `(command, args)`, outside a transaction (its keys may span slots)."""
        pipe: Any = self.client.pipeline(transaction=False)
        for command, args in commands:
            getattr(pipe, command)(*args)
        async with self._turn():
            results: list[Any] = await pipe.execute()
        return results

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        if not keys:
            return []
        async with self._turn():
            values: list[bytes | None] = await self.client.mget(keys)  # type: ignore[assignment]  # decode_responses is off: bytes only
        return values

    async def set_many(self, items: Mapping[str, bytes], ttl_seconds: float) -> None:
        if items and ttl_seconds > 0:
            ms = max(1, int(ttl_seconds * 1000))
            await self._execute([("psetex", (key, ms, value)) for key, value in items.items()])

    async def replace_many(
        self, items: Mapping[str, bytes], seen: Mapping[str, bytes | None], ttl_seconds: float
    ) -> list[str]:
        # One script per key: a script's keys must share a slot.
        if not items or ttl_seconds <= 0:
            return []
        ms = max(1, int(ttl_seconds * 1000))
        stored = await self._execute(
            [
                ("eval", (REPLACE_IF_UNCHANGED, 1, key, ms, seen_digest(seen.get(key)), value))
                for key, value in items.items()
            ]
        )
        return [key for key, positions in zip(items, stored, strict=True) if positions]

    async def delete_many(self, keys: Sequence[str]) -> None:
        # One command per key: a multi-key DEL must not span slots.
        if not keys:
            return
        marker = eviction_marker()
        try:
            await self._execute([("psetex", (key, _EVICTION_MARK_MS, marker)) for key in keys])
        except ResponseError:
            # Refused (a full Redis under noeviction): a plain delete is still taken.
            await self._execute([("delete", (key,)) for key in keys])

    async def acquire_lock(self, key: str, ttl_seconds: float) -> bool:
        lock = self.client.lock(key, timeout=ttl_seconds, blocking=False, thread_local=False)
        async with self._turn():
            if not await lock.acquire():
                return False
        self._held[key] = lock
        return True

    async def release_lock(self, key: str) -> None:
        lock = self._held.pop(key, None)
        if lock is not None:
            async with self._turn():
                with contextlib.suppress(LockError):  # expired meanwhile: nothing of ours to free
                    await lock.release()

    async def ping(self) -> None:
        await self.client.ping()

    async def aclose(self) -> None:
        await self.client.aclose()


class RedisClusterCache(RedisCache):
    """Redis Cluster, the scale-out backend: keys spread over every node (no hash tags), so one
    id's traffic lands on one node only.

    Reads use `mget_nonatomic` (one MGET per slot, sent as one pipeline that redis-py groups
    per node); writes and deletes are one pipeline the same way. Each operation holds at most
    one connection per node.
    """

    client: RedisCluster

    def __init__(self, client: RedisCluster, settings: RedisSettings) -> None:
        super().__init__(client)
        self._turns = asyncio.Semaphore(settings.max_connections)
        self._wait_seconds = settings.socket_timeout

    @classmethod
    def from_settings(cls, settings: RedisSettings) -> RedisClusterCache:
        url = settings.url.get_secret_value()
        return cls(RedisCluster.from_url(url, **client_options(settings)), settings)

    @contextlib.asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        # redis-py's cluster pool has no blocking mode: past max_connections per node it raises
        # at once, and a burst of chat calls would fail open into a stampede on the site. A burst
        # waits here instead, at most a socket timeout.
        async with asyncio.timeout(self._wait_seconds):
            await self._turns.acquire()
        try:
            yield
        finally:
            self._turns.release()

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        if not keys:
            return []
        async with self._turn():
            values: list[bytes | None] = await self.client.mget_nonatomic(list(keys))
        return values

    async def ping(self) -> None:
        # Every primary: a PING to one random node says nothing of the slots on the others.
        async with self._turn():
            await self.client.ping(target_nodes=RedisCluster.PRIMARIES)

    async def aclose(self) -> None:
        await self.client.aclose()
        # redis-py 8.1's `aclose` does nothing while the client is marked to re-read the
        # topology (after a node failed), and every node's connections would stay open.
        await self.client.nodes_manager.aclose()
        await self.client.nodes_manager.aclose("startup_nodes")

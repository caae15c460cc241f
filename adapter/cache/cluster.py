"""Redis Cluster: the scale-out backend; multi-key reads and writes span hash slots."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence

from redis.asyncio.cluster import RedisCluster
from redis.exceptions import ResponseError

from adapter.cache.entries import EVICTION_MARK_SECONDS, eviction_marker
from adapter.cache.redis import REPLACE_IF_UNCHANGED, TokenLocks, client_options, seen_digest
from adapter.config import RedisSettings

__all__ = ["RedisClusterCache"]


class RedisClusterCache:
    """Keys spread over every node (no hash tags): one id's traffic lands on one node only.

    Reads use `mget_nonatomic` (one MGET per slot, sent as one pipeline that redis-py groups
    per node); writes and deletes are one pipeline the same way. Each operation holds at most
    one connection per node.
    """

    def __init__(
        self, client: RedisCluster, *, max_in_flight: int = 64, wait_seconds: float = 0.25
    ) -> None:
        self.client = client
        self._locks = TokenLocks(client)
        self._turns = asyncio.Semaphore(max_in_flight)
        self._wait_seconds = wait_seconds

    @classmethod
    def from_settings(cls, settings: RedisSettings) -> RedisClusterCache:
        client = RedisCluster.from_url(settings.url.get_secret_value(), **client_options(settings))
        return cls(
            client, max_in_flight=settings.max_connections, wait_seconds=settings.socket_timeout
        )

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

    async def set_many(self, items: Mapping[str, bytes], ttl_seconds: float) -> None:
        if not items or ttl_seconds <= 0:
            return
        milliseconds = max(1, int(ttl_seconds * 1000))
        pipe = self.client.pipeline()
        for key, value in items.items():
            pipe.set(key, value, px=milliseconds)
        async with self._turn():
            await pipe.execute()

    async def replace_many(
        self, items: Mapping[str, bytes], seen: Mapping[str, bytes | None], ttl_seconds: float
    ) -> list[str]:
        # One script per key: a script's keys must share a slot.
        if not items or ttl_seconds <= 0:
            return []
        milliseconds = max(1, int(ttl_seconds * 1000))
        pipe = self.client.pipeline()
        for key, value in items.items():
            pipe.eval(REPLACE_IF_UNCHANGED, 1, key, milliseconds, seen_digest(seen.get(key)), value)
        async with self._turn():
            stored = await pipe.execute()
        return [key for key, positions in zip(items, stored, strict=True) if positions]

    async def delete_many(self, keys: Sequence[str]) -> None:
        # One command per key: a multi-key DEL must not span slots.
        if not keys:
            return
        marker = eviction_marker()
        milliseconds = int(EVICTION_MARK_SECONDS * 1000)
        pipe = self.client.pipeline()
        for key in keys:
            pipe.set(key, marker, px=milliseconds)
        try:
            async with self._turn():
                await pipe.execute()
        except ResponseError:
            # Refused (a full node under noeviction): a plain delete is still taken.
            pipe = self.client.pipeline()
            for key in keys:
                pipe.delete(key)
            async with self._turn():
                await pipe.execute()

    async def acquire_lock(self, key: str, ttl_seconds: float) -> bool:
        async with self._turn():
            return await self._locks.acquire(key, ttl_seconds)

    async def release_lock(self, key: str) -> None:
        async with self._turn():
            await self._locks.release(key)

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

"""Redis (one server, or a Sentinel-less primary): one MGET per look-up, pipelined writes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from redis.asyncio import Redis

from adapter.config import RedisSettings

__all__ = ["RedisCache"]


class RedisCache:
    """A connection pool to one Redis server; `rediss://` URLs use TLS."""

    def __init__(self, client: Redis) -> None:
        self.client = client

    @classmethod
    def from_settings(cls, settings: RedisSettings) -> RedisCache:
        password = settings.password.get_secret_value() if settings.password else None
        client = Redis.from_url(
            settings.url.get_secret_value(),
            password=password,
            socket_timeout=settings.socket_timeout,
            socket_connect_timeout=settings.connect_timeout,
            max_connections=settings.max_connections,
            health_check_interval=30,
        )
        return cls(client)

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

    async def delete_many(self, keys: Sequence[str]) -> None:
        if keys:
            await self.client.delete(*keys)

    async def acquire_lock(self, key: str, ttl_seconds: float) -> bool:
        taken = await self.client.set(key, b"1", nx=True, px=max(1, int(ttl_seconds * 1000)))
        return bool(taken)

    async def release_lock(self, key: str) -> None:
        await self.client.delete(key)

    async def ping(self) -> None:
        await self.client.ping()

    async def aclose(self) -> None:
        await self.client.aclose()

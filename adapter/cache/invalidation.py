"""Between replicas: which cache keys changed, over Redis pub/sub.

Each replica keeps its hottest profiles in process (`SyncedLocalCache`) and publishes the keys
of every write to the shared cache and every delete on one channel; the other replicas drop
their local copies of them. Pub/sub delivers at most once, so the layer trusts the channel only
while it is subscribed and hears a ping answered every second; otherwise (three seconds without
an answer) it forgets every local copy and keeps new ones for `local_seconds` only, until it is
subscribed again. A failed publish leaves the subscription alone: its keys wait in a bounded
queue, sent again every half second. Why pub/sub and not RESP3 client-side caching, and the
rest of the design: ARCHITECTURE.md, "The profile cache".
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson
import structlog
from redis.asyncio import Redis
from redis.asyncio.client import PubSub

from adapter.cache.base import Cache
from adapter.cache.memory import MemoryCache
from adapter.cache.redis import client_options
from adapter.config import CacheSettings
from adapter.logs import LogGate, detached_context
from adapter.metrics import Metrics

__all__ = ["InvalidationChannel", "SyncedLocalCache"]

log = structlog.get_logger(__name__)

_PING_EVERY = 1.0
_SILENCE_LIMIT = 3.0
_RESUBSCRIBE_AFTER = 0.5
_MAX_MESSAGE_KEYS = 10_000
_EVERYTHING = "*"  # in place of the key list: forget every local copy


class InvalidationChannel:
    """Publish changed keys; call `on_keys` for other replicas' keys, `on_reset` when the
    channel's state changes (every local copy must then be dropped)."""

    def __init__(
        self,
        settings: CacheSettings,
        metrics: Metrics,
        *,
        on_keys: Callable[[list[str]], None],
        on_reset: Callable[[], None],
    ) -> None:
        url, options = settings.redis.url.get_secret_value(), client_options(settings.redis)
        # The publisher is bounded like every other cache command; the subscriber waits for
        # messages, its pings bound the silence.
        self.publisher = Redis.from_url(url, **options)
        self.client = Redis.from_url(url, **{**options, "socket_timeout": None})
        self.channel = f"{settings.prefix}invalidate"
        self.replica = uuid.uuid4().hex
        self._on_keys = on_keys
        self._on_reset = on_reset
        # Subscribed and answering: local copies may live their long window.
        self.up = False
        self._task: asyncio.Task[None] | None = None
        self._down_log = LogGate(settings.error_log_interval_seconds)
        # Keys whose publish failed, in order, until the retry task sends them.
        self._unsent: dict[str, None] = {}
        self._unsent_everything = False
        self._retry: asyncio.Task[None] | None = None
        self._publish_log = LogGate(settings.error_log_interval_seconds)
        self._up_gauge = metrics.invalidation_channel_up
        self._received = metrics.local_invalidations
        self._up_gauge.set(0)

    def start(self) -> None:
        """Subscribe in the background (once; needs a running event loop)."""
        if self._task is None:
            # The first look-up starts it, from inside a request it outlives.
            self._task = asyncio.get_running_loop().create_task(
                self._listen(), context=detached_context()
            )

    async def publish(self, keys: Sequence[str]) -> None:
        """Tell the other replicas; a failure is logged (per interval), never raised, and the
        keys are sent again in the background until they go through.

        While earlier keys wait to be sent again, or the channel is down, these join them:
        a request pays no timeout for a publish that is likely to fail too.
        """
        if not keys:
            return
        if self._retry is not None or not self.up:
            self._queue(keys)
            return
        try:
            await self._send(list(keys))
        except Exception as exc:
            self._publish_failed(exc)
            self._queue(keys)

    async def _send(self, keys: list[str] | str) -> None:
        await self.publisher.publish(self.channel, orjson.dumps([self.replica, keys]))

    def _queue(self, keys: Sequence[str]) -> None:
        if not self._unsent_everything:
            self._unsent.update(dict.fromkeys(keys))
            if len(self._unsent) > _MAX_MESSAGE_KEYS:
                self._unsent_everything = True
                self._unsent.clear()
        if self._retry is None:
            self._retry = asyncio.get_running_loop().create_task(
                self._send_unsent(), context=detached_context()
            )

    async def _send_unsent(self) -> None:
        try:
            while self._unsent or self._unsent_everything:
                await asyncio.sleep(_RESUBSCRIBE_AFTER)
                keys, everything = self._unsent, self._unsent_everything
                self._unsent, self._unsent_everything = {}, False
                try:
                    await self._send(_EVERYTHING if everything else list(keys))
                except Exception as exc:
                    self._publish_failed(exc)
                    keys.update(self._unsent)  # the older keys first, then any added meanwhile
                    self._unsent = keys
                    self._unsent_everything = self._unsent_everything or everything
                else:
                    log.info("cache_invalidation_sent_late", keys=len(keys), everything=everything)
        finally:
            self._retry = None

    def _publish_failed(self, exc: Exception) -> None:
        if self._publish_log.due() is not None:
            log.warning(
                "cache_invalidation_publish_failed",
                channel=self.channel,
                error=type(exc).__name__,
                detail="the keys are sent again until it goes through",
            )

    async def aclose(self) -> None:
        for task in (self._task, self._retry):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._task = self._retry = None
        self._set_up(False)
        await self.client.aclose()
        await self.publisher.aclose()

    # --- listening ----------------------------------------------------------------------------

    async def _listen(self) -> None:
        while True:
            pubsub = self.client.pubsub()
            try:
                await pubsub.subscribe(self.channel)
                await self._read(pubsub)
            except Exception as exc:  # not a cancellation: that is a BaseException
                self._set_up(False)
                if self._down_log.due() is not None:
                    log.warning(
                        "cache_invalidation_channel_down",
                        channel=self.channel,
                        reason=type(exc).__name__,
                        detail="local copies kept for local_seconds only until it is back",
                    )
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]  # redis-py leaves it untyped
            await asyncio.sleep(_RESUBSCRIBE_AFTER)

    async def _read(self, pubsub: PubSub) -> None:
        heard = pinged = time.monotonic()
        while True:
            message = await pubsub.get_message(timeout=_PING_EVERY)
            now = time.monotonic()
            if message is not None:
                heard = now
                self._handle(message)
            elif now - heard > _SILENCE_LIMIT:
                raise TimeoutError("the channel's server stopped answering")
            if now - pinged >= _PING_EVERY:
                pinged = now
                await pubsub.ping()

    def _handle(self, message: Mapping[str, Any]) -> None:
        kind = message.get("type")
        if kind == "subscribe":
            self._set_up(True)
        elif kind == "message":
            keys = self._keys(message.get("data"))
            if isinstance(keys, str):  # _EVERYTHING
                self._received.inc()
                self._on_reset()
            elif keys:
                self._received.inc(len(keys))
                self._on_keys(keys)

    def _keys(self, data: object) -> list[str] | str:
        """The keys another replica changed, `_EVERYTHING`, or none (its own or malformed)."""
        # Anyone who can PUBLISH on this Redis can send here: a malformed message is dropped.
        try:
            replica, keys = orjson.loads(data) if isinstance(data, bytes | str) else (None, None)
        except (orjson.JSONDecodeError, TypeError, ValueError):
            return []
        if replica == self.replica:
            return []
        if keys == _EVERYTHING:
            return _EVERYTHING
        if not isinstance(keys, list):
            return []
        return [key for key in keys[:_MAX_MESSAGE_KEYS] if isinstance(key, str)]

    def _set_up(self, up: bool) -> None:
        if up != self.up:
            self.up = up
            self._up_gauge.set(1 if up else 0)
            self._on_reset()
            if up:
                log.info("cache_invalidation_channel_up", channel=self.channel)


class SyncedLocalCache:
    """A small in-process layer in front of the shared cache, kept true by the channel.

    While the channel is up a local copy lives as long as the shared entry (at most
    `local_synced_seconds`): any change anywhere drops it. While it is down, at most
    `local_seconds`, the bound the layer has always promised without messages.
    """

    def __init__(
        self,
        local: MemoryCache,
        shared: Cache,
        channel: InvalidationChannel | None,
        *,
        local_seconds: float,
        synced_seconds: float,
    ) -> None:
        self.local = local
        self.shared = shared
        self.channel = channel
        self.local_seconds = local_seconds
        self.synced_seconds = synced_seconds
        # Counts drops; a read from Redis that a drop overtook is kept only for the short window
        # (the drop may have been for the very value it read).
        self._drops = 0

    def _local_ttl(self, ttl_seconds: float, drops_before: int | None = None) -> float:
        up = self.channel is not None and self.channel.up
        if drops_before is not None and drops_before != self._drops:
            up = False
        window = self.synced_seconds if up else 0.0
        return min(ttl_seconds, max(window, self.local_seconds))

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        if self.channel is not None:
            self.channel.start()
        found, missing = self.local.read(keys)
        if not missing:
            return found
        drops = self._drops
        shared = dict(zip(missing, await self.shared.get_many(missing), strict=True))
        refill = {key: value for key, value in shared.items() if value is not None}
        # Read from Redis, not written: the replica that wrote it has told the others already.
        await self.local.set_many(refill, self._local_ttl(self.synced_seconds, drops))
        return [
            value if value is not None else shared.get(key)
            for key, value in zip(keys, found, strict=True)
        ]

    async def set_many(self, items: Mapping[str, bytes], ttl_seconds: float) -> None:
        await self.shared.set_many(items, ttl_seconds)
        await self.local.set_many(items, self._local_ttl(ttl_seconds))
        if self.channel is not None:
            await self.channel.publish(list(items))

    async def replace_many(
        self, items: Mapping[str, bytes], seen: Mapping[str, bytes | None], ttl_seconds: float
    ) -> list[str]:
        drops = self._drops
        stored = await self.shared.replace_many(items, seen, ttl_seconds)
        if stored:
            kept = {key: items[key] for key in stored}
            await self.local.set_many(kept, self._local_ttl(ttl_seconds, drops))
            if self.channel is not None:
                await self.channel.publish(stored)
        return stored

    async def delete_many(self, keys: Sequence[str]) -> None:
        self.forget(keys)  # counted: a write that read these before keeps no long local copy
        try:
            await self.shared.delete_many(keys)
        finally:
            if self.channel is not None:
                await self.channel.publish(keys)

    def forget(self, keys: Sequence[str]) -> None:
        """Drop local copies (another replica changed these keys)."""
        self._drops += 1
        self.local.forget(keys)

    def forget_all(self) -> None:
        """Drop every local copy (the channel's state changed)."""
        self._drops += 1
        self.local.clear()

    async def acquire_lock(self, key: str, ttl_seconds: float) -> bool:
        return await self.shared.acquire_lock(key, ttl_seconds)

    async def release_lock(self, key: str) -> None:
        await self.shared.release_lock(key)

    async def ping(self) -> None:
        await self.shared.ping()

    async def aclose(self) -> None:
        if self.channel is not None:
            await self.channel.aclose()
        await self.local.aclose()
        await self.shared.aclose()


def synced_cache(
    settings: CacheSettings,
    shared: Cache,
    metrics: Metrics,
    *,
    clock: Callable[[], float] = time.monotonic,
) -> SyncedLocalCache:
    """The local layer over `shared`, with the channel on the configured Redis when asked."""
    cache = SyncedLocalCache(
        MemoryCache(max_entries=settings.local_max_entries, clock=clock),
        shared,
        None,
        local_seconds=settings.local_seconds,
        synced_seconds=settings.local_synced_seconds,
    )
    if settings.local_invalidation:
        cache.channel = InvalidationChannel(
            settings, metrics, on_keys=cache.forget, on_reset=cache.forget_all
        )
    return cache

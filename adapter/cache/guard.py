"""Keep a failing cache from failing requests: its failures become misses, logged per interval."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TypeVar

import structlog

from adapter.cache.base import Cache
from adapter.errors import CacheError
from adapter.logs import LogGate
from adapter.metrics import Metrics

__all__ = ["FailOpenCache"]

log = structlog.get_logger(__name__)
T = TypeVar("T")
# Operations that write: a failure of one makes `ping` report the cache degraded until one works.
_WRITES = frozenset({"set", "lock"})


class FailOpenCache:
    """A backend failure becomes a miss (or a skipped write), counted and logged once per interval.

    After a failure the backend is left alone for `pause_after_error` seconds, so a dead Redis
    costs one socket timeout per pause, not one per request; then it is tried again by itself.
    Deletes are the exception: an eviction that did not happen must not pass for done, so a
    failed delete raises CacheError and the caller can tell the site to retry; and a delete is
    tried even during the pause, since a Redis that refuses writes (full, `noeviction`) still
    takes deletes. `ping` reports a backend that answers but refused the last write.
    """

    def __init__(
        self,
        backend: Cache,
        *,
        metrics: Metrics,
        log_interval: float,
        pause_after_error: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.backend = backend
        self.metrics = metrics
        self.pause_after_error = pause_after_error
        self._clock = clock
        self._paused_until = 0.0
        self._log = LogGate(log_interval, clock)
        self._write_failure: str | None = None

    @property
    def healthy(self) -> bool:
        return self._clock() >= self._paused_until

    async def _guard(self, operation: str, call: Callable[[], Awaitable[T]], fallback: T) -> T:
        if not self.healthy:
            return fallback  # paused after a failure: counted and logged when it happened
        try:
            result = await call()
        except Exception as exc:  # every backend failure must fail open
            self._failed(operation, exc)
            if operation in _WRITES:
                self._write_failure = f"{operation}: {type(exc).__name__}"
            return fallback
        if operation in _WRITES:
            self._write_failure = None
        if self._log.held or self._paused_until:
            log.info("cache_recovered", failures_while_down=self._log.held)
            self._log.held = 0
            self._paused_until = 0.0
        return result

    def _failed(self, operation: str, exc: Exception) -> None:
        self.metrics.cache_errors.labels(operation).inc()
        self._paused_until = self._clock() + self.pause_after_error
        held = self._log.due()
        if held is not None:
            log.warning(
                "cache_unavailable",
                operation=operation,
                error=type(exc).__name__,
                detail=str(exc)[:200] if isinstance(exc, CacheError) else "",
                failures_since_last_log=held,
            )

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        return await self._guard("get", lambda: self.backend.get_many(keys), [None] * len(keys))

    async def set_many(self, items: Mapping[str, bytes], ttl_seconds: float) -> None:
        await self._guard("set", lambda: self.backend.set_many(items, ttl_seconds), None)

    async def replace_many(
        self, items: Mapping[str, bytes], seen: Mapping[str, bytes | None], ttl_seconds: float
    ) -> list[str]:
        # Failing open, as `set_many`: the layer in front keeps its own copies as before.
        return await self._guard(
            "set", lambda: self.backend.replace_many(items, seen, ttl_seconds), list(items)
        )

    async def delete_many(self, keys: Sequence[str]) -> None:
        # Not `_guard`: tried even while paused, and a delete that works says nothing of writes.
        try:
            await self.backend.delete_many(keys)
        except Exception as exc:
            self._failed("delete", exc)
            raise CacheError(
                "the shared cache is unavailable; the entries were not evicted"
            ) from None

    async def acquire_lock(self, key: str, ttl_seconds: float) -> bool:
        # No lock service: every replica refills for itself rather than wait.
        return await self._guard("lock", lambda: self.backend.acquire_lock(key, ttl_seconds), True)

    async def release_lock(self, key: str) -> None:
        await self._guard("unlock", lambda: self.backend.release_lock(key), None)

    async def ping(self) -> None:
        try:
            await self.backend.ping()
        except Exception as exc:
            raise CacheError(f"the cache backend does not answer ({type(exc).__name__})") from exc
        if self._write_failure is not None:
            raise CacheError(f"the cache backend refused the last write ({self._write_failure})")

    async def aclose(self) -> None:
        await self.backend.aclose()

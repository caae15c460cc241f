"""Budgets for token requests: per client address and per signed-in viewer (`limits`).

A moving window per budget, in process memory or in Redis (shared by every replica). When the
storage fails the limiter lets requests through, logged once per interval: the budgets stop
floods of token requests, which the site's own session check still gates, and failing closed
would take the chat down for every user while Redis is out. Like the cache, a Redis command
waits at most `socket_timeout`, and after a failure the storage is left alone for
`pause_after_error` seconds, so a hanging Redis costs one timeout per pause, not one per request.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable

import redis.asyncio
import structlog
from limits import RateLimitItem, WindowStats, parse_many
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from adapter.config import RateLimitSettings
from adapter.errors import RateLimited
from adapter.logs import LogGate

__all__ = ["TokenRateLimiter"]

log = structlog.get_logger(__name__)


# How often windows with no hit left in them are dropped (memory only: a hit reads its window's
# own times, so the budgets hold whatever this is).
_SWEEP_SECONDS = 1.0
# The most windows kept in memory (about 1 KiB each): past it, the least recently hit goes. An
# IPv6 client holds a /64 of addresses, each with a window of its own; such a caller defeats a
# per-address budget anyway, and must not grow the process or stall the sweep.
MAX_MEMORY_WINDOWS = 20_000


class _MemoryWindows:
    """Moving windows in process memory, by limits' rule: a hit counts while it is no older
    than the item's period, and one more is allowed while fewer than its amount count.

    limits' own memory storages cost a token request more than everything else it does: the
    asyncio one expires entries through a worker thread per key (`asyncio.to_thread`) each time
    the event loop turns after a hit, the thread-safe one starts a timer thread, and either
    walks several layers of Python per hit (some 37k instructions, against 4k here). Redis
    keeps limits' storage and strategy; tests/graphql/test_rate_limit.py runs the same budget
    on both.
    """

    def __init__(
        self, clock: Callable[[], float] = time.time, max_windows: int = MAX_MEMORY_WINDOWS
    ) -> None:
        self._clock = clock
        self._max_windows = max_windows
        # By (the item's id, kind, who): the item and its hits' times, oldest first; the
        # windows themselves least recently hit first (each hit moves its window to the end).
        # An OrderedDict: a dict's first key is found past the slots of those deleted before
        # it, so taking keys from the front of a dict is quadratic.
        self._windows: OrderedDict[tuple[int, str, str], tuple[RateLimitItem, deque[float]]] = (
            OrderedDict()
        )
        self._next_sweep = 0.0

    async def hit(self, item: RateLimitItem, kind: str, who: str) -> bool:
        now = self._clock()
        if now >= self._next_sweep:
            self._sweep(now)
        key = (id(item), kind, who)
        windows = self._windows
        window = windows.get(key)
        if window is None:
            if len(windows) >= self._max_windows:
                windows.popitem(last=False)
            window = windows[key] = (item, deque())
        else:
            windows.move_to_end(key)
        hits = window[1]
        start = now - item.get_expiry()
        while hits and hits[0] < start:
            hits.popleft()
        if len(hits) >= item.amount:
            return False
        hits.append(now)
        return True

    async def get_window_stats(self, item: RateLimitItem, kind: str, who: str) -> WindowStats:
        now = self._clock()
        expiry = item.get_expiry()
        window = self._windows.get((id(item), kind, who))
        inside = [at for at in window[1] if at > now - expiry] if window is not None else []
        return WindowStats((inside[0] if inside else now) + expiry, item.amount - len(inside))

    def _sweep(self, now: float) -> None:
        """Drops the least recently hit windows while their last hit has left them: the work is
        the windows dropped, never a walk over those still in use. (A window of a shorter period
        behind one still in use waits for it, or for the cap: its own hits are read on a hit.)"""
        self._next_sweep = now + _SWEEP_SECONDS
        windows = self._windows
        while windows:
            item, hits = next(iter(windows.values()))
            if hits and hits[-1] >= now - item.get_expiry():
                return
            windows.popitem(last=False)


class TokenRateLimiter:
    """One per process; `hit_*` raise RateLimited when a budget is spent."""

    def __init__(
        self,
        settings: RateLimitSettings,
        *,
        key_prefix: str,
        log_interval: float = 30.0,
        socket_timeout: float = 0.25,
        connect_timeout: float = 0.5,
        pause_after_error: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._pause_after_error = pause_after_error
        self._clock = clock
        self._log = LogGate(log_interval, clock)
        self._paused_until = float("-inf")
        # The settings' validators have parsed both budgets and checked the storage's scheme.
        self.per_ip = parse_many(settings.per_ip)
        self.per_viewer = parse_many(settings.per_viewer)
        url = settings.storage_url.get_secret_value()
        self._pool: redis.asyncio.ConnectionPool | None = None
        self._limiter: _MemoryWindows | MovingWindowRateLimiter
        if url == "memory://":
            self._limiter = _MemoryWindows()
        else:
            self._pool = redis.asyncio.ConnectionPool.from_url(
                url,
                socket_timeout=socket_timeout,
                socket_connect_timeout=connect_timeout,
                # One immediate retry (a pooled connection Redis closed), never a backoff.
                retry=Retry(NoBackoff(), 1),
            )
            storage = RedisStorage(
                f"async+{url}",
                implementation="redispy",
                key_prefix=key_prefix,
                wrap_exceptions=True,
                # Typed as scalars only, but passed on to redis-py, which takes a pool.
                connection_pool=self._pool,  # type: ignore[arg-type]
            )
            self._limiter = MovingWindowRateLimiter(storage)

    async def hit_ip(self, address: str) -> None:
        await self._hit(self.per_ip, "ip", address)

    async def hit_viewer(self, user_id: int) -> None:
        await self._hit(self.per_viewer, "viewer", str(user_id))

    async def _hit(self, items: list[RateLimitItem], kind: str, who: str) -> None:
        if self._clock() < self._paused_until:
            self._log.held += 1  # failing open; counted in the next line logged
            return
        for item in items:
            try:
                allowed = await self._limiter.hit(item, kind, who)
                if not allowed:
                    stats = await self._limiter.get_window_stats(item, kind, who)
            except StorageError as exc:
                self._paused_until = self._clock() + self._pause_after_error
                held = self._log.due()
                if held is not None:
                    log.warning(
                        "rate_limit_storage_failed",
                        error=type(exc.storage_error).__name__,
                        failures_since_last_log=held,
                    )
                return
            if not allowed:
                raise RateLimited(max(1, math.ceil(stats.reset_time - time.time())))

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()

"""A deadline for a request's headers, which uvicorn does not have.

uvicorn times out idle keep-alive connections, but not a client that sends its request line and
then a header every few seconds (slowloris): each such connection is held open as long as the
client likes. `HeaderDeadlineProtocol` is uvicorn's own HTTP protocol (httptools) whose
connections are looked at by one sweep per event loop, eight times per
`limits.header_timeout_seconds` (read from the app's lifespan state, so that uvicorn's worker
processes, which import this class by name, get it too); one still reading the same headers
for longer than the deadline is closed.

The protocol adds nothing to a request: whether a connection is reading headers is read off
uvicorn's own state at each sweep (no scope yet: the first request has not begun; a scope
without a method: its headers are not complete). Overriding the parser's per-request
callbacks cost about 6,000 instructions per request (BENCHMARKS.md, counted by callgrind; the
20 us once timed for a timer per request was mostly the machine's noise). Since a request is
first seen by the sweep after it began, a connection is closed between one deadline and a
quarter deadline late, never early.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from adapter.config import LimitsSettings

__all__ = ["HeaderDeadlineProtocol"]

_DEFAULT_SECONDS = LimitsSettings().header_timeout_seconds
_SWEEPS_PER_DEADLINE = 8
# What a connection is reading before its first request begins (uvicorn has no scope yet).
_FIRST_REQUEST = object()


class _Sweeper:
    """Closes, on one timer per loop, the watched connections whose headers are overdue."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.watched: set[HeaderDeadlineProtocol] = set()
        self._timer: asyncio.TimerHandle | None = None

    def watch(self, protocol: HeaderDeadlineProtocol) -> None:
        self.watched.add(protocol)
        if self._timer is None:
            self._schedule(protocol.header_seconds)

    def forget(self, protocol: HeaderDeadlineProtocol) -> None:
        self.watched.discard(protocol)

    def _schedule(self, seconds: float) -> None:
        self._timer = self.loop.call_later(seconds / _SWEEPS_PER_DEADLINE, self._sweep, seconds)

    def _sweep(self, seconds: float) -> None:
        self._timer = None
        now = self.loop.time()
        for protocol in [p for p in self.watched if p.overdue(now)]:
            self.watched.discard(protocol)
            protocol.too_slow()
        if self.watched:
            self._schedule(seconds)


_SWEEPERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Sweeper] = (
    weakref.WeakKeyDictionary()
)


class HeaderDeadlineProtocol(HttpToolsProtocol):
    """Pass as uvicorn's `http=`: connections whose headers take too long are closed."""

    # What the connection was reading headers for at the last sweep (uvicorn's scope of that
    # request, held so that a new request's scope can never be mistaken for it), and since when.
    _reading: Any = None
    _reading_since = 0.0
    _sweeper: _Sweeper | None = None

    @property
    def header_seconds(self) -> float:
        settings = self.app_state.get("settings")
        limits = getattr(settings, "limits", None)
        return limits.header_timeout_seconds if limits is not None else _DEFAULT_SECONDS

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # A connection that never sends a byte is held to the same deadline, from now.
        self._reading, self._reading_since = _FIRST_REQUEST, self.loop.time()
        sweeper = _SWEEPERS.get(self.loop)
        if sweeper is None:
            sweeper = _SWEEPERS[self.loop] = _Sweeper(self.loop)
        self._sweeper = sweeper
        sweeper.watch(self)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._sweeper is not None:
            self._sweeper.forget(self)
        super().connection_lost(exc)

    def _headers_being_read(self) -> object | None:
        """What the connection is reading headers for right now, or None between requests."""
        scope = self.scope
        if scope is None:
            return _FIRST_REQUEST
        return None if "method" in scope else scope

    def overdue(self, now: float) -> bool:
        """Still reading the same headers as at an earlier sweep, for longer than the deadline."""
        reading = self._headers_being_read()
        if reading is None:
            self._reading = None
            return False
        if reading is not self._reading:
            self._reading, self._reading_since = reading, now
            return False
        return now - self._reading_since > self.header_seconds

    def too_slow(self) -> None:
        self._reading = None
        if not self.transport.is_closing():
            self.transport.close()

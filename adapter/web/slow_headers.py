"""A deadline for a request's headers, which uvicorn does not have.

uvicorn times out idle keep-alive connections, but not a client that sends its request line and
then a header every few seconds (slowloris): each such connection is held open as long as the
client likes. `HeaderDeadlineProtocol` is uvicorn's own HTTP protocol (httptools) that notes when
a connection (or a request on it) started and when its headers ended; past
`limits.header_timeout_seconds` (read from the app's lifespan state, so that uvicorn's worker
processes, which import this class by name, get it too) the connection is closed.

The deadline is kept by one sweep per event loop, a few times per deadline, over the connections
still reading headers. A timer per request cost about 20 us of CPU per request over the network
(BENCHMARKS.md); noting a time costs next to nothing. A connection is therefore closed between
one deadline and a quarter deadline late.
"""

from __future__ import annotations

import asyncio
import weakref

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from adapter.config import LimitsSettings

__all__ = ["HeaderDeadlineProtocol"]

_DEFAULT_SECONDS = LimitsSettings().header_timeout_seconds
_SWEEPS_PER_DEADLINE = 4


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

    # loop.time() when the connection or its current request began, None once headers are in.
    _reading_since: float | None = None
    _sweeper: _Sweeper | None = None

    @property
    def header_seconds(self) -> float:
        settings = self.app_state.get("settings")
        limits = getattr(settings, "limits", None)
        return limits.header_timeout_seconds if limits is not None else _DEFAULT_SECONDS

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # A connection that never sends a byte is held to the same deadline.
        self._reading_since = self.loop.time()
        sweeper = _SWEEPERS.get(self.loop)
        if sweeper is None:
            sweeper = _SWEEPERS[self.loop] = _Sweeper(self.loop)
        self._sweeper = sweeper
        sweeper.watch(self)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._reading_since is None:
            self._reading_since = self.loop.time()  # still watched: connections stay until lost

    def on_headers_complete(self) -> None:
        self._reading_since = None
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._sweeper is not None:
            self._sweeper.forget(self)
        super().connection_lost(exc)

    def overdue(self, now: float) -> bool:
        """Still reading headers, for longer than the deadline."""
        since = self._reading_since
        return since is not None and now - since > self.header_seconds

    def too_slow(self) -> None:
        self._reading_since = None
        if not self.transport.is_closing():
            self.transport.close()

"""A deadline for a request's headers, which uvicorn does not have.

uvicorn times out idle keep-alive connections, but not a client that sends its request line and
then a header every few seconds (slowloris): each such connection is held open as long as the
client likes. `HeaderDeadlineProtocol` is uvicorn's own HTTP protocol (httptools) with a timer
from the connection's (or the request's) first byte to the end of its headers; past
`limits.header_timeout_seconds` (read from the app's lifespan state, so that uvicorn's worker
processes, which import this class by name, get it too) the connection is closed.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from adapter.config import LimitsSettings

__all__ = ["HeaderDeadlineProtocol"]

_DEFAULT_SECONDS = LimitsSettings().header_timeout_seconds


class HeaderDeadlineProtocol(HttpToolsProtocol):
    """Pass as uvicorn's `http=`: connections whose headers take too long are closed."""

    _header_timer: asyncio.TimerHandle | None = None

    @property
    def header_seconds(self) -> float:
        settings = self.app_state.get("settings")
        limits = getattr(settings, "limits", None)
        return limits.header_timeout_seconds if limits is not None else _DEFAULT_SECONDS

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()  # a connection that never sends a byte is held to the same deadline

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_seconds, self._too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _too_slow(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.close()

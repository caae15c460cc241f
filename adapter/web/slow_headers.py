"""A deadline and a size bound for a request's head, which uvicorn and httptools do not have.

uvicorn times out idle keep-alive connections, but not a client that sends a header every few
seconds (slowloris); and httptools buffers one endless header, copying it with every piece,
while the edge's 431 comes only once the headers are complete. `HeaderDeadlineProtocol` is
uvicorn's httptools protocol with both, kept by the protocol object itself, so they end with
the connection:

- the deadline, `limits.header_timeout_seconds` from a head's first byte (for a new connection,
  from the connection) to its end. One timer per connection, set again when it fires early: a
  head that ends in time costs two attribute writes, not a timer. Nothing else refers to the
  object, so one handed over to a WebSocket protocol (never told its connection is lost) is
  dropped when the timer fires (issue 20, F1). Timed with `time.monotonic()`: uvloop's clock is
  read once per loop turn in whole milliseconds, which closed connections early.
- the size, `head_bytes_bound` bytes of a message outside its body, counted as they arrive;
  over it, a 431 in the chat's shape while the head is incomplete, then the close. httptools
  never holds more than the bound and one read.

A request httptools cannot parse (a bad method, a Content-Length that is no number, chunk
framing that is not) gets uvicorn's 400 in the chat's shape too, instead of its plain text.

It extends uvicorn's class through non-public callbacks and attributes, and overrides its
`send_400_response`, all pinned by `tests/test_dependency_contracts.py`. The hooks call
uvicorn's methods on the class, not through `super()`, which builds an object per call on
Python 3.11 (some 600 instructions). The limits come from the app's lifespan state, so
`--workers` processes get them too.
"""

from __future__ import annotations

import asyncio
import time

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from adapter.config import LimitsSettings
from adapter.web.responses import JSON, error_response

__all__ = ["HeaderDeadlineProtocol", "head_bytes_bound"]

_DEFAULT_LIMITS = LimitsSettings()


def _refusal(status: int, message: str) -> bytes:
    """An answer's headers after the server's own and its body: the chat's error shape, and
    the connection closed."""
    body = bytes(error_response(status, message).body)
    return (
        b"content-type: " + JSON.encode() + b"\r\n"
        b"content-length: " + str(len(body)).encode() + b"\r\n"
        b"connection: close\r\n\r\n" + body
    )


_TOO_LARGE = _refusal(431, "the request headers are too large")


def head_bytes_bound(limits: LimitsSettings) -> int:
    """The bytes of a message, body aside, that a connection reads before refusing it.

    The URL and the headers' names and values have their own limits (414, 431, counted by
    the edge); the second share of headers is for what those do not count: the ": "
    and line ends of each header, the method, the version.
    """
    return limits.max_url_bytes + 2 * limits.max_header_bytes


class HeaderDeadlineProtocol(HttpToolsProtocol):
    """Pass as uvicorn's `http=`: heads that are too slow or too large close the connection."""

    # When the head being read began (None between requests), the timer that checks it, the
    # deadline and the bytes the current message may still send outside its body.
    _head_since: float | None = None
    _head_timer: asyncio.TimerHandle | None = None
    _head_seconds = _DEFAULT_LIMITS.header_timeout_seconds
    _head_bound = head_bytes_bound(_DEFAULT_LIMITS)
    _head_budget = 0

    # Typed as uvicorn's override is: asyncio hands a Transport, BaseProtocol says BaseTransport.
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        limits = getattr(self.app_state.get("settings"), "limits", None)
        if isinstance(limits, LimitsSettings):
            self._head_seconds = limits.header_timeout_seconds
            self._head_bound = head_bytes_bound(limits)
        self._head_budget = self._head_bound
        # A connection that never sends a byte is held to the same deadline, from now.
        self._head_since = time.monotonic()
        self._head_timer = self.loop.call_later(self._head_seconds, self._check_deadline)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self._head_budget -= len(data)
        HttpToolsProtocol.data_received(self, data)
        if self._head_budget < 0:
            self._too_large()

    # httptools' callbacks (uvicorn's, extended)

    def on_message_begin(self) -> None:
        HttpToolsProtocol.on_message_begin(self)
        self._head_budget = self._head_bound
        if self._head_since is None:  # else the connection's first head, timed from its start
            self._head_since = time.monotonic()
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self._head_seconds, self._check_deadline)

    def on_headers_complete(self) -> None:
        self._head_since = None
        HttpToolsProtocol.on_headers_complete(self)

    def on_body(self, body: bytes) -> None:
        self._head_budget += len(body)  # a body is bounded where it is read, not here
        HttpToolsProtocol.on_body(self, body)

    # the limits

    def _check_deadline(self) -> None:
        self._head_timer = None
        since = self._head_since
        # Nothing to time: between requests (the keep-alive timeout's turn), or closing. A
        # connection handed over to a WebSocket protocol had its head complete, so this object
        # is dropped with the timer.
        if since is None or self.transport.is_closing():
            return
        left = since + self._head_seconds - time.monotonic()
        if left > 0:
            self._head_timer = self.loop.call_later(left, self._check_deadline)
            return
        self._head_since = None
        self.transport.close()

    def _too_large(self) -> None:
        transport = self.transport
        if transport.is_closing():
            return
        cycle = self.cycle
        if self._head_since is not None and (cycle is None or cycle.response_complete):
            self._write_refusal(431, _TOO_LARGE)
        self._head_since = None
        transport.close()

    def send_400_response(self, msg: str) -> None:
        # uvicorn's own, for a request httptools could not parse, writes `msg` as plain text.
        self._write_refusal(400, _refusal(400, msg))
        self._head_since = None
        self.transport.close()

    def _write_refusal(self, status: int, refusal: bytes) -> None:
        content = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        content.append(refusal)
        self.transport.write(b"".join(content))

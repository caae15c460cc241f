"""One log line and one metrics sample per request, with a request id; nothing secret in either.

The line names the route template (`/imbachat/v1/getusers/{user_ids}`), never the URL: query
strings may carry a `jwt_token`, and headers (Authorization, Cookie) are never read here.
Probes (`/healthz`, `/readyz`, `/metrics`) are logged at debug level, so that a load balancer
checking every second does not bury the chat's requests.
"""

from __future__ import annotations

import os
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapter.logs import access_line, bind_request_id, unbind_request_id
from adapter.metrics import Metrics

__all__ = ["METHODS", "PROBE_ROUTES", "AccessRecorder", "RequestObserver", "route_template"]

_REQUEST_ID = b"x-request-id"
_MAX_REQUEST_ID = 64
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
PROBE_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})


def route_template(scope: Scope) -> str:
    """The path template of the route that served `scope`, or `(unmatched)`.

    The router records the matched route in the scope (a dict shared by every layer), so this
    is known once the application has run; middleware must not copy the scope.
    """
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return template if isinstance(template, str) else "(unmatched)"


def new_request_id() -> str:
    """32 random hex digits (as `uuid4().hex` has, without building a UUID)."""
    return os.urandom(16).hex()


def request_id_from(value: bytes | None) -> str:
    """The caller's X-Request-ID when it is short and printable, else a new one."""
    if value is not None:
        candidate = value.decode("latin-1")
        if 0 < len(candidate) <= _MAX_REQUEST_ID and candidate.isprintable():
            return candidate
    return new_request_id()


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == _REQUEST_ID:
            return request_id_from(value)
    return new_request_id()


class AccessRecorder:
    """After each request: the HTTP metrics (children bound once per label set) and the line."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics
        self._counters: dict[tuple[str, str, int], Any] = {}
        self._latencies: dict[str, Any] = {}

    def record(
        self,
        *,
        request_id: str,
        method: str,
        route: str,
        status: int,
        elapsed: float,
        ids: int | None,
    ) -> None:
        """Count and log one request; `method` must be one of METHODS or "OTHER"."""
        counter = self._counters.get((route, method, status))
        if counter is None:
            counter = self.metrics.http_requests.labels(route, method, str(status))
            self._counters[(route, method, status)] = counter
        counter.inc()
        latency = self._latencies.get(route)
        if latency is None:
            latency = self._latencies[route] = self.metrics.http_latency.labels(route)
        latency.observe(elapsed)
        access_line(
            debug=route in PROBE_ROUTES and status < 500,
            request_id=request_id,
            method=method,
            route=route,
            status=status,
            # In hundredths of a millisecond; round(x, 2) costs a decimal conversion per call.
            duration_ms=round(elapsed * 100_000) / 100,
            ids=ids,
        )


class RequestObserver:
    """Pure ASGI middleware: request id, access log line, HTTP metrics."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.recorder = AccessRecorder(metrics)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _request_id(scope)
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (_REQUEST_ID, request_id.encode()),
                ]
            await send(message)

        bound = bind_request_id(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            unbind_request_id(bound)
            elapsed = time.perf_counter() - started
            # Methods are a client's choice: an unknown one must not grow the label set.
            method = scope["method"] if scope["method"] in METHODS else "OTHER"
            state = scope.get("state") or {}
            self.recorder.record(
                request_id=request_id,
                method=method,
                route=route_template(scope),
                status=status,
                elapsed=elapsed,
                ids=state.get("ids_count"),
            )

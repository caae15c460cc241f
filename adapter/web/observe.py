"""One log line and one metrics sample per request, with a request id; nothing secret in either.

The line names the route template (`/imbachat/v1/getusers/{user_ids}`), never the URL: query
strings may carry a `jwt_token`, and headers (Authorization, Cookie) are never read here.
Probes (`/healthz`, `/readyz`, `/metrics`) are logged at debug level, so that a load balancer
checking every second does not bury the chat's requests.
"""

from __future__ import annotations

import time
import uuid

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapter.metrics import Metrics

__all__ = ["PROBE_ROUTES", "RequestObserver", "route_template"]

log = structlog.get_logger("adapter.access")
_REQUEST_ID = b"x-request-id"
_MAX_REQUEST_ID = 64
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
PROBE_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})


def route_template(scope: Scope) -> str:
    """The path template of the route that served `scope`, or `(unmatched)`.

    The router records the matched route in the scope (a dict shared by every layer), so this
    is known once the application has run; middleware must not copy the scope.
    """
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return template if isinstance(template, str) else "(unmatched)"


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == _REQUEST_ID:
            candidate: str = value.decode("latin-1")
            if 0 < len(candidate) <= _MAX_REQUEST_ID and candidate.isprintable():
                return candidate
    return uuid.uuid4().hex


class RequestObserver:
    """Pure ASGI middleware: request id, access log line, HTTP metrics."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

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

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                elapsed = time.perf_counter() - started
                route = route_template(scope)
                # Methods are a client's choice: an unknown one must not grow the label set.
                method = scope["method"] if scope["method"] in _METHODS else "OTHER"
                self.metrics.http_requests.labels(route, method, str(status)).inc()
                self.metrics.http_latency.labels(route).observe(elapsed)
                state = scope.get("state") or {}
                emit = log.debug if route in PROBE_ROUTES and status < 500 else log.info
                emit(
                    "request",
                    method=method,
                    route=route,
                    status=status,
                    duration_ms=round(elapsed * 1000, 2),
                    ids=state.get("ids_count"),
                )

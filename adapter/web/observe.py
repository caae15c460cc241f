"""One log line and one metrics sample per request, with a request id; nothing secret in either."""

from __future__ import annotations

import time
import uuid

import structlog
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapter.metrics import Metrics

__all__ = ["RequestObserver"]

log = structlog.get_logger("adapter.access")
_REQUEST_ID = "x-request-id"


def _route_template(scope: Scope) -> str:
    app = scope.get("app")
    router = getattr(app, "router", None)
    for route in getattr(router, "routes", []):
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return str(getattr(route, "path", scope["path"]))
    return "(unmatched)"


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
        request_id = ""
        for name, value in scope["headers"]:
            if name == _REQUEST_ID.encode():
                candidate = value.decode("latin-1")
                if len(candidate) <= 64 and candidate.isprintable():
                    request_id = candidate
        request_id = request_id or uuid.uuid4().hex
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (_REQUEST_ID.encode(), request_id.encode()),
                ]
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                elapsed = time.perf_counter() - started
                route = _route_template(scope)
                self.metrics.http_requests.labels(route, scope["method"], str(status)).inc()
                self.metrics.http_latency.labels(route).observe(elapsed)
                state = scope.get("state") or {}
                log.info(
                    "request",
                    method=scope["method"],
                    route=route,
                    status=status,
                    duration_ms=round(elapsed * 1000, 2),
                    ids=state.get("ids_count"),
                )

"""The one front door: every HTTP request passes here, and the edge's duties are done only here.

Bounds (414, 431, 413), the request id (the caller's `X-Request-ID` when short and printable,
else a new one), the access line and HTTP metrics by route template, the server span when
tracing is on, and the chat's JSON error shape for what a handler raises before it answers.
Then a dispatch by path; FastAPI answers whatever no handler is registered for.

Registering a handler (the app factory does it, before the app serves):

    edge.route("/graphql", endpoint)                             # this exact path
    edge.route("/imbachat/v1/getusers/{user_ids}", handler)      # one trailing path segment

A handler is a plain ASGI app, called for every method on its path (refusing the others is
its own business). It finds in the scope `state` (the lifespan's `AppState`; setting
`scope[IDS_COUNT]` puts the number of ids in the access line), `route` (its `Route`, whose
`path_format` names the request in the access line, the metrics and the span; one that hands
the request on to FastAPI gets the route FastAPI matches instead), `path_params` (the trailing
segment by its name) and a bounded `receive` (reading past `limits.max_body_bytes` ends in the
edge's 413). What it raises before answering gets `error_answer`: a domain error its own
answer, a body past the bound 413, a caller gone 499, anything else the generic 500, logged with
its traceback.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import structlog
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapter.bounded import ByteCounter, TooLarge, declared_size
from adapter.config import LimitsSettings
from adapter.errors import AdapterError
from adapter.logs import access_line, bind_request_id, unbind_request_id
from adapter.metrics import Metrics
from adapter.web.responses import error_response, response_for

if TYPE_CHECKING:
    from adapter.web.telemetry import Tracing

__all__ = ["IDS_COUNT", "METHODS", "PROBE_ROUTES", "Edge", "Route", "route_template"]

log = structlog.get_logger("adapter.app")

_REQUEST_ID = b"x-request-id"
_CONTENT_LENGTH = b"content-length"
_TRANSFER_ENCODING = b"transfer-encoding"
_MAX_REQUEST_ID = 64
_VISIBLE = bytes(range(0x21, 0x7F))  # what an X-Request-ID may hold: RFC 5234's VCHAR
# The scope key where a handler leaves the number of ids asked for, for the access line.
IDS_COUNT = "imbachat.ids_count"
_STATUS = "imbachat.status"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
PROBE_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})


@dataclass(frozen=True)
class Route:
    """A registered handler: `path_format` as the router's routes name themselves."""

    path_format: str
    app: ASGIApp
    parameter: str | None = None


def route_template(scope: Scope) -> str:
    """The path template of the route that served `scope`, or `(unmatched)`.

    The edge or FastAPI's router records the matched route in the scope (a dict shared by every
    layer), so this is known once the application has run; no layer may copy the scope.
    """
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return template if isinstance(template, str) else "(unmatched)"


def _request_id(value: bytes | None) -> str:
    """The caller's X-Request-ID when it is 1 to 64 visible ASCII characters, else 32 random hex
    digits: ASCII, so the id echoed (encoded again) has the bytes the caller sent."""
    if (
        value is not None
        and 0 < len(value) <= _MAX_REQUEST_ID
        and not value.translate(None, _VISIBLE)
    ):
        return value.decode("ascii")
    return os.urandom(16).hex()


class Edge:
    """Pure ASGI: the edge's duties, then the registered handler for the path, else `fallback`."""

    def __init__(
        self,
        fallback: ASGIApp,
        *,
        limits: LimitsSettings,
        metrics: Metrics,
        tracing: Tracing | None = None,
    ) -> None:
        self.fallback = fallback
        self.limits = limits
        self.http = metrics.http
        self._exact: dict[str, Route] = {}
        self._by_head: dict[str, Route] = {}
        self._traced = None if tracing is None else tracing.wrap(self._dispatch)

    def route(self, template: str, app: ASGIApp) -> None:
        """Answer `template` with `app`: an exact path, or one ending in one `{parameter}`
        segment (a non-empty segment without `/`, as Starlette's `{name}` is)."""
        head, brace, rest = template.partition("{")
        if not brace:
            self._exact[template] = Route(template, app)
            return
        name = rest.removesuffix("}")
        if not head.endswith("/") or not name or "/" in rest or not rest.endswith("}"):
            raise ValueError(f"a route ends in at most one parameter segment: {template}")
        self._by_head[head] = Route(template, app, name)

    def _match(self, path: str) -> Route | None:
        route = self._exact.get(path)
        if route is None and self._by_head:
            head, slash, value = path.rpartition("/")
            if slash and value:
                route = self._by_head.get(head + "/")
        return route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.fallback(scope, receive, send)  # the lifespan; no WebSocket route exists
            return
        started = time.perf_counter()
        limits = self.limits
        request_id_header: bytes | None = None
        refusal: tuple[int, str] | None = None
        chunked = False
        header_bytes = 0
        for name, value in scope["headers"]:
            header_bytes += len(name) + len(value)
            if name == _REQUEST_ID:
                if request_id_header is None:
                    request_id_header = value
            elif name == _CONTENT_LENGTH:
                # A Content-Length that is no number is refused too (the body readers ignore one).
                declared = declared_size(value)
                if declared is None or declared > limits.max_body_bytes:
                    refusal = (413, "the request body is too large")
            elif name == _TRANSFER_ENCODING:
                chunked = True
        query_string: bytes = scope.get("query_string", b"")
        if len(scope.get("raw_path") or scope["path"].encode()) + len(query_string) > (
            limits.max_url_bytes
        ):
            refusal = (414, "the URL is too long")
        elif header_bytes > limits.max_header_bytes:
            refusal = (431, "the request headers are too large")

        path: str = scope["path"]
        root_path = scope.get("root_path")
        route = (
            None if refusal else self._match(path.removeprefix(root_path) if root_path else path)
        )
        if route is not None:
            scope["route"] = route
            if route.parameter is not None:
                scope["path_params"] = {route.parameter: path.rpartition("/")[2]}

        request_id = _request_id(request_id_header)
        id_header = (_REQUEST_ID, request_id.encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                scope[_STATUS] = message["status"]
                message["headers"] = [*message.get("headers", ()), id_header]
            await send(message)

        if chunked:
            # A declared body is within bounds (checked above) and the server delivers no more
            # than it declares; only a body without Content-Length is counted as it arrives.
            receive = _counted(receive, limits.max_body_bytes)
        bound = bind_request_id(request_id)
        try:
            if refusal is not None:
                await error_response(*refusal)(scope, receive, send_with_id)
            elif route is not None and self._traced is None:
                await route.app(scope, receive, send_with_id)
            else:
                await (self._traced or self._dispatch)(scope, receive, send_with_id)
        except Exception as exc:
            if _STATUS in scope:
                raise
            await error_answer(exc, scope)(scope, receive, send_with_id)
        finally:
            unbind_request_id(bound)
            elapsed = time.perf_counter() - started
            method = scope["method"]
            # Methods are a client's choice: an unknown one must not grow the label set.
            method = method if method in METHODS else "OTHER"
            route_name = route_template(scope)
            status = scope.get(_STATUS, 500)
            self.http.record(route_name, method, status, elapsed)
            access_line(
                debug=route_name in PROBE_ROUTES and status < 500,
                request_id=request_id,
                method=method,
                route=route_name,
                status=status,
                # In hundredths of a millisecond; round(x, 2) costs a decimal conversion per call.
                duration_ms=round(elapsed * 100_000) / 100,
                ids=scope.get(IDS_COUNT),
            )

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        """FastAPI, or the route's handler inside the span when tracing is on."""
        route = scope.get("route")
        if not isinstance(route, Route):
            await self.fallback(scope, receive, send)
            return
        try:
            await route.app(scope, receive, send)
        except Exception as exc:
            if _STATUS in scope:
                raise
            await error_answer(exc, scope)(scope, receive, send)


def _counted(receive: Receive, limit: int) -> Receive:
    """`receive` that raises TooLarge once the body passes `limit` bytes."""
    counter = ByteCounter(limit)

    async def counted() -> Message:
        message = await receive()
        if message["type"] == "http.request":
            counter.count(message.get("body", b""))
        return message

    return counted


def error_answer(exc: Exception, scope: Scope) -> Response:
    """What an exception a handler let through shows its caller: the chat's shape, never a
    traceback. The edge's routes and FastAPI's exception handlers (app.py) both answer with it."""
    if isinstance(exc, AdapterError):
        return response_for(exc)
    if isinstance(exc, TooLarge):
        # A route reading past the bound (the edge counts a body without Content-Length).
        return error_response(413, "the request body is too large")
    if isinstance(exc, ClientDisconnect):
        # The caller hung up while sending its body: nothing failed here, and nobody is left to
        # answer. 499 (nginx's "client closed request") keeps it out of the 5xx figures.
        log.info("client_disconnected", route=route_template(scope))
        return Response(status_code=499)
    log.exception("unexpected_error", error=type(exc).__name__)
    return error_response(500, "Internal error")

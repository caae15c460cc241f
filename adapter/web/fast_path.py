"""The users-info calls answered by a plain ASGI handler, in front of FastAPI's whole stack.

The chat asks for users on every page it shows; the answer is a join of cached bytes, so
FastAPI's middleware, router and exception layers were most of its cost (BENCHMARKS.md). This
handler reads the scope itself: the path against `USERS_ROUTES`, the raw query string and the
Authorization header; it checks the credentials, parses the ids, asks the directory and sends
the joined bytes, with the request id header, the access line and the HTTP metrics of every
other route, and the chat's error shapes from `web/responses.py`.

Anything it does not answer goes on to FastAPI unchanged: other routes and methods, a request
over the size limits (refused there, by `RequestLimits`, in the same shapes), a scope with a
`root_path`, and a request before the lifespan has opened the directory. The app factory
leaves it out when tracing is on, so that traced requests keep their server span.
"""

from __future__ import annotations

import time

import structlog
from starlette.types import ASGIApp, Receive, Scope, Send

from adapter.config import LimitsSettings, Settings
from adapter.directory import Directory
from adapter.errors import AdapterError
from adapter.logs import bind_request_id, unbind_request_id
from adapter.metrics import Metrics
from adapter.web.observe import AccessRecorder, request_id_from
from adapter.web.responses import error_response, response_for
from adapter.web.users_info import USERS_ROUTES, UsersForm, UsersInfo, path_parameter

__all__ = ["UsersFastPath"]

log = structlog.get_logger("adapter.app")

_JSON_HEADER = (b"content-type", b"application/json")


class UsersFastPath:
    """Pure ASGI: GET on a users-info route is answered here, everything else by `app`."""

    def __init__(self, app: ASGIApp, *, settings: Settings, metrics: Metrics) -> None:
        self.app = app
        self.info = UsersInfo(settings)
        self.limits: LimitsSettings = settings.limits
        self.recorder = AccessRecorder(metrics)
        prefix = settings.chat.prefix
        self._exact: dict[str, tuple[str, UsersForm]] = {}
        self._by_head: list[tuple[str, str]] = []
        for template, form in USERS_ROUTES:
            if form == "query":
                self._exact[prefix + template] = (prefix + template, form)
            else:
                head, _ = path_parameter(template)
                self._by_head.append((prefix + head, prefix + template))

    def _match(self, path: str) -> tuple[str, UsersForm, str | None] | None:
        exact = self._exact.get(path)
        if exact is not None:
            return exact[0], exact[1], None
        for head, template in self._by_head:
            if path.startswith(head):
                value = path[len(head) :]
                # Starlette's `{name}` is one non-empty path segment.
                if value and "/" not in value:
                    return template, "path", value
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope.get("root_path"):
            await self.app(scope, receive, send)
            return
        match = self._match(scope["path"])
        state = scope.get("state")
        directory = state.get("directory") if state else None
        if match is None or directory is None:
            await self.app(scope, receive, send)
            return
        authorization: bytes | None = None
        request_id: bytes | None = None
        header_bytes = 0
        for name, value in scope["headers"]:
            header_bytes += len(name) + len(value)
            if name == b"authorization":
                if authorization is None:
                    authorization = value
            elif name == b"x-request-id":
                if request_id is None:
                    request_id = value
            elif name == b"content-length" and (
                not value.isdigit() or int(value) > self.limits.max_body_bytes
            ):
                # Refused by RequestLimits, in its shape; the route never reads a body.
                await self.app(scope, receive, send)
                return
        query_string: bytes = scope.get("query_string", b"")
        url_bytes = len(scope.get("raw_path") or scope["path"].encode()) + len(query_string)
        if url_bytes > self.limits.max_url_bytes or header_bytes > self.limits.max_header_bytes:
            await self.app(scope, receive, send)
            return
        await self._answer(scope, send, match, directory, authorization, request_id)

    async def _answer(
        self,
        scope: Scope,
        send: Send,
        match: tuple[str, UsersForm, str | None],
        directory: Directory,
        authorization: bytes | None,
        request_id_header: bytes | None,
    ) -> None:
        started = time.perf_counter()
        template, form, path_value = match
        request_id = request_id_from(request_id_header)
        status = 500
        ids_count: int | None = None
        # Logs written while answering (upstream failures) carry the request id, as elsewhere.
        bound = bind_request_id(request_id)
        try:
            try:
                ids = self.info.ids(
                    form,
                    query_string=scope.get("query_string", b""),
                    path_value=path_value,
                    authorization=authorization.decode("latin-1") if authorization else None,
                )
                ids_count = len(ids)
                body = await self.info.answer(directory, ids)
                status = 200
                headers = [(b"content-length", str(len(body)).encode()), _JSON_HEADER]
            except AdapterError as exc:
                refusal = response_for(exc)
                status, body, headers = (
                    refusal.status_code,
                    bytes(refusal.body),
                    refusal.raw_headers,
                )
            except Exception as exc:
                log.exception("unexpected_error", error=type(exc).__name__)
                failure = error_response(500, "Internal error")
                status, body, headers = (
                    failure.status_code,
                    bytes(failure.body),
                    failure.raw_headers,
                )
            await send(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": [*headers, (b"x-request-id", request_id.encode())],
                }
            )
            await send({"type": "http.response.body", "body": body})
        finally:
            unbind_request_id(bound)
            self.recorder.record(
                request_id=request_id,
                method="GET",
                route=template,
                status=status,
                elapsed=time.perf_counter() - started,
                ids=ids_count,
            )

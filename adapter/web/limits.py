"""Bounded requests: long URLs, large headers and large bodies are refused before any work."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapter.bounded import ByteCounter, TooLarge, declared_size
from adapter.config import LimitsSettings
from adapter.web.responses import error_response

__all__ = ["RequestLimits"]


class RequestLimits:
    """Pure ASGI middleware: 414, 431 and 413 in the chat's JSON error shape."""

    def __init__(self, app: ASGIApp, *, limits: LimitsSettings) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limits = self.limits
        url_size = len(scope.get("raw_path") or scope["path"].encode()) + len(
            scope.get("query_string", b"")
        )
        if url_size > limits.max_url_bytes:
            await error_response(414, "the URL is too long")(scope, receive, send)
            return
        header_size = sum(len(name) + len(value) for name, value in scope["headers"])
        if header_size > limits.max_header_bytes:
            await error_response(431, "the request headers are too large")(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length":
                # A Content-Length that is no number is refused too (the body readers ignore one).
                declared = declared_size(value)
                if declared is None or declared > limits.max_body_bytes:
                    await error_response(413, "the request body is too large")(scope, receive, send)
                    return

        counter = ByteCounter(limits.max_body_bytes)
        response_started = False

        async def bounded_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                counter.count(message.get("body", b""))
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, bounded_receive, tracking_send)
        except TooLarge:
            if response_started:
                raise
            await error_response(413, "the request body is too large")(scope, receive, send)

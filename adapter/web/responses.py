"""The chat's JSON error shape, and the answer a domain error gets (its class's status)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import orjson
from starlette.responses import Response
from starlette.types import Send

from adapter.errors import AdapterError

__all__ = ["API_VERSION", "JSON", "PRIVATE", "error_response", "response_for", "send_json"]

API_VERSION = 1
JSON = "application/json"
_JSON_HEADER = (b"content-type", JSON.encode())
# An answer that carries a widget token: no cache keeps it for the next visitor, and no page
# loads it as a script.
PRIVATE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def error_response(
    status: int, message: str, *, headers: Mapping[str, str] | None = None
) -> Response:
    """The chat's error shape; `debug` stays empty: nothing for an attacker."""
    body = orjson.dumps({"code": status, "version": API_VERSION, "error": message, "debug": ""})
    return Response(body, status_code=status, media_type=JSON, headers=headers)


def response_for(exc: AdapterError) -> Response:
    """The status and message a domain error shows to the chat; one without a status (it never
    reaches the web) is a plain 500 that keeps its message server-side."""
    if exc.status is None:
        return error_response(500, "Internal error")
    return error_response(exc.status, exc.message, headers=exc.headers)


async def send_json(send: Send, body: bytes, extra: Sequence[tuple[bytes, bytes]] = ()) -> None:
    """A 200 JSON answer as its two ASGI messages: the hot routes' answer, without a Response;
    `extra`: more headers, as ASGI pairs."""
    headers = [(b"content-length", str(len(body)).encode()), _JSON_HEADER, *extra]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})

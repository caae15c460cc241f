"""The chat's JSON error shape, and the answer a domain error gets (its class's status)."""

from __future__ import annotations

from collections.abc import Mapping

import orjson
from starlette.responses import Response

from adapter.errors import AdapterError

__all__ = ["API_VERSION", "JSON", "error_response", "response_for"]

API_VERSION = 1
JSON = "application/json"


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

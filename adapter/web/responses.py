"""The chat's JSON error shape, and the one place that turns domain errors into statuses."""

from __future__ import annotations

import orjson
from starlette.responses import Response

from adapter.errors import (
    AdapterError,
    LoginRejected,
    NotAuthenticated,
    NotSignedIn,
    RequestRejected,
    Unanswerable,
    UnsupportedBody,
    UpstreamError,
)

__all__ = ["API_VERSION", "JSON", "error_response", "response_for"]

API_VERSION = 1
JSON = "application/json"
_BASIC_CHALLENGE = {"WWW-Authenticate": 'Basic realm="Backend"'}


def error_response(status: int, message: str, *, headers: dict[str, str] | None = None) -> Response:
    """The chat's error shape; `debug` stays empty: nothing for an attacker."""
    body = orjson.dumps({"code": status, "version": API_VERSION, "error": message, "debug": ""})
    return Response(body, status_code=status, media_type=JSON, headers=headers)


def response_for(exc: AdapterError) -> Response:
    """The status and message a domain error shows to the chat."""
    if isinstance(exc, NotAuthenticated):
        return error_response(401, "Authenticate required!", headers=_BASIC_CHALLENGE)
    if isinstance(exc, UnsupportedBody):
        return error_response(415, exc.message)
    if isinstance(exc, RequestRejected):
        return error_response(400, exc.message)
    if isinstance(exc, LoginRejected):
        return error_response(403, exc.message)
    if isinstance(exc, NotSignedIn):
        # No Basic challenge: a browser would answer it with a password dialog.
        return error_response(401, exc.message)
    if isinstance(exc, Unanswerable):
        return error_response(422, exc.message)
    if isinstance(exc, UpstreamError):
        return error_response(502, exc.message)
    return error_response(500, "Internal error")

"""The chat's JSON error shape, and the one place that turns domain errors into statuses."""

from __future__ import annotations

from collections.abc import Mapping

import orjson
from starlette.responses import Response

from adapter.errors import (
    AdapterError,
    BodyTooLarge,
    CacheError,
    LoginRejected,
    NotAuthenticated,
    NotSignedIn,
    RequestRejected,
    SignatureRejected,
    Unanswerable,
    UnsupportedBody,
    UpstreamError,
)

__all__ = ["API_VERSION", "JSON", "error_response", "response_for", "status_for"]

API_VERSION = 1
JSON = "application/json"
_BASIC_CHALLENGE = {"WWW-Authenticate": 'Basic realm="Backend"'}

# The status of each class in the error tree (errors.py) that reaches the web layer; a class not
# listed answers with its nearest listed ancestor's. ConfigError and InitError never get here.
_STATUSES: Mapping[type, int] = {
    RequestRejected: 400,
    UnsupportedBody: 415,
    BodyTooLarge: 413,
    NotAuthenticated: 401,
    SignatureRejected: 401,
    LoginRejected: 403,
    NotSignedIn: 401,  # without a Basic challenge: a browser would show a password dialog
    Unanswerable: 422,
    UpstreamError: 502,
    CacheError: 503,
}


def error_response(status: int, message: str, *, headers: dict[str, str] | None = None) -> Response:
    """The chat's error shape; `debug` stays empty: nothing for an attacker."""
    body = orjson.dumps({"code": status, "version": API_VERSION, "error": message, "debug": ""})
    return Response(body, status_code=status, media_type=JSON, headers=headers)


def status_for(error: type[AdapterError]) -> int | None:
    """The status a class of domain error answers with; None for one that has none."""
    for cls in error.__mro__:
        status = _STATUSES.get(cls)
        if status is not None:
            return status
    return None


def response_for(exc: AdapterError) -> Response:
    """The status and message a domain error shows to the chat."""
    if isinstance(exc, NotAuthenticated):
        return error_response(401, "Authenticate required!", headers=_BASIC_CHALLENGE)
    status = status_for(type(exc))
    if status is None:
        return error_response(500, "Internal error")
    return error_response(status, exc.message)

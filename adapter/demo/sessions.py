"""Stateless signed session tokens for the demo site's login."""

from __future__ import annotations

import hashlib
import hmac
import time

DEMO_PASSWORD = "demo"  # noqa: S105 - the documented password of every demo user
SESSION_COOKIE = "demo_session"
SESSION_LIFETIME_SECONDS = 12 * 3600
_DEMO_KEY = b"imbachat-adapter demo upstream session key (not a secret)"
_MAX_TOKEN_LENGTH = 256


def _sign(payload: str) -> str:
    """HMAC-SHA256 of the payload under the fixed demo key, as hex."""
    return hmac.new(_DEMO_KEY, payload.encode("ascii"), hashlib.sha256).hexdigest()


def issue_session(user_id: int, *, now: float | None = None) -> str:
    """A token `<user_id>.<expires>.<signature>` valid for 12 hours."""
    issued = time.time() if now is None else now
    expires = int(issued) + SESSION_LIFETIME_SECONDS
    payload = f"{user_id}.{expires}"
    return f"{payload}.{_sign(payload)}"


def read_session(token: object, *, now: float | None = None) -> int | None:
    """The user id in a valid, unexpired token; None for anything else. Never raises."""
    if not isinstance(token, str) or len(token) > _MAX_TOKEN_LENGTH or not token.isascii():
        return None
    parts = token.strip().split(".")
    if len(parts) != 3:
        return None
    user_part, expires_part, signature = parts
    if not (user_part.isdigit() and expires_part.isdigit()):
        return None
    expected = _sign(f"{user_part}.{expires_part}")
    if not hmac.compare_digest(expected, signature):
        return None
    current = time.time() if now is None else now
    if int(expires_part) <= current:
        return None
    return int(user_part)

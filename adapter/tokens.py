"""Widget tokens (docs/protocol.md section 4), byte for byte what the vendor's PHP `getJWT` makes.

Header `{"typ":"JWT","alg":"HS256"}` in that order, payload `{"exp":<int>,"user_id":<int>}`,
compact JSON, base64url without padding, HMAC-SHA256 with the widget's secret key (or, as a
switch, the secret key followed by the widget id).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Any

import jwt

from adapter.config import TokenSettings
from adapter.memo import ComputedMemo

__all__ = [
    "IssuedToken",
    "require_numeric_dates",
    "signing_key",
    "widget_token",
]


@dataclass(frozen=True)
class IssuedToken:
    """A signed widget token and what it says."""

    token: str
    user_id: int
    expires_at: int


def signing_key(settings: TokenSettings) -> bytes:
    """The HMAC key for the configured variant."""
    key = settings.secret_key.get_secret_value()
    if settings.key_variant == "secret_plus_widget_id":
        key += settings.widget_id or ""
    return key.encode()


def widget_token(
    settings: TokenSettings, user_id: int, *, now: float | None = None, ttl: int | None = None
) -> IssuedToken:
    """Sign a token for `user_id`, valid for `ttl` seconds (default: the configured lifetime)."""
    if isinstance(user_id, bool) or not isinstance(user_id, int):
        raise TypeError(f"user_id must be an int, got {type(user_id).__name__}")
    lifetime = settings.lifetime_seconds if ttl is None else ttl
    if lifetime <= 0:
        raise ValueError(f"ttl must be positive, got {lifetime}")
    issued = time.time() if now is None else now
    expires_at = int(issued) + lifetime
    # Signed here rather than by jwt.encode: PyJWT re-checks the key's format (PEM, SSH) and
    # serialises through json on every call, most of a token's cost; the bytes are the same
    # (tests compare them).
    payload = _b64(f'{{"exp":{expires_at},"user_id":{user_id}}}'.encode())
    signing_input = _HEADER + b"." + payload
    mac = _KEYED_MACS[signing_key(settings)].copy()
    mac.update(signing_input)
    signature = _b64(mac.digest())
    token = (signing_input + b"." + signature).decode()
    return IssuedToken(token=token, user_id=user_id, expires_at=expires_at)


def _keyed_mac(key: bytes) -> hmac.HMAC:
    """HMAC-SHA256 keyed with `key`, to copy for each token: OpenSSL 3 spends more keying an
    HMAC (it looks SHA-256 up by name each time) than signing a token with it."""
    return hmac.new(key, digestmod=hashlib.sha256)


# By signing key: one in service, a few more in tests that change it.
_KEYED_MACS: ComputedMemo[bytes, hmac.HMAC] = ComputedMemo(4, _keyed_mac)


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


_HEADER = _b64(b'{"typ":"JWT","alg":"HS256"}')


def require_numeric_dates(claims: dict[str, Any]) -> None:
    """Raise `jwt.InvalidTokenError` unless each of `exp`, `nbf` and `iat` present is a number.

    RFC 7519 makes them JSON numbers, but PyJWT checks them with `int()`, so `"exp": "9999999999"`
    passes its verification and stays a string in the claims, where comparing it with the time
    fails later. Every JWT the adapter verifies goes through this right after `jwt.decode`.
    """
    for name in ("exp", "nbf", "iat"):
        value = claims.get(name, 0)  # an absent one is not checked
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise jwt.InvalidTokenError(f"{name} is not a number")

"""`POST {prefix}/webhooks/users-changed`: the site says which profiles changed; we forget them.

The signature (`X-Imbachat-Signature`, README "the webhook") is compared in constant time; a
timestamp outside the tolerance and a signature already used within it are refused. Used
signatures are remembered in the profile cache, so a shared Redis remembers across replicas.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

import orjson
import structlog
from fastapi import APIRouter, Request
from starlette.responses import Response

from adapter.bounded import TooLarge, read_bounded
from adapter.cache import Cache
from adapter.config import IdSettings, Settings
from adapter.directory import Directory
from adapter.errors import BodyTooLarge, CacheError, RequestRejected, SignatureRejected
from adapter.globalids import GlobalIds, build_global_ids
from adapter.web.edge import IDS_COUNT
from adapter.web.ids import parse_ids
from adapter.web.responses import API_VERSION, JSON, response_for

__all__ = [
    "SIGNATURE_HEADER",
    "NonceStore",
    "sign",
    "webhook_router",
]

log = structlog.get_logger(__name__)

SIGNATURE_HEADER = "X-Imbachat-Signature"
_MAX_HEADER = 1024
_HEX_LENGTH = 64
_MAX_TIMESTAMP_DIGITS = 12


class NonceStore:
    """Remembers the signatures already used, each for a while: the profile cache's short locks
    (SET NX with a TTL) under `{cache.prefix}webhook:`."""

    def __init__(self, settings: Settings, cache: Cache) -> None:
        self._cache = cache
        self._prefix = f"{settings.cache.prefix}webhook:"

    async def claim(self, nonce: str, ttl_seconds: float) -> bool:
        """True when `nonce` is not remembered; it then is, for `ttl_seconds`."""
        return await self._cache.acquire_lock(self._prefix + nonce, ttl_seconds)

    async def forget(self, nonce: str) -> None:
        """Let `nonce` be claimed again (a delivery that failed on our side)."""
        await self._cache.release_lock(self._prefix + nonce)


def _mac(secret: bytes, body: bytes, timestamp: int) -> str:
    return hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def sign(secret: bytes, body: bytes, timestamp: int) -> str:
    """The signature header value for `body` sent at `timestamp` (what the site computes)."""
    return f"t={timestamp},v1={_mac(secret, body, timestamp)}"


def _parse_header(value: str | None) -> tuple[int, list[str]]:
    if not value or len(value) > _MAX_HEADER:
        raise SignatureRejected(f"missing or oversized {SIGNATURE_HEADER} header")
    timestamp: int | None = None
    macs: list[str] = []
    for part in value.split(","):
        name, _, item = part.strip().partition("=")
        if name == "t" and item.isascii() and item.isdigit():
            if len(item) <= _MAX_TIMESTAMP_DIGITS:
                timestamp = int(item)
        elif name == "v1" and len(item) == _HEX_LENGTH:
            macs.append(item.lower())
    if timestamp is None or not macs:
        raise SignatureRejected(f"malformed {SIGNATURE_HEADER} header: expected t=<unix>,v1=<hex>")
    return timestamp, macs


def _verify(
    header: str | None, body: bytes, secret: bytes, *, now: float, tolerance: int
) -> tuple[int, str]:
    """The timestamp and the matching signature; SignatureRejected when they do not check out."""
    timestamp, macs = _parse_header(header)
    expected = _mac(secret, body, timestamp).encode()
    matching = [mac for mac in macs if hmac.compare_digest(mac.encode(), expected)]
    if not matching:
        raise SignatureRejected("the signature does not match the body")
    if abs(now - timestamp) > tolerance:
        raise SignatureRejected("the signature timestamp is too old or in the future")
    return timestamp, matching[0]


def _ids(body: bytes, settings: IdSettings, global_ids: GlobalIds | None = None) -> list[int | str]:
    """`[6, 7]` or `{"ids": [6, 7]}`, each id checked as the chat's ids are; a site of global
    ids may send its own (`VXNlcjo2`), which are decoded to the chat's."""
    try:
        data: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise RequestRejected("the body is not JSON") from None
    if isinstance(data, dict):
        data = data.get("ids")
    if not isinstance(data, list):
        raise RequestRejected('expected a JSON list of user ids, or {"ids": [...]}')
    items: list[str] = []
    for position, item in enumerate(data, start=1):
        if isinstance(item, int) and not isinstance(item, bool):
            text = str(item)
        elif isinstance(item, str) and item.strip() and settings.separator not in item:
            text = global_ids.local_id(item) if global_ids is not None else item
        else:
            shown = orjson.dumps(item)[:40].decode(errors="replace")
            raise RequestRejected(f"invalid user id {shown} at position {position}")
        items.append(text)
    return parse_ids(settings.separator.join(items), settings)


async def _read_body(request: Request, limit: int) -> bytes:
    try:
        return await read_bounded(
            request.stream(), limit, declared=request.headers.get("content-length")
        )
    except TooLarge:
        raise BodyTooLarge("the request body is too large") from None


def webhook_router(settings: Settings) -> APIRouter:
    """The users-changed webhook under the chat prefix; mount it only when a secret is set."""
    hooks = settings.webhooks
    secret = hooks.secret.get_secret_value().encode()
    router = APIRouter(prefix=settings.chat.prefix)
    global_ids = build_global_ids(settings.upstream.global_id)

    @router.post("/webhooks/users-changed", summary="Evict changed users (signed by the site)")
    async def users_changed(request: Request) -> Response:
        directory: Directory = request.state.directory
        nonces: NonceStore = request.state.nonces
        try:
            body = await _read_body(request, hooks.max_body_bytes)
            now = time.time()
            timestamp, mac = _verify(
                request.headers.get(SIGNATURE_HEADER),
                body,
                secret,
                now=now,
                tolerance=hooks.tolerance_seconds,
            )
            ids = _ids(body, settings.chat.ids, global_ids)
            # Remembered until the timestamp check alone would refuse it.
            if not await nonces.claim(mac, timestamp + hooks.tolerance_seconds - now + 1):
                raise SignatureRejected("this signature was already used; sign each delivery anew")
            try:
                await directory.invalidate(ids)
            except CacheError:
                await nonces.forget(mac)  # let the site retry as is
                raise CacheError("the shared cache is unavailable; retry later") from None
        except (RequestRejected, SignatureRejected, CacheError) as refused:
            response = response_for(refused)
            log.warning("webhook_refused", status=response.status_code, reason=refused.message)
            return response
        request.scope[IDS_COUNT] = len(ids)
        log.info("webhook_users_changed", ids=len(ids))
        body = orjson.dumps({"code": 200, "version": API_VERSION, "invalidated": len(ids)})
        return Response(body, media_type=JSON)

    return router

"""Who is asking: the site says so, from the page's own credentials; the caller never does.

`upstream`: the configured headers and cookies go to the site's viewer query through a client of
its own, carrying none of the adapter's service credentials, so a request without the viewer's
own can never run as the service. `jwt`: the site's session JWT, verified with the configured
algorithms, issuer, audience and keys, never the token's say. Each request proves who it is
again; only a session JWT's verification with the secret is remembered (`exp` checked on every use).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any, Protocol

import httpx
import jwt
import structlog
from starlette.datastructures import Headers
from starlette.requests import cookie_parser

from adapter.config import (
    MAX_CHAT_ID,
    JwtViewerSettings,
    Settings,
    UpstreamViewerSettings,
    ViewerOperation,
    chat_int_id,
)
from adapter.errors import (
    UpstreamGraphQLError,
    UpstreamStatusError,
    UpstreamUnavailable,
    ViewerIdInvalid,
)
from adapter.globalids import GlobalIds, build_global_ids
from adapter.memo import Memo
from adapter.metrics import Metrics
from adapter.operations import Operations
from adapter.operations.document import Operation, load_operation
from adapter.paths import dig
from adapter.tokens import require_numeric_dates
from adapter.upstream import UpstreamClient

__all__ = [
    "JwtViewer",
    "UpstreamViewer",
    "ViewerSource",
    "build_viewer",
    "viewer_operation",
]

log = structlog.get_logger(__name__)

# The site saying "not signed in" with a status instead of `viewer: null`.
_REFUSED_STATUSES = frozenset({401, 403})


class ViewerSource(Protocol):
    async def identify(self, headers: Mapping[str, str]) -> int | None:
        """The viewer's user id, or None when the request is anonymous."""

    async def aclose(self) -> None: ...


def _user_id(value: Any, where: str) -> int | None:
    if value is None:
        return None
    user_id = chat_int_id(value)
    if user_id is None:
        raise ViewerIdInvalid(
            f"the viewer id at {where} is not a chat user id (an integer from 0 to {MAX_CHAT_ID})"
        )
    return user_id


def _lowered(headers: Mapping[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def _last(headers: Mapping[str, str], name: str) -> str | None:
    """The header `name` (lower case) as `_lowered` keeps it, the last if repeated; from a
    request's Headers without decoding all of them."""
    if isinstance(headers, Headers):
        values = headers.getlist(name)
        return values[-1] if values else None
    return _lowered(headers).get(name)


class UpstreamViewer:
    """The site's viewer query, run with the page's credentials and nothing else."""

    def __init__(
        self,
        settings: UpstreamViewerSettings,
        *,
        operation: Operation,
        result_path: tuple[str, ...],
        client: UpstreamClient,
        global_ids: GlobalIds | None = None,
    ) -> None:
        self._headers = [name.lower() for name in settings.forward_headers]
        self._cookies = frozenset(n for n in settings.forward_cookies if not n.endswith("*"))
        # `wordpress_logged_in_*`: WordPress names its session cookie after the site's hash.
        self._cookie_prefixes = tuple(
            n.removesuffix("*") for n in settings.forward_cookies if n.endswith("*")
        )
        self._document = operation.text
        self._path = result_path
        self._where = ".".join(result_path)
        self._global_ids = global_ids
        self.client = client

    def forwarded(self, headers: Mapping[str, str]) -> dict[str, str]:
        """The configured headers and cookies of this request; nothing else."""
        given = _lowered(headers)
        chosen = {name: given[name] for name in self._headers if name in given}
        if (self._cookies or self._cookie_prefixes) and "cookie" in given:
            kept = [
                part.strip()
                for part in given["cookie"].split(";")
                if (name := part.partition("=")[0].strip()) in self._cookies
                or (self._cookie_prefixes and name.startswith(self._cookie_prefixes))
            ]
            if kept:
                chosen["cookie"] = "; ".join(kept)
        return chosen

    async def identify(self, headers: Mapping[str, str]) -> int | None:
        credentials = self.forwarded(headers)
        if not credentials:
            return None  # nothing to prove who this is: anonymous, without asking the site
        try:
            result = await self.client.execute(self._document, {}, headers=credentials)
        except UpstreamGraphQLError:
            log.info("viewer_refused_by_site", reason="graphql_errors")
            return None
        except UpstreamStatusError as exc:
            if exc.status_code not in _REFUSED_STATUSES:
                raise
            log.info("viewer_refused_by_site", reason=f"http_{exc.status_code}")
            return None
        found = dig(result.data, self._path)
        if isinstance(found, str) and self._global_ids is not None:
            found = self._global_ids.local_id(found)
        return _user_id(found, self._where)

    async def aclose(self) -> None:
        await self.client.aclose()


class JwtViewer:
    """The site's own session JWT, verified with the configured algorithms and keys."""

    def __init__(self, settings: JwtViewerSettings) -> None:
        self.settings = settings
        self._secret = settings.secret.get_secret_value().encode() if settings.secret else None
        self._audience = settings.audience
        self.jwks = None
        if self._secret is None:
            assert settings.jwks_url is not None  # the settings' validator guarantees it
            self.jwks = jwt.PyJWKClient(
                settings.jwks_url,
                cache_jwk_set=True,
                lifespan=settings.jwks_cache_seconds,
                cooldown_duration=settings.jwks_refresh_cooldown_seconds,
                timeout=settings.jwks_timeout_seconds,
            )
        self._require = ["exp", "iss", "aud", settings.user_id_claim]
        # Claims of session tokens verified with the secret, by token. A page asks for its widget
        # token with the same session again and again, and PyJWT's verification is most of an
        # `issueChatToken`'s cost. Signed by a secret that cannot change while the process runs,
        # a token stays verified but for `exp`, checked on every use. Not for keys from a JWKS,
        # which can be withdrawn.
        self._verified = Memo[str, dict[str, Any]](4096) if self._secret is not None else None

    def token(self, headers: Mapping[str, str]) -> str | None:
        """The raw token of this request, if it carries one."""
        settings = self.settings
        if settings.header is not None:
            value = _last(headers, settings.header.lower())
            if value is None:
                return None
            if settings.scheme:
                scheme, _, rest = value.strip().partition(" ")
                if scheme.lower() != settings.scheme.lower():
                    return None
                value = rest
            return value.strip() or None
        assert settings.cookie is not None  # the settings' validator guarantees one of them
        return cookie_parser(_last(headers, "cookie") or "").get(settings.cookie) or None

    async def identify(self, headers: Mapping[str, str]) -> int | None:
        token = self.token(headers)
        if token is None or len(token) > self.settings.max_token_bytes:
            return None
        verified = self._verified
        claims = verified.get(token) if verified is not None else None
        if claims is not None and time.time() - self.settings.leeway_seconds >= claims["exp"]:
            claims = None  # expired: verified again, which refuses it
        if claims is None:
            claims = await self._verify(token)
            if claims is None:
                return None
            if verified is not None:
                verified.remember(token, claims)
        return _user_id(claims.get(self.settings.user_id_claim), self.settings.user_id_claim)

    async def _verify(self, token: str) -> dict[str, Any] | None:
        """The token's claims when its signature, issuer, audience and times check out."""
        try:
            key: Any = self._secret if self._secret is not None else await self._public_key(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=list(self.settings.algorithms),
                issuer=self.settings.issuer,
                audience=self._audience,
                leeway=self.settings.leeway_seconds,
                # The id claim is checked below, whatever its name; PyJWT would insist that
                # `sub` be a string, and many sites put a number there.
                options={"require": self._require, "verify_sub": False},
            )
            # A string `exp` passes PyJWT; remembered, it would break every later use.
            require_numeric_dates(claims)
        except jwt.PyJWTError as exc:
            log.info("viewer_token_rejected", reason=type(exc).__name__)
            return None
        return claims

    async def _public_key(self, token: str) -> jwt.PyJWK:
        assert self.jwks is not None
        try:
            # urllib under the hood: off the event loop.
            return await asyncio.to_thread(self.jwks.get_signing_key_from_jwt, token)
        except jwt.PyJWKClientConnectionError as exc:
            raise UpstreamUnavailable("the site's signing keys (JWKS) cannot be fetched") from exc

    async def aclose(self) -> None:
        return None


def viewer_operation(
    settings: Settings, operations: Operations
) -> tuple[Operation, tuple[str, ...]]:
    """The viewer document (default resolvers/viewer.graphql) and the path of the id in it."""
    configured = settings.upstream.operations.viewer or ViewerOperation()
    operation = operations.viewer or load_operation(settings.resolve(configured.document))
    path = configured.result_path or f"{'.'.join(operation.result_path(None))}.id"
    return operation, tuple(path.split("."))


def build_viewer(
    settings: Settings,
    operations: Operations,
    *,
    metrics: Metrics,
    transport: httpx.AsyncBaseTransport | None = None,
    url: str | None = None,
) -> ViewerSource:
    """The configured viewer source (settings.viewer must be set)."""
    viewer = settings.viewer
    assert viewer is not None
    if viewer.mode == "jwt":
        assert viewer.jwt is not None
        return JwtViewer(viewer.jwt)
    operation, path = viewer_operation(settings, operations)
    kept = set(viewer.upstream.keep_service_headers)
    upstream = settings.upstream.model_copy(
        update={"headers": {k: v for k, v in settings.upstream.headers.items() if k in kept}}
    )
    client = UpstreamClient(upstream, metrics=metrics, transport=transport, url=url)
    return UpstreamViewer(
        viewer.upstream,
        operation=operation,
        result_path=path,
        client=client,
        global_ids=build_global_ids(settings.upstream.global_id),
    )

"""CORS for the GraphQL path only: an allow-list of exact origins, with credentials.

Browsers enforce CORS on reading answers; this also refuses, with a 403, any request whose
`Origin` is neither listed nor exactly this request's own origin (scheme, host and port), so a
cross-site page cannot even make the adapter ask the site who its visitor is; a preflight too.
Requests without `Origin` pass here: a gateway's or a server's carry no ambient credentials.
A browser leaves `Origin` off only a GET or HEAD (an image, a script, a link); the endpoint
refuses those that run an operation when `Sec-Fetch-Site` says another site caused them
(`fetched_by_another_site`, gettoken's rule too).
Every refusal has the API's JSON error shape, Starlette's plain-text preflight refusals too.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.http.websocket_origin import normalize_origin

from adapter.config import CorsSettings
from adapter.web.graphql.errors import graphql_error_response

__all__ = ["GraphQLCors", "fetched_by_another_site", "is_own_origin"]

_DEFAULT_PORTS = {"http": ":80", "https": ":443"}
_VARY_ORIGIN = (b"vary", b"Origin")
# `none`: the user opened the URL themselves; nothing another site can cause.
_SAFE_FETCH_SITES = frozenset({"same-origin", "none"})


def is_own_origin(origin: str, scope: Scope) -> bool:
    """Is `origin` exactly this request's own origin: the scheme it arrived with (behind a TLS
    proxy, uvicorn's from the trusted X-Forwarded-Proto), Host, no default port?

    Compared exactly as browsers send it: `https://` for an http host, a trailing slash or a
    port written `09101` is some other origin, or no browser's. `/graphql` and `gettoken` both
    use this rule.
    """
    host = Headers(scope=scope).get("host", "").strip().lower()
    if not host:
        return False
    scheme = str(scope.get("scheme", "http"))
    default = _DEFAULT_PORTS.get(scheme)
    if default is not None and host.endswith(default):
        host = host.removesuffix(default)
    return origin == f"{scheme}://{host}"


def fetched_by_another_site(headers: Headers) -> bool:
    """Does `Sec-Fetch-Site` say another site's page (`cross-site`, `same-site`) made this
    request? Browsers send it with every request, `Origin` not with a GET an `<img>` or a
    `<script>` makes; a request without it (a server's, an old browser's) is not refused."""
    site = headers.get("sec-fetch-site")
    return site is not None and site.lower() not in _SAFE_FETCH_SITES


class GraphQLCors:
    """Pure ASGI middleware around the GraphQL endpoint."""

    def __init__(
        self, app: ASGIApp, *, settings: CorsSettings, allow_headers: Iterable[str]
    ) -> None:
        self.app = app
        self.allowed = frozenset(
            origin
            for origin in (normalize_origin(o) for o in settings.allowed_origins)
            if origin is not None
        )
        self.cors = CORSMiddleware(
            app,
            allow_origins=sorted(self.allowed),
            allow_credentials=True,
            allow_methods=["GET", "POST"],
            allow_headers=sorted({"content-type", *(h.lower() for h in allow_headers)}),
            max_age=settings.max_age_seconds,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = Headers(scope=scope).get("origin")
        if origin is None:
            # Not from a browser page: Starlette's CORS would only add `Vary: Origin` (the
            # endpoint never sets Vary itself), at a twentieth of a token request's cost.
            async def send_vary(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message["headers"] = [*message.get("headers", ()), _VARY_ORIGIN]
                await send(message)

            await self.app(scope, receive, send_vary)
            return
        # Listed, or this host itself (exactly as a browser names it).
        allowed = normalize_origin(origin) in self.allowed or is_own_origin(origin, scope)
        if not allowed:
            response = graphql_error_response(
                403, "this origin may not call the API", "FORBIDDEN_ORIGIN"
            )
            await response(scope, receive, send)
            return
        headers = Headers(scope=scope) if scope["method"] == "OPTIONS" else None
        if headers is not None and "access-control-request-method" in headers:
            response = self.cors.preflight_response(request_headers=headers)
            if response.status_code != 200:  # a method or header not allowed, in plain text
                text = bytes(response.body).decode()
                response = graphql_error_response(response.status_code, text, "BAD_REQUEST")
            await response(scope, receive, send)
            return
        await self.cors(scope, receive, send)

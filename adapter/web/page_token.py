"""`GET {prefix}/gettoken`: the widget token for a server-rendered page of the site.

The WordPress plugin's route, with `issueChatToken`'s rules and budgets (docs/protocol.md
section 3): the viewer is whoever the site says is signed in, and only the site's own pages
get an answer (`Origin` as `/graphql` compares it, `Sec-Fetch-Site`), never stored by a cache.
"""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from adapter.config import Settings
from adapter.errors import RateLimited
from adapter.metrics import Metrics
from adapter.web.graphql.cors import is_own_origin
from adapter.web.graphql.services import FrontendApi
from adapter.web.responses import JSON, error_response

__all__ = ["page_token_router"]

_UNKNOWN_ADDRESS = "unknown"
# `none`: the user opened the URL themselves; nothing another site can cause.
_SAFE_FETCH_SITES = frozenset({"same-origin", "none"})
_PRIVATE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def _from_this_site(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is not None and not is_own_origin(origin, request.scope):
        return False
    fetch_site = request.headers.get("sec-fetch-site")
    return fetch_site is None or fetch_site.lower() in _SAFE_FETCH_SITES


def page_token_router(settings: Settings) -> APIRouter:
    """The gettoken route under the chat's prefix (mount only when `graphql` is set)."""
    router = APIRouter(prefix=settings.chat.prefix)

    @router.get("/gettoken", summary="Widget token for the signed-in viewer of a site page")
    async def get_token(request: Request) -> Response:
        metrics: Metrics = request.state.metrics
        if not _from_this_site(request):
            metrics.tokens.add("forbidden_origin")
            return error_response(403, "only the site's own pages may ask for a token")
        frontend: FrontendApi = request.state.frontend
        address = request.client.host if request.client else _UNKNOWN_ADDRESS
        try:
            issued = await frontend.viewer_token(
                lambda: frontend.identify(request.headers, address)
            )
        except RateLimited as exc:
            return error_response(429, exc.message, headers={**_PRIVATE, **exc.headers})
        body = {"token": issued.token, "user_id": issued.user_id, "expires_at": issued.expires_at}
        return Response(orjson.dumps(body), media_type=JSON, headers=_PRIVATE)

    return router

"""The chat-facing REST routes (docs/protocol.md sections 1-3), with the plugins' route names.

`gettoken`, the WordPress plugin's widget token for a server-rendered page, has
`issueChatToken`'s rules and budgets: the viewer is whoever the site says is signed in, and
only the site's own pages get an answer (`Origin` as `/graphql` compares it, `Sec-Fetch-Site`),
never stored by a cache.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from adapter.config import Settings
from adapter.directory import Directory, join_profiles
from adapter.errors import LoginRejected, RateLimited, RequestRejected
from adapter.mapping import ChatUser
from adapter.metrics import Metrics
from adapter.site_users import Accounts
from adapter.web.auth import ChatServerAuth
from adapter.web.graphql.cors import fetched_by_another_site, is_own_origin
from adapter.web.graphql.services import FrontendApi, client_address
from adapter.web.ids import parse_ids
from adapter.web.responses import API_VERSION, JSON, PRIVATE, error_response

__all__ = ["chat_router"]

_LOGIN_FIELDS = ("login", "username", "email")
# WordPress's `authuser` reads only these.
_PLUGIN_LOGIN_FIELDS = ("username",)
_MAX_FORM_FIELD = 1024
# Calls of the plugins the adapter refuses on purpose (docs/protocol.md section 3).
_REFUSED = {
    "sync": "sync is not offered: it overwrites the site's API credentials without authentication",
    "getauthdata": "getauthdata is not offered: it hands out the site's API credentials",
}


# A dependency is `async def` on purpose: FastAPI runs a plain `def` one in a worker thread,
# and a thread hop costs more than the rest of an answer from the cache.
async def _accounts(request: Request) -> Accounts:
    accounts: Accounts = request.state.accounts
    return accounts


SiteAccounts = Annotated[Accounts, Depends(_accounts)]


def _refusal(reason: str) -> Callable[[], Coroutine[Any, Any, Response]]:
    async def refuse() -> Response:
        return error_response(404, reason)

    return refuse


async def _login(request: Request, accounts: Accounts, fields: tuple[str, ...]) -> ChatUser:
    """The site's user for the form's login (the first of `fields` given) and password."""
    form = await request.form(max_files=0, max_fields=16)
    login = next((form[f] for f in fields if isinstance(form.get(f), str)), None)
    password = form.get("password")
    if not isinstance(login, str) or not isinstance(password, str) or not login:
        others = f" (or {', or '.join(fields[1:])})" if len(fields) > 1 else ""
        raise LoginRejected(f"give {fields[0]}{others} and password")
    if len(login) > _MAX_FORM_FIELD or len(password) > _MAX_FORM_FIELD:
        raise LoginRejected("Wrong login or password")
    return await accounts.login(login, password)


def _from_this_site(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is not None and not is_own_origin(origin, request.scope):
        return False
    return not fetched_by_another_site(request.headers)


def chat_router(settings: Settings) -> APIRouter:
    """The routes under the configured prefix, bound to these settings."""
    version = orjson.dumps({"version": API_VERSION, "type": settings.chat.product_name})
    authenticated = [Depends(ChatServerAuth(settings.chat))]
    router = APIRouter(prefix=settings.chat.prefix)

    @router.get("", include_in_schema=True, summary="API version (no authentication)")
    @router.get("/", include_in_schema=False)
    async def api_version() -> Response:
        return Response(version, media_type=JSON)

    # The users-info routes are the edge's (web/users_info.py).

    if settings.upstream.operations.search is not None:
        search = settings.upstream.operations.search

        def search_text(raw: str) -> str:
            text = raw.strip()
            if not search.min_length <= len(text) <= search.max_length:
                raise RequestRejected(
                    f"the search text must be {search.min_length} to {search.max_length} characters"
                )
            return text

        @router.get("/search/{key}", summary="User search", dependencies=authenticated)
        async def search_users(key: str, accounts: SiteAccounts) -> Response:
            users = await accounts.search(search_text(key))
            body = {"code": 200, "version": API_VERSION, "data": users}
            return Response(orjson.dumps(body), media_type=JSON)

        @router.post(
            "/searchusers/{text}",
            summary="User search (WordPress: `_` for a space, a plain array)",
            dependencies=authenticated,
        )
        async def search_users_plugin(text: str, accounts: SiteAccounts) -> Response:
            users = await accounts.search(search_text(text.replace("_", " ")))
            found = [{"user_id": user["user_id"], "name": user["name"]} for user in users]
            return Response(orjson.dumps(found), media_type=JSON)

    if settings.upstream.operations.login is not None:

        @router.post("/auth_users", summary="Password login", dependencies=authenticated)
        async def auth_users(request: Request, accounts: SiteAccounts) -> Response:
            user = await _login(request, accounts, _LOGIN_FIELDS)
            body = {"user_id": user["user_id"], "name": user["name"]}
            return Response(orjson.dumps(body), media_type=JSON)

        @router.post("/authuser", summary="Password login (WordPress)", dependencies=authenticated)
        async def auth_user(request: Request, accounts: SiteAccounts) -> Response:
            user = await _login(request, accounts, _PLUGIN_LOGIN_FIELDS)
            body = {"user_id": user["user_id"], "name": user["name"]}
            if user.get("chat_role") == "admin":
                body["user_role"] = "admin"
            return Response(orjson.dumps(body), media_type=JSON)

    @router.get("/user/friends/{user_id}", summary="A user's friends", dependencies=authenticated)
    async def friends(user_id: str, request: Request) -> Response:
        directory: Directory = request.state.directory
        ids = parse_ids(user_id, settings.chat.ids)
        if len(ids) != 1:
            raise RequestRejected("give one user id")
        # Without a friends operation the directory answers the plugins' 422.
        return Response(join_profiles(await directory.friends(ids[0])), media_type=JSON)

    if settings.graphql is not None:

        @router.get("/gettoken", summary="Widget token for the signed-in viewer of a site page")
        async def get_token(request: Request) -> Response:
            metrics: Metrics = request.state.metrics
            if not _from_this_site(request):
                metrics.tokens.add("forbidden_origin")
                return error_response(403, "only the site's own pages may ask for a token")
            frontend: FrontendApi = request.state.frontend
            address = client_address(request.scope)
            try:
                issued = await frontend.viewer_token(
                    lambda: frontend.identify(request.headers, address)
                )
            except RateLimited as exc:
                return error_response(429, exc.message, headers={**PRIVATE, **exc.headers})
            body = {
                "token": issued.token,
                "user_id": issued.user_id,
                "expires_at": issued.expires_at,
            }
            return Response(orjson.dumps(body), media_type=JSON, headers=PRIVATE)

    for name, reason in _REFUSED.items():
        router.add_api_route(
            f"/{name}",
            _refusal(reason),
            methods=["GET", "POST"],
            include_in_schema=False,
        )

    return router

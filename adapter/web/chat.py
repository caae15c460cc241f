"""The chat-facing REST routes (docs/protocol.md sections 1-3), with the plugins' route names."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.routing import APIRoute
from starlette.responses import Response

from adapter.accounts import Accounts
from adapter.config import Settings
from adapter.directory import Directory
from adapter.errors import LoginRejected, RequestRejected
from adapter.mapping import ChatUser
from adapter.web.auth import ChatServerAuth
from adapter.web.ids import parse_ids
from adapter.web.responses import API_VERSION, JSON, error_response
from adapter.web.users_info import (
    USERS_ROUTES,
    UsersForm,
    UsersInfo,
    join_profiles,
    path_parameter,
)

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


# Dependencies are `async def` on purpose: FastAPI runs a plain `def` one in a worker thread,
# and two thread hops per call cost more than the rest of a warm users-info answer.
async def _directory(request: Request) -> Directory:
    directory: Directory = request.state.directory
    return directory


async def _accounts(request: Request) -> Accounts:
    accounts: Accounts = request.state.accounts
    return accounts


Users = Annotated[Directory, Depends(_directory)]
SiteAccounts = Annotated[Accounts, Depends(_accounts)]


class _PlainRoute(APIRoute):
    """A route FastAPI documents but does not solve: the endpoint reads the request itself.

    The endpoint is called with the request alone. Dependency solving and the response
    machinery cost a fifth of a warm users-info answer (BENCHMARKS.md); the OpenAPI document
    still lists the route and the parameters given in `openapi_extra`.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        endpoint = self.endpoint

        async def handle(request: Request) -> Response:
            response: Response = await endpoint(request)
            return response

        return handle


def _users_endpoint(
    info: UsersInfo, form: UsersForm, parameter: str | None
) -> Callable[[Request], Coroutine[Any, Any, Response]]:
    async def users_info(request: Request) -> Response:
        ids = info.ids(
            form,
            query_string=request.scope.get("query_string", b""),
            path_value=request.path_params.get(parameter) if parameter else None,
            authorization=request.headers.get("authorization"),
        )
        request.state.ids_count = len(ids)
        directory: Directory = request.state.directory
        return Response(await info.answer(directory, ids), media_type=JSON)

    return users_info


_USERS_SUMMARIES = {
    "/users": "Users info, ids in the query string",
    "/getusers/{user_ids}": "Users info, ids in the path (WordPress)",
    "/users/{user_ids}": "Users info, ids in the path (OctoberCMS)",
}


def _users_documentation(form: UsersForm, parameter: str | None) -> dict[str, Any]:
    # The endpoints read their parameters themselves, so the OpenAPI document is told of them.
    if form == "path":
        where = [{"name": parameter, "in": "path", "required": True}]
    else:
        where = [{"name": name, "in": "query", "required": False} for name in ("user_ids", "ids")]
    return {"parameters": [{**item, "schema": {"type": "string"}} for item in where]}


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


def chat_router(settings: Settings) -> APIRouter:
    """The routes under the configured prefix, bound to these settings."""
    auth = ChatServerAuth(settings.chat)
    version = orjson.dumps({"version": API_VERSION, "type": settings.chat.product_name})

    async def chat_server(request: Request) -> None:
        auth.check(request)

    authenticated = [Depends(chat_server)]
    router = APIRouter(prefix=settings.chat.prefix)

    @router.get("", include_in_schema=True, summary="API version (no authentication)")
    @router.get("/", include_in_schema=False)
    async def api_version() -> Response:
        return Response(version, media_type=JSON)

    # The users-info routes: answered by the fast path in front of FastAPI (web/fast_path.py),
    # listed here for the OpenAPI document and for when the fast path is off.
    info = UsersInfo(settings)
    for template, form in USERS_ROUTES:
        parameter = path_parameter(template)[1] if form == "path" else None
        router.add_api_route(
            template,
            _users_endpoint(info, form, parameter),
            methods=["GET"],
            name=f"users_by_{form}",
            summary=_USERS_SUMMARIES[template],
            openapi_extra=_users_documentation(form, parameter),
            route_class_override=_PlainRoute,
        )

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
    async def friends(user_id: str, directory: Users) -> Response:
        ids = parse_ids(user_id, settings.chat.ids)
        if len(ids) != 1:
            raise RequestRejected("give one user id")
        # Without a friends operation the directory answers the plugins' 422.
        return Response(join_profiles(await directory.friends(ids[0])), media_type=JSON)

    for name, reason in _REFUSED.items():
        router.add_api_route(
            f"/{name}",
            _refusal(reason),
            methods=["GET", "POST"],
            include_in_schema=False,
        )

    return router

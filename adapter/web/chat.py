"""The chat-facing REST routes (docs/protocol.md sections 1-3)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.routing import APIRoute
from starlette.responses import Response

from adapter.config import Settings
from adapter.directory import Directory
from adapter.errors import LoginRejected, RequestRejected
from adapter.web.auth import ChatServerAuth
from adapter.web.ids import parse_ids
from adapter.web.responses import API_VERSION, JSON

__all__ = ["chat_router"]

_LOGIN_FIELDS = ("login", "username", "email")
_MAX_FORM_FIELD = 1024


# Dependencies are `async def` on purpose: FastAPI runs a plain `def` one in a worker thread,
# and two thread hops per call cost more than the rest of a warm users-info answer.
async def _directory(request: Request) -> Directory:
    directory: Directory = request.state.directory
    return directory


Users = Annotated[Directory, Depends(_directory)]


class _PlainRoute(APIRoute):
    """A route FastAPI documents but does not solve: the endpoint reads the request itself.

    The endpoint is called with the request and the path parameters as text. Dependency
    solving and the response machinery cost a fifth of a warm users-info answer
    (BENCHMARKS.md); the OpenAPI document still lists the route and its parameters.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        endpoint = self.endpoint

        async def handle(request: Request) -> Response:
            response: Response = await endpoint(request, **request.path_params)
            return response

        return handle


def _array(profiles: list[bytes]) -> Response:
    # The profiles were encoded when they were fetched; the answer only joins them.
    return Response(b"[" + b",".join(profiles) + b"]", media_type=JSON)


def chat_router(settings: Settings) -> APIRouter:
    """The routes under the configured prefix, bound to these settings."""
    auth = ChatServerAuth(settings.chat)
    ids_settings = settings.chat.ids
    version = orjson.dumps({"version": API_VERSION, "type": settings.chat.product_name})

    async def chat_server(request: Request) -> None:
        auth.check(request)

    authenticated = [Depends(chat_server)]
    router = APIRouter(prefix=settings.chat.prefix)

    @router.get("", include_in_schema=True, summary="API version (no authentication)")
    @router.get("/", include_in_schema=False)
    async def api_version() -> Response:
        return Response(version, media_type=JSON)

    # The two users-info routes are the chat's hot path: plain routes that check the
    # credentials and take the directory themselves. The other routes keep the dependencies.
    async def users_by_query(request: Request) -> Response:
        auth.check(request)
        values = request.query_params.getlist("user_ids") + request.query_params.getlist("ids")
        if not values:
            raise RequestRejected("give the user ids as user_ids=1,2,3")
        ids = parse_ids(ids_settings.separator.join(values), ids_settings)
        request.state.ids_count = len(ids)
        directory: Directory = request.state.directory
        return _array(await directory.lookup(ids))

    async def users_by_path(request: Request, user_ids: str) -> Response:
        auth.check(request)
        ids = parse_ids(user_ids, ids_settings)
        request.state.ids_count = len(ids)
        directory: Directory = request.state.directory
        return _array(await directory.lookup(ids))

    # The query form reads its parameters itself, so the OpenAPI document is told of them.
    id_lists = {
        "parameters": [
            {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}
            for name in ("user_ids", "ids")
        ]
    }
    for path, endpoint, summary, extra in (
        ("/users", users_by_query, "Users info, ids in the query string", id_lists),
        ("/getusers/{user_ids}", users_by_path, "Users info, ids in the path", None),
    ):
        router.add_api_route(
            path,
            endpoint,
            methods=["GET"],
            summary=summary,
            openapi_extra=extra,
            route_class_override=_PlainRoute,
        )

    if settings.upstream.operations.search is not None:
        search = settings.upstream.operations.search

        @router.get("/search/{key}", summary="User search", dependencies=authenticated)
        async def search_users(key: str, directory: Users) -> Response:
            text = key.strip()
            if not search.min_length <= len(text) <= search.max_length:
                raise RequestRejected(
                    f"the search text must be {search.min_length} to {search.max_length} characters"
                )
            users = await directory.search(text)
            body = {"code": 200, "version": API_VERSION, "data": users}
            return Response(orjson.dumps(body), media_type=JSON)

    if settings.upstream.operations.login is not None:

        @router.post("/auth_users", summary="Password login", dependencies=authenticated)
        async def auth_users(request: Request, directory: Users) -> Response:
            form = await request.form(max_files=0, max_fields=16)
            login = next((form[f] for f in _LOGIN_FIELDS if isinstance(form.get(f), str)), None)
            password = form.get("password")
            if not isinstance(login, str) or not isinstance(password, str) or not login:
                raise LoginRejected("give login (or username, or email) and password")
            if len(login) > _MAX_FORM_FIELD or len(password) > _MAX_FORM_FIELD:
                raise LoginRejected("Wrong login or password")
            user = await directory.login(login, password)
            body = {"user_id": user["user_id"], "name": user["name"]}
            return Response(orjson.dumps(body), media_type=JSON)

    return router

"""The demo upstream as an ASGI app: GraphQL (also as a subgraph, and subscriptions over
WebSocket), avatars, counters, outbox."""

from __future__ import annotations

import asyncio
import os
import re
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.schema import BaseSchema

from adapter.demo.avatars import avatar_png
from adapter.demo.data import CDN_BASE, DemoDirectory, DemoUser
from adapter.demo.notifications import NotificationLog
from adapter.demo.schema import DemoContext, build_schema
from adapter.demo.subgraph import build_subgraph_schema

# Where the avatar URLs point: the demo serves the files at <its base>/avatars/<id>.png, so
# `make demo` sets this to the demo's own address (a root-relative path works for its page).
AVATAR_BASE_ENV = "IMBACHAT_DEMO_AVATAR_BASE"


@dataclass(slots=True)
class RequestCounter:
    """How many HTTP requests reached /graphql since start or the last reset, and which ids."""

    value: int = 0
    asked: Counter[str] = field(default_factory=Counter)


class _DemoGraphQL(GraphQL[DemoContext, None]):
    """Strawberry's ASGI view with the directory in the context; with a `counter`, it counts its
    HTTP requests (and the ids asked for), each delayed `latency` seconds."""

    def __init__(
        self,
        directory: DemoDirectory,
        notifications: NotificationLog,
        schema: BaseSchema | None = None,
        *,
        counter: RequestCounter | None = None,
        latency: float = 0.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        super().__init__(schema or build_schema(), graphql_ide="graphiql")
        self._directory = directory
        self._notifications = notifications
        self._counter = counter
        self._latency = latency
        self._sleep = sleep

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self._counter is not None:
            self._counter.value += 1
            if self._latency > 0:
                await self._sleep(self._latency)
        await super().__call__(scope, receive, send)

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> DemoContext:
        return {
            "request": request,
            "response": response if isinstance(response, Response) else Response(),
            "directory": self._directory,
            "asked": self._counter.asked if self._counter is not None else Counter(),
            "notifications": self._notifications,
        }


async def _stats(request: Request) -> JSONResponse:
    """`GET /stats`: the GraphQL request count."""
    return JSONResponse({"graphql_requests": request.app.state.graphql_counter.value})


async def _asked_ids(request: Request) -> JSONResponse:
    """`GET /stats/ids`: how often each user id was asked for."""
    return JSONResponse({"user_ids": dict(request.app.state.graphql_counter.asked)})


async def _reset_stats(request: Request) -> JSONResponse:
    """`POST /stats/reset`: set the counts back to zero."""
    counter: RequestCounter = request.app.state.graphql_counter
    counter.value = 0
    counter.asked.clear()
    return JSONResponse({"graphql_requests": 0})


_AVATAR_FILE = re.compile(r"^([1-9][0-9]{0,8})(-[A-Z])?\.png$")


def _has_avatar(user: DemoUser, path: str) -> bool:
    """Whether `path` (avatars/<id>.png, profiles/<id>-<letter>.png) is one of the user's."""
    if path.startswith("avatars/"):
        return user.avatar is not None and user.avatar.file == path
    return any(
        p.avatar_url is not None and p.avatar_url.endswith(f"/{path}") for p in user.profiles
    )


async def _picture(request: Request, folder: str) -> Response:
    """`GET /avatars/<id>.png`, `GET /profiles/<id>-<letter>.png`: the picture of a user (or of
    their sub-profile) who has it, or 404."""
    directory: DemoDirectory = request.app.state.directory
    name = request.path_params["name"]
    match = _AVATAR_FILE.match(name)
    user = directory.get(int(match.group(1))) if match else None
    path = f"{folder}/{name}"
    if user is None or not _has_avatar(user, path):
        return Response("no such avatar", status_code=404, media_type="text/plain")
    return Response(
        avatar_png(path), media_type="image/png", headers={"Cache-Control": "public, max-age=86400"}
    )


async def _notifications(request: Request) -> JSONResponse:
    """`GET /notifications`: what the site was asked to tell its users, newest first."""
    log: NotificationLog = request.app.state.notifications
    return JSONResponse(
        {
            "notifications": [
                {"user_id": n.user_id, "email": n.email, "title": n.title, "body": n.body}
                for n in log.recent(len(log))
            ]
        }
    )


async def _clear_notifications(request: Request) -> JSONResponse:
    """`POST /notifications/clear`: forget them (tests start from none)."""
    log: NotificationLog = request.app.state.notifications
    log.clear()
    return JSONResponse({"notifications": []})


def create_demo_upstream_app(
    *, latency: float = 0.0, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
) -> Starlette:
    """A fresh demo upstream; `latency` seconds, slept by `sleep`, precede every GraphQL call."""
    counter = RequestCounter()
    directory = DemoDirectory.generate(avatar_base=os.environ.get(AVATAR_BASE_ENV) or CDN_BASE)
    notifications = NotificationLog()
    graphql = _DemoGraphQL(directory, notifications, counter=counter, latency=latency, sleep=sleep)
    # The site as a federation subgraph (its User entity), for gateways; not counted.
    subgraph = _DemoGraphQL(directory, notifications, build_subgraph_schema())
    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            # Subscriptions (usersChanged), over graphql-transport-ws and graphql-ws.
            WebSocketRoute("/graphql", graphql),
            Route("/subgraph/graphql", subgraph, methods=["GET", "POST"]),
            Route("/avatars/{name}", partial(_picture, folder="avatars"), methods=["GET"]),
            Route("/profiles/{name}", partial(_picture, folder="profiles"), methods=["GET"]),
            Route("/stats", _stats, methods=["GET"]),
            Route("/stats/ids", _asked_ids, methods=["GET"]),
            Route("/stats/reset", _reset_stats, methods=["POST"]),
            Route("/notifications", _notifications, methods=["GET"]),
            Route("/notifications/clear", _clear_notifications, methods=["POST"]),
        ]
    )
    app.state.graphql_counter = counter
    app.state.directory = directory
    app.state.notifications = notifications
    return app

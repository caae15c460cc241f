"""`create_app(loaded)` (or settings): builds nothing at import time; the lifespan opens the
runtime."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypedDict, cast

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from adapter.bounded import TooLarge
from adapter.cache import Cache
from adapter.config import Settings
from adapter.directory import Directory
from adapter.errors import AdapterError
from adapter.feed import Feed
from adapter.metrics import Metrics
from adapter.notify import Notifier
from adapter.operations import Operations
from adapter.runtime import Loaded, open_runtime, prepare_runtime
from adapter.site_users import Accounts
from adapter.upstream import UpstreamClient
from adapter.web.chat import chat_router
from adapter.web.demo_page import mount_demo_page
from adapter.web.edge import Edge, error_answer
from adapter.web.graphql import FrontendApi, install_graphql
from adapter.web.health import health_router
from adapter.web.notifications import notifications_router
from adapter.web.responses import error_response
from adapter.web.users_info import openapi_paths, route_users_info
from adapter.web.webhooks import NonceStore, webhook_router

__all__ = ["AdapterApp", "AppState", "create_app", "served_in_process"]


class AppState(TypedDict):
    """`request.state`: `Runtime`'s fields by name (tests/test_architecture.py checks)."""

    settings: Settings
    metrics: Metrics
    operations: Operations
    upstream: UpstreamClient
    cache: Cache
    directory: Directory
    accounts: Accounts
    frontend: FrontendApi | None
    notifier: Notifier | None
    nonces: NonceStore | None
    feed: Feed | None


class AdapterApp(FastAPI):
    """FastAPI behind the edge (`web/edge.py`), which answers the routes registered with it and
    hands everything else to FastAPI's own `__call__`."""

    edge: Edge
    # The edge's routes, described for the OpenAPI document (FastAPI does not know them).
    edge_paths: dict[str, Any]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.edge(scope, receive, send)

    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is None:
            document = super().openapi()
            document["paths"] = {**self.edge_paths, **document["paths"]}
        return self.openapi_schema or {}


def create_app(
    start: Settings | Loaded,
    *,
    upstream_transport: httpx.AsyncBaseTransport | None = None,
    cache: Cache | None = None,
) -> AdapterApp:
    """The adapter as an ASGI app, from what the start-up check loaded (`serve`), or from
    settings (loaded here). Raises ConfigError when the documents or mapping are wrong."""
    blueprint = prepare_runtime(start)
    settings = blueprint.settings
    operations, metrics, tracing = blueprint.operations, blueprint.metrics, blueprint.tracing

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[AppState]:
        async with open_runtime(
            blueprint, upstream_transport=upstream_transport, cache=cache
        ) as runtime:
            yield cast(AppState, dict(vars(runtime)))

    app = AdapterApp(
        title="imbachat-adapter",
        summary="ImbaChat's site callbacks, answered from a site's GraphQL API.",
        version="1",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        # FastAPI's own OpenTelemetry spans would carry query strings (the chat's jwt_token);
        # tracing is the edge's (adapter.web.telemetry), which keeps them out.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    fastapi = functools.partial(FastAPI.__call__, app)
    app.edge = Edge(fastapi, limits=settings.limits, metrics=metrics, tracing=tracing)
    route_users_info(app.edge, settings)
    app.edge_paths = openapi_paths(settings.chat.prefix)
    app.include_router(chat_router(settings))
    if operations.notify is not None:
        app.include_router(notifications_router(settings))
    app.include_router(health_router())
    if settings.webhooks.enabled:
        app.include_router(webhook_router(settings))
    install_graphql(app, app.edge, settings, blueprint.trusted)
    if blueprint.target.demo is not None:
        # The same demo instance the upstream client calls in-process.
        app.mount("/demo-upstream", blueprint.target.demo)
    mount_demo_page(app, settings)
    _install_error_handlers(app)
    return app


def _install_error_handlers(app: FastAPI) -> None:
    async def domain_or_unexpected(request: Request, exc: Exception) -> Response:
        return error_answer(exc, request.scope)

    async def http_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        headers: dict[str, Any] | None = getattr(exc, "headers", None)
        return error_response(exc.status_code, str(exc.detail), headers=headers)

    async def invalid_request(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(part) for part in first.get("loc", ()))
        return error_response(400, f"invalid request: {where} {first.get('msg', '')}".strip())

    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    # Starlette looks handlers up by the exception's class: each of these needs its own entry.
    for handled in (AdapterError, TooLarge, ClientDisconnect, Exception):
        app.add_exception_handler(handled, domain_or_unexpected)


@asynccontextmanager
async def served_in_process(app: FastAPI) -> AsyncIterator[tuple[ASGIApp, AppState]]:
    """`app` with its lifespan open, to be called as a server calls it (every request gets a
    copy of the lifespan's state), and that state: for answering in-process, as `init`'s
    verification does, and for tests that look at the runtime's parts."""
    async with app.router.lifespan_context(app) as state:
        opened = cast(AppState, state)

        async def serve(scope: Scope, receive: Receive, send: Send) -> None:
            await app({**scope, "state": dict(opened)}, receive, send)

        yield serve, opened

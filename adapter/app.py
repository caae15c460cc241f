"""`create_app(settings)`: builds nothing at import time; clients open in the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypedDict

import httpx
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.types import ASGIApp

from adapter.accounts import Accounts
from adapter.cache import Cache, build_cache
from adapter.config import Settings
from adapter.directory import Directory
from adapter.errors import AdapterError, ConfigError
from adapter.mapping_check import check_mapping_paths
from adapter.metrics import Metrics
from adapter.notify import Notifier
from adapter.operations import Operations, build_operations
from adapter.telemetry import build_tracing
from adapter.upstream import UpstreamClient
from adapter.web.chat import chat_router
from adapter.web.demo_page import mount_demo_page
from adapter.web.fast_path import UsersFastPath
from adapter.web.graphql import FrontendApi, install_graphql, open_frontend
from adapter.web.health import health_router
from adapter.web.limits import RequestLimits
from adapter.web.notifications import notifications_router
from adapter.web.observe import RequestObserver, route_template
from adapter.web.page_token import page_token_router
from adapter.web.responses import error_response, response_for
from adapter.web.webhooks import webhook_router

__all__ = ["AppState", "create_app", "upstream_target"]

log = structlog.get_logger(__name__)

DEMO_UPSTREAM_PATH = "/demo-upstream"
_EMBEDDED_URL = "http://demo-upstream.internal/graphql"


class AppState(TypedDict):
    """What every request finds in `request.state`."""

    settings: Settings
    metrics: Metrics
    operations: Operations
    directory: Directory
    accounts: Accounts
    frontend: FrontendApi | None
    notifier: Notifier | None


class _AdapterApp(FastAPI):
    """FastAPI with the users-info fast path outside its whole middleware stack."""

    fast_path: Callable[[ASGIApp], ASGIApp] | None = None

    def build_middleware_stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        return stack if self.fast_path is None else self.fast_path(stack)


def _demo_upstream() -> Starlette:
    from adapter.demo import create_demo_upstream_app

    return create_demo_upstream_app()


def upstream_target(settings: Settings) -> tuple[httpx.AsyncBaseTransport | None, str | None]:
    """Transport and URL for a standalone upstream client (`check-config`): the demo runs
    in-process when the configuration embeds it."""
    if settings.upstream.embedded_demo:
        return httpx.ASGITransport(app=_demo_upstream()), _EMBEDDED_URL
    return None, settings.upstream.url


def create_app(
    settings: Settings,
    *,
    upstream_transport: httpx.AsyncBaseTransport | None = None,
    cache: Cache | None = None,
    fast_paths: bool = True,
) -> FastAPI:
    """The adapter as an ASGI app. Raises ConfigError when the documents or mapping are wrong.

    `fast_paths=False` leaves every request to FastAPI's stack (as tracing does): the reference
    the fast paths are tested and measured against.
    """
    operations = build_operations(settings)
    check_mapping_paths(settings, operations)
    metrics = Metrics()
    tracing = build_tracing(settings.telemetry)
    demo = _demo_upstream() if settings.upstream.embedded_demo else None

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[AppState]:
        if tracing is not None:
            tracing.start()
        transport, url = upstream_transport, settings.upstream.url
        if demo is not None and transport is None:
            transport, url = httpx.ASGITransport(app=demo), _EMBEDDED_URL
        upstream = UpstreamClient(settings.upstream, metrics=metrics, transport=transport, url=url)
        # `is None`, not `or`: an empty MemoryCache is falsy (it has a length).
        profiles = cache if cache is not None else build_cache(settings.cache, metrics)
        directory = Directory(
            settings=settings,
            operations=operations,
            upstream=upstream,
            cache=profiles,
            metrics=metrics,
        )
        accounts = Accounts(settings=settings, operations=operations, upstream=upstream)
        notifier = Notifier(operations.notify, upstream) if operations.notify else None
        frontend = None
        if settings.graphql is not None:
            frontend = open_frontend(
                settings, operations, metrics=metrics, transport=transport, url=url
            )
        log.info(
            "started",
            upstream="embedded demo" if url == _EMBEDDED_URL else url,
            strategy=settings.upstream.batch.strategy,
            cache=settings.cache.backend,
        )
        try:
            yield {
                "settings": settings,
                "metrics": metrics,
                "operations": operations,
                "directory": directory,
                "accounts": accounts,
                "frontend": frontend,
                "notifier": notifier,
            }
        finally:
            if frontend is not None:
                await frontend.aclose()
            await directory.aclose()
            await upstream.aclose()
            if cache is None:
                await profiles.aclose()
            if tracing is not None:
                tracing.shutdown()
            log.info("stopped")

    app = _AdapterApp(
        title="imbachat-adapter",
        summary="ImbaChat's site callbacks, answered from a site's GraphQL API.",
        version="1",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        # FastAPI's own OpenTelemetry spans would carry query strings (the chat's jwt_token);
        # tracing is adapter.telemetry's, which keeps them out.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.include_router(chat_router(settings))
    if operations.notify is not None:
        app.include_router(notifications_router(settings))
    if settings.graphql is not None:
        app.include_router(page_token_router(settings))
    app.include_router(health_router())
    if settings.webhooks.enabled:
        app.include_router(webhook_router(settings))
    token_fast_path = install_graphql(app, settings, metrics)
    if demo is not None:
        app.mount(DEMO_UPSTREAM_PATH, demo)
    mount_demo_page(app, settings)
    _install_error_handlers(app)
    if tracing is not None:
        tracing.install(app)
    app.add_middleware(RequestLimits, limits=settings.limits)
    app.add_middleware(RequestObserver, metrics=metrics)
    if tracing is None and fast_paths:

        def in_front(stack: ASGIApp) -> ASGIApp:
            if token_fast_path is not None:
                stack = token_fast_path(stack)
            return UsersFastPath(stack, settings=settings, metrics=metrics)

        app.fast_path = in_front
    return app


def _install_error_handlers(app: FastAPI) -> None:
    async def adapter_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, AdapterError)
        return response_for(exc)

    async def http_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        headers: dict[str, Any] | None = getattr(exc, "headers", None)
        return error_response(exc.status_code, str(exc.detail), headers=headers)

    async def invalid_request(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(part) for part in first.get("loc", ()))
        return error_response(400, f"invalid request: {where} {first.get('msg', '')}".strip())

    async def client_gone(request: Request, _: Exception) -> Response:
        # The caller hung up while sending its body: nothing failed here, and nobody is left to
        # answer. 499 (nginx's "client closed request") keeps it out of the 5xx figures.
        log.info("client_disconnected", route=route_template(request.scope))
        return Response(status_code=499)

    async def unexpected(_: Request, exc: Exception) -> Response:
        log.exception("unexpected_error", error=type(exc).__name__)
        return error_response(500, "Internal error")

    app.add_exception_handler(AdapterError, adapter_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(ClientDisconnect, client_gone)
    app.add_exception_handler(Exception, unexpected)


def app_from_environment() -> FastAPI:
    """For uvicorn's `--factory` worker processes: the app from $IMBACHAT_ADAPTER_CONFIG."""
    import os

    from adapter.config import CONFIG_ENV_VAR, load_settings, sample_value_problems
    from adapter.logs import configure_logging

    path = os.environ.get(CONFIG_ENV_VAR, "config.yaml")
    settings = load_settings(path)
    samples = sample_value_problems(settings)
    if samples:
        raise ConfigError(samples, source=path)
    configure_logging(settings.logging.level, json=settings.logging.format == "json")
    return create_app(settings)

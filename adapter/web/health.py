"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import asyncio

import orjson
from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import Response

from adapter.directory import Directory
from adapter.errors import CacheError, UpstreamError
from adapter.metrics import Metrics
from adapter.web.responses import JSON

__all__ = ["health_router"]

_READY_TIMEOUT = 2.0


def health_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/healthz")
    async def healthz() -> Response:
        return Response(orjson.dumps({"status": "ok"}), media_type=JSON)

    @router.get("/readyz")
    async def readyz(request: Request) -> Response:
        directory: Directory = request.state.directory
        checks: dict[str, str] = {"config": "ok"}
        try:
            await asyncio.wait_for(
                directory.upstream.execute("query AdapterReady { __typename }", {}),
                _READY_TIMEOUT,
            )
            checks["upstream"] = "ok"
        except (UpstreamError, TimeoutError) as exc:
            checks["upstream"] = f"failing: {getattr(exc, 'message', 'timeout')}"
        try:
            await asyncio.wait_for(directory.cache.ping(), _READY_TIMEOUT)
            checks["cache"] = "ok"
        except (CacheError, TimeoutError):
            # The adapter fails open without its cache: degraded, still ready.
            checks["cache"] = "degraded"
        ready = checks["upstream"] == "ok"
        body = {"status": "ready" if ready else "not ready", "checks": checks}
        return Response(orjson.dumps(body), status_code=200 if ready else 503, media_type=JSON)

    @router.get("/metrics")
    async def metrics(request: Request) -> Response:
        registry: Metrics = request.state.metrics
        return Response(generate_latest(registry.registry), media_type=CONTENT_TYPE_LATEST)

    return router

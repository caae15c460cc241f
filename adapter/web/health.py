"""Liveness, readiness and Prometheus metrics.

`/healthz` says the process serves HTTP; nothing else, so that a slow site never gets a healthy
replica restarted. `/readyz` says whether this replica can answer the chat: the configuration
is loaded (or the app would not exist), the site answers a tiny query within `READY_TIMEOUT`
seconds, and the cache answers, or is reported `degraded` (the adapter then fails open and asks
the site for every profile). Both checks run at once, so a probe waits at most `READY_TIMEOUT`.
With a change feed, `checks.feed` says how it is (`up`, `down: <why>`, `standby: ...`), a detail
only: a feed that is down never makes a replica unready.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import Response

from adapter.cache import Cache
from adapter.errors import CacheError, UpstreamError
from adapter.feed import Feed
from adapter.metrics import Metrics
from adapter.upstream import UpstreamClient
from adapter.web.responses import JSON

__all__ = ["READY_QUERY", "READY_TIMEOUT", "health_router"]

READY_TIMEOUT = 2.0
READY_QUERY = "query AdapterReady { __typename }"


async def _upstream_check(upstream: UpstreamClient) -> str:
    try:
        await asyncio.wait_for(upstream.execute(READY_QUERY, {}), READY_TIMEOUT)
    except UpstreamError as exc:
        return f"failing: {exc.message}"
    except TimeoutError:
        return f"failing: no answer within {READY_TIMEOUT:g}s"
    return "ok"


async def _cache_check(cache: Cache) -> str:
    try:
        await asyncio.wait_for(cache.ping(), READY_TIMEOUT)
    except (CacheError, TimeoutError):
        # The adapter fails open without its cache: degraded, still ready.
        return "degraded"
    return "ok"


def _json(body: dict[str, Any], status: int = 200) -> Response:
    return Response(
        orjson.dumps(body),
        status_code=status,
        media_type=JSON,
        headers={"Cache-Control": "no-store"},
    )


def health_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/healthz")
    async def healthz() -> Response:
        return _json({"status": "ok"})

    @router.get("/readyz")
    async def readyz(request: Request) -> Response:
        upstream, cache = await asyncio.gather(
            _upstream_check(request.state.upstream), _cache_check(request.state.cache)
        )
        checks = {"config": "ok", "upstream": upstream, "cache": cache}
        feed: Feed | None = request.state.feed
        if feed is not None:  # a detail: a feed that is down never makes a replica unready
            checks["feed"] = feed.status
        ready = upstream == "ok"
        body = {"status": "ready" if ready else "not ready", "checks": checks}
        return _json(body, 200 if ready else 503)

    @router.get("/metrics")
    async def metrics(request: Request) -> Response:
        registry: Metrics = request.state.metrics
        return Response(generate_latest(registry.registry), media_type=CONTENT_TYPE_LATEST)

    return router

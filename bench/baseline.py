"""The baseline: bare Starlette endpoints on the same server and worker count as the adapter.

`/users` answers the exact bytes the adapter answers for 20 warm users (read from the file named
by $BENCH_BASELINE_BODY); `/token` signs a widget token as the adapter does, with nothing around it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import jwt
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

__all__ = ["app"]

_BODY = Path(os.environ.get("BENCH_BASELINE_BODY", "/dev/null")).read_bytes() or b"[]"
_SECRET = os.environ.get("BENCH_WIDGET_SECRET", "bench-widget-secret")
_LIFETIME = 3600
_USER_ID = 6


async def users(_: Request) -> Response:
    return Response(_BODY, media_type="application/json")


async def token(_: Request) -> Response:
    expires = int(time.time()) + _LIFETIME
    signed = jwt.encode({"exp": expires, "user_id": _USER_ID}, _SECRET, algorithm="HS256")
    body = {
        "data": {"issueChatToken": {"token": signed, "userId": str(_USER_ID), "expiresAt": expires}}
    }
    return Response(orjson.dumps(body), media_type="application/json")


async def healthz(_: Request) -> Response:
    return Response(b'{"status":"ok"}', media_type="application/json")


app = Starlette(
    routes=[
        Route("/users", users),
        Route("/token", token, methods=["GET", "POST"]),
        Route("/healthz", healthz),
    ]
)

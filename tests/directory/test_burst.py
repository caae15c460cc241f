"""The chat's bursts against the real adapter app, the demo upstream process and the real Redis.

These are the issue's counted figures: a burst of 200 calls for the same 50 cold ids costs one
upstream request per chunk, a repeat costs none, and after the site's webhook the next call
refetches exactly the changed ids.
"""

from __future__ import annotations

import asyncio
import math
import time

import httpx
import orjson

from adapter.app import create_app
from adapter.web.webhooks import SIGNATURE_HEADER, sign
from tests.directory.support import asked
from tests.servers import DemoUpstream
from tests.support import CHAT_AUTH, SettingsFactory, asgi_client

IDS = list(range(1, 51))
CHUNK = 20
SECRET = "a-webhook-secret-of-some-length"
USERS_URL = "/imbachat/v1/users?user_ids=" + ",".join(map(str, IDS))
BURST = 200
# The counted figures are the directory's single flight: every call of a burst has a Redis
# connection of its own, so no call waits for the pool. A pool wait that gives up fails open,
# and that miss may start a fetch of its own; the pool itself is the subject of the warm test.
OVERRIDES = {
    "upstream": {"batch": {"size": CHUNK}},
    "webhooks": {"secret": SECRET},
    "cache": {"redis": {"max_connections": BURST + 16, "socket_timeout": 5}},
}
# 64 connections (the default) for 200 calls: most calls wait for the pool, at most a socket
# timeout each, which is long enough here that a wait never gives up.
NARROW_POOL = {**OVERRIDES, "cache": {"redis": {"max_connections": 64, "socket_timeout": 5}}}


async def _users(client: httpx.AsyncClient) -> list[int]:
    response = await client.get(USERS_URL, auth=CHAT_AUTH)
    assert response.status_code == 200, response.text
    return [user["user_id"] for user in response.json()]


async def test_burst_of_200_calls_costs_one_upstream_request_per_chunk(
    redis_settings: SettingsFactory, demo_upstream: DemoUpstream
) -> None:
    """200 concurrent calls for the same 50 uncached ids cost ceil(50/20) = 3 upstream requests."""
    app = create_app(redis_settings(OVERRIDES))
    async with asgi_client(app) as client:
        answers = await asyncio.gather(*(_users(client) for _ in range(BURST)))
    assert all(answer == IDS for answer in answers)
    assert demo_upstream.requests() == math.ceil(len(IDS) / CHUNK) == 3
    assert set(asked(demo_upstream).values()) == {1}  # every id asked for exactly once


async def test_a_warm_burst_wider_than_the_redis_pool_costs_no_upstream_request(
    redis_settings: SettingsFactory, demo_upstream: DemoUpstream
) -> None:
    """200 concurrent warm calls share 64 Redis connections; none fails open to the site."""
    app = create_app(redis_settings(NARROW_POOL))
    async with asgi_client(app) as client:
        await _users(client)
        demo_upstream.reset()
        answers = await asyncio.gather(*(_users(client) for _ in range(BURST)))
        metrics = (await client.get("/metrics")).text
    assert all(answer == IDS for answer in answers)
    assert demo_upstream.requests() == 0
    errors = [
        line for line in metrics.splitlines() if line.startswith("adapter_cache_errors_total{")
    ]
    assert errors  # every operation is there from the start, at 0
    assert all(line.endswith(" 0.0") for line in errors), errors


async def test_second_call_costs_no_upstream_request(
    redis_settings: SettingsFactory, demo_upstream: DemoUpstream
) -> None:
    """Once the 50 profiles are cached, calling again asks the site nothing."""
    app = create_app(redis_settings(OVERRIDES))
    async with asgi_client(app) as client:
        await _users(client)
        demo_upstream.reset()
        assert await _users(client) == IDS
    assert demo_upstream.requests() == 0


async def test_after_the_webhook_the_next_call_refetches_exactly_the_changed_ids(
    redis_settings: SettingsFactory, demo_upstream: DemoUpstream
) -> None:
    """After a signed users-changed webhook for 3 ids the next call asks the site for those 3."""
    app = create_app(redis_settings(OVERRIDES))
    changed = [3, 17, 42]
    async with asgi_client(app) as client:
        await _users(client)
        demo_upstream.reset()
        body = orjson.dumps(changed)
        hook = await client.post(
            "/imbachat/v1/webhooks/users-changed",
            content=body,
            headers={SIGNATURE_HEADER: sign(SECRET.encode(), body, int(time.time()))},
        )
        assert hook.status_code == 200, hook.text
        assert hook.json() == {"code": 200, "version": 1, "invalidated": 3}
        assert await _users(client) == IDS
    assert demo_upstream.requests() == 1
    assert asked(demo_upstream) == {str(user_id): 1 for user_id in changed}

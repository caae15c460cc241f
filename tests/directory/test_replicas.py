"""Two replicas on the real Redis, each with its local layer: a change on one reaches the other.

Each replica is a whole app (its own cache layers, invalidation channel and metrics) against the
demo upstream process; the demo counts which ids it was asked for, so the test can tell a local
answer from a fresh one. Arrival is waited for by polling with a bound, never by sleeping.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import AsyncIterator

import httpx
import orjson
import pytest

from adapter.app import create_app
from adapter.cache import Cache, SyncedLocalCache, encode_entry
from adapter.web.webhooks import SIGNATURE_HEADER, sign
from tests.directory.support import GatedTransport, asked, open_directory
from tests.polling import eventually
from tests.servers import DemoUpstream
from tests.support import CHAT_AUTH, SettingsFactory, asgi_client

SECRET = "0123456789abcdef-webhook"
USERS = "/imbachat/v1/users?user_ids="
WEBHOOK = "/imbachat/v1/webhooks/users-changed"
_OVERRIDES = {"webhooks": {"secret": SECRET}, "cache": {"local_seconds": 600}}


async def _metric(client: httpx.AsyncClient, name: str) -> float:
    for line in (await client.get("/metrics")).text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


async def _channel_up(client: httpx.AsyncClient) -> bool:
    # The channel subscribes on the replica's first look-up; a call gets it going.
    await client.get(USERS + "1", auth=CHAT_AUTH)
    return await _metric(client, "adapter_cache_invalidation_channel_up") == 1.0


@pytest.fixture
async def replicas(
    redis_settings: SettingsFactory,
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """Two adapters sharing one Redis prefix, the webhook on; both channels subscribed.

    Local copies would otherwise live ten minutes: only the channel can make a change visible
    within the polling bound.
    """
    settings = redis_settings(_OVERRIDES)
    assert settings.cache.local_max_entries > 0  # the local layer is on by default
    async with asgi_client(create_app(settings)) as one, asgi_client(create_app(settings)) as two:
        for client in (one, two):
            assert await eventually(functools.partial(_channel_up, client))
        yield one, two


async def test_a_webhook_on_one_replica_reaches_the_others_local_layer(
    replicas: tuple[httpx.AsyncClient, httpx.AsyncClient], demo_upstream: DemoUpstream
) -> None:
    """After the webhook on replica one, replica two's next look-ups ask the site again."""
    one, two = replicas
    assert (await two.get(USERS + "6,7", auth=CHAT_AUTH)).status_code == 200
    demo_upstream.reset()
    # Warm on replica two: answered from its local layer, the site is not asked.
    before = await two.get(USERS + "6,7", auth=CHAT_AUTH)
    assert asked(demo_upstream)["6"] == 0
    body = b"[6]"
    signature = sign(SECRET.encode(), body, int(time.time()))
    answer = await one.post(WEBHOOK, content=body, headers={SIGNATURE_HEADER: signature})
    assert answer.status_code == 200

    async def asks_the_site() -> bool:
        again = await two.get(USERS + "6,7", auth=CHAT_AUTH)
        assert again.content == before.content  # the demo's data did not change
        return asked(demo_upstream)["6"] >= 1

    assert await eventually(asks_the_site)
    assert asked(demo_upstream)["7"] == 0  # only the invalidated id was fetched
    assert await _metric(two, "adapter_cache_local_invalidations_total") >= 1


async def test_a_fresh_copy_written_by_one_replica_is_served_by_the_other(
    replicas: tuple[httpx.AsyncClient, httpx.AsyncClient],
    redis_settings: SettingsFactory,
) -> None:
    """A replica's fresh fetch (a new profile in Redis) replaces the other's local copy."""
    one, two = replicas
    first = (await two.get(USERS + "9", auth=CHAT_AUTH)).json()
    assert first[0]["user_id"] == 9
    renamed = {**first[0], "name": "Renamed on the site"}
    # What replica one's directory writes after a fetch: the same key, the new profile, and
    # the message to the others; written here through a third replica's cache layers.
    from adapter.cache import build_cache
    from adapter.directory import fingerprint
    from adapter.metrics import Metrics
    from adapter.operations import build_operations

    settings = redis_settings(_OVERRIDES)
    writer = build_cache(settings.cache, Metrics())
    key = f"{settings.cache.prefix}{fingerprint(settings, build_operations(settings))}:u:9"
    try:
        assert await writer.get_many([key]) != [None]  # subscribes this writer's channel
        assert await eventually(lambda: _writer_up(writer))
        entry = encode_entry(orjson.dumps(renamed), time.time() + 300)
        await writer.set_many({key: entry}, 600)

        async def renamed_on_two() -> bool:
            answer: list[dict[str, object]] = (await two.get(USERS + "9", auth=CHAT_AUTH)).json()
            return answer == [renamed]

        assert await eventually(renamed_on_two)
        assert (await one.get(USERS + "9", auth=CHAT_AUTH)).json() == [renamed]
    finally:
        await writer.aclose()


async def _writer_up(cache: Cache) -> bool:
    channel = cache.channel if isinstance(cache, SyncedLocalCache) else None
    return channel is not None and channel.up


async def test_an_eviction_on_one_replica_is_not_undone_by_a_fetch_on_another(
    redis_settings: SettingsFactory, demo_upstream: DemoUpstream
) -> None:
    """Replica 1 fetches a user while replica 2 evicts it: replica 1's copy, fetched before
    the change was known, is not written back, and the next look-up asks the site."""
    settings = redis_settings()
    gated = GatedTransport()
    async with (
        open_directory(settings, transport=gated) as one,
        open_directory(settings) as two,
    ):
        fetching = asyncio.create_task(one.lookup([1]))
        await gated.entered.wait()  # replica 1 has read the cache and asks the site
        await two.invalidate([1])  # the webhook, on replica 2
        gated.gate.set()
        assert len(await fetching) == 1
        await one.idle()
        before = demo_upstream.requests()
        assert len(await two.lookup([1])) == 1
        assert demo_upstream.requests() == before + 1  # not served the copy fetched before
        assert len(await one.lookup([1])) == 1
        assert demo_upstream.requests() == before + 1  # replica 2's fresh copy is shared

"""The invalidation channel on a private Redis: messages, its down state, and coming back."""

from __future__ import annotations

from collections.abc import Callable

import orjson
import pytest
import redis.asyncio
from pydantic import SecretStr
from structlog.testing import capture_logs

from adapter.app import create_app
from adapter.cache import MemoryCache, SyncedLocalCache, build_cache
from adapter.cache.invalidation import InvalidationChannel, synced_cache
from adapter.config import CacheSettings, RedisSettings, Settings
from adapter.metrics import Metrics
from tests.polling import eventually
from tests.servers import PrivateRedis
from tests.support import CHAT_AUTH, asgi_client, sample


class Ticks:
    """A monotonic clock the test moves (for the local layer's expiry)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _layer(url: str, ticks: Ticks, metrics: Metrics) -> tuple[SyncedLocalCache, MemoryCache]:
    settings = CacheSettings(
        backend="redis", redis=RedisSettings(url=SecretStr(url)), local_seconds=5
    )
    shared = build_cache(settings.model_copy(update={"local_max_entries": 0}), metrics)
    layer = synced_cache(settings, shared, metrics, clock=ticks)
    return layer, layer.local


async def test_the_channel_down_means_short_local_copies_and_one_log_line(
    private_redis: Callable[..., PrivateRedis],
) -> None:
    """With Redis gone the layer forgets its copies, keeps new ones local_seconds only, says
    so in the gauge and once in the log; back up, it trusts the channel again."""
    server = private_redis()
    ticks, metrics = Ticks(), Metrics()
    layer, local = _layer(server.url, ticks, metrics)
    channel = layer.channel
    assert channel is not None
    try:
        await layer.get_many(["k"])
        assert await eventually(lambda: channel.up)
        assert sample(metrics, "adapter_cache_invalidation_channel_up") == 1
        await layer.set_many({"k": b"v"}, 600)
        ticks.now += 60  # past local_seconds: the synced copy is still there
        assert await local.get_many(["k"]) == [b"v"]

        with capture_logs() as logs:
            server.stop()
            assert await eventually(lambda: not channel.up)
        assert sample(metrics, "adapter_cache_invalidation_channel_up") == 0
        assert await local.get_many(["k"]) == [None]  # forgotten: messages may be missed now
        downs = [line for line in logs if line["event"] == "cache_invalidation_channel_down"]
        assert len(downs) == 1
        await layer.set_many({"k": b"w"}, 600)  # the shared write fails open
        ticks.now += 6
        assert await local.get_many(["k"]) == [None]  # kept local_seconds only

        server.start()
        assert await eventually(lambda: channel.up)
        assert sample(metrics, "adapter_cache_invalidation_channel_up") == 1
    finally:
        await layer.aclose()


async def test_other_replicas_messages_drop_keys_and_junk_is_ignored(
    private_redis: Callable[..., PrivateRedis],
) -> None:
    """A message from another replica drops its keys; this replica's own and malformed
    messages drop nothing."""
    server = private_redis()
    ticks, metrics = Ticks(), Metrics()
    layer, local = _layer(server.url, ticks, metrics)
    channel = layer.channel
    assert isinstance(channel, InvalidationChannel)
    raw = redis.asyncio.Redis.from_url(server.url)
    try:
        await layer.get_many(["a"])
        assert await eventually(lambda: channel.up)
        await local.set_many({"a": b"1", "b": b"2", "c": b"3"}, 600)
        for junk in (b"not json", b"{}", b"[1, 2]", orjson.dumps(["other", [1, None]])):
            await raw.publish(channel.channel, junk)
        await raw.publish(channel.channel, orjson.dumps([channel.replica, ["a"]]))
        await raw.publish(channel.channel, orjson.dumps(["another-replica", ["b"]]))
        assert await eventually(lambda: _missing(local, "b"))
        assert await local.get_many(["a", "b", "c"]) == [b"1", None, b"3"]
        assert sample(metrics, "adapter_cache_local_invalidations_total") == 1
    finally:
        await raw.aclose()
        await layer.aclose()


async def _missing(local: MemoryCache, key: str) -> bool:
    return await local.get_many([key]) == [None]


@pytest.mark.parametrize("invalidation", [True, False])
async def test_without_the_channel_local_copies_live_local_seconds(
    private_redis: Callable[..., PrivateRedis], invalidation: bool
) -> None:
    """`local_invalidation: false` builds no channel: copies then always live local_seconds."""
    server = private_redis()
    settings = CacheSettings(
        backend="redis",
        redis=RedisSettings(url=SecretStr(server.url)),
        local_invalidation=invalidation,
    )
    cache = build_cache(settings, Metrics())
    assert isinstance(cache, SyncedLocalCache)
    assert (cache.channel is not None) is invalidation
    await cache.aclose()


async def test_the_channels_lines_carry_no_request_id(
    private_redis: Callable[..., PrivateRedis],
    remote_settings: Settings,
    json_logs: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The listener that a request started outlives it: its lines name no request."""
    server = private_redis()
    redis_cache = CacheSettings(backend="redis", redis=RedisSettings(url=SecretStr(server.url)))
    settings = remote_settings.model_copy(update={"cache": redis_cache})
    logged: list[str] = []

    def channel_down() -> bool:
        logged.extend(capsys.readouterr().err.splitlines())
        return any("cache_invalidation_channel_down" in line for line in logged)

    async with asgi_client(create_app(settings)) as client:
        response = await client.get("/imbachat/v1/users?user_ids=1", auth=CHAT_AUTH)
        assert response.status_code == 200
        assert response.headers["x-request-id"]
        server.stop()
        assert await eventually(channel_down)
    lines = [orjson.loads(line) for line in logged if line.startswith("{")]
    (down,) = [line for line in lines if line["event"] == "cache_invalidation_channel_down"]
    assert "request_id" not in down


async def test_a_publish_that_times_out_is_sent_again_and_the_channel_stays_up(
    private_redis: Callable[..., PrivateRedis],
) -> None:
    """A failover's write pause times one publish out: the subscription stays up, the keys
    reach the other replica once writes resume, and later changes are published again."""
    server = private_redis()
    metrics_one, metrics_two = Metrics(), Metrics()
    one, _ = _layer(server.url, Ticks(), metrics_one)
    two, local_two = _layer(server.url, Ticks(), metrics_two)
    raw = redis.asyncio.Redis.from_url(server.url)
    try:
        await one.get_many(["k"])
        await two.get_many(["k"])
        assert await eventually(lambda: _up(one) and _up(two))
        await local_two.set_many({"k": b"old"}, 600)
        with capture_logs() as logs:
            await raw.client_pause(1500, all=False)  # writes only, as a failover does
            await one.set_many({"k": b"new"}, 600)  # the write and its publish time out
            assert await eventually(lambda: _missing(local_two, "k"))
        events = [line["event"] for line in logs]
        assert "cache_invalidation_publish_failed" in events
        assert "cache_invalidation_channel_down" not in events
        assert _up(one)
        assert sample(metrics_one, "adapter_cache_invalidation_channel_up") == 1

        await local_two.set_many({"k": b"new"}, 600)
        await one.set_many({"k": b"newer"}, 600)
        assert await eventually(lambda: _missing(local_two, "k"))
    finally:
        await raw.aclose()
        await one.aclose()
        await two.aclose()


def _up(layer: SyncedLocalCache) -> bool:
    return layer.channel is not None and layer.channel.up


async def test_a_message_for_everything_drops_every_local_copy(
    private_redis: Callable[..., PrivateRedis],
) -> None:
    """Another replica whose unsent keys overflowed says "*": every local copy goes."""
    server = private_redis()
    layer, local = _layer(server.url, Ticks(), Metrics())
    raw = redis.asyncio.Redis.from_url(server.url)
    try:
        await layer.get_many(["a"])
        assert await eventually(lambda: _up(layer))
        await local.set_many({"a": b"1", "b": b"2"}, 600)
        assert layer.channel is not None
        await raw.publish(layer.channel.channel, orjson.dumps(["another-replica", "*"]))
        assert await eventually(lambda: _missing(local, "a"))
        assert await local.get_many(["b"]) == [None]
    finally:
        await raw.aclose()
        await layer.aclose()


async def test_more_unsent_keys_than_a_message_holds_become_one_forget_everything(
    private_redis: Callable[..., PrivateRedis],
) -> None:
    """Keys queued past the bound (here while the writer is not yet subscribed) are sent as
    one message that drops every local copy on the other replicas."""
    server = private_redis()
    one, _ = _layer(server.url, Ticks(), Metrics())
    two, local_two = _layer(server.url, Ticks(), Metrics())
    try:
        await two.get_many(["a"])
        assert await eventually(lambda: _up(two))
        await local_two.set_many({"a": b"1", "b": b"2"}, 600)
        assert one.channel is not None
        await one.channel.publish([f"k{number}" for number in range(10_001)])
        assert await eventually(lambda: _missing(local_two, "a"))
        assert await local_two.get_many(["b"]) == [None]
    finally:
        await one.aclose()
        await two.aclose()

"""Failures on either side: the site stopped, Redis stopped, and site failures never cached."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import orjson
import pytest
import redis
from structlog.testing import capture_logs

from adapter.errors import UpstreamError
from adapter.logs import bind_request_id, unbind_request_id
from tests.directory.support import Clock, open_directory
from tests.servers import DemoUpstream, PrivateRedis, start_demo_upstream, stop_process
from tests.support import SettingsFactory, sample

FRESH, STALE = 300, 3300


def _names(profiles: list[bytes]) -> list[int]:
    return [orjson.loads(profile)["user_id"] for profile in profiles]


@pytest.fixture
def private_upstream() -> Iterator[DemoUpstream]:
    """A demo upstream process of this test's own, which the test may stop."""
    upstream = start_demo_upstream()
    yield upstream
    if upstream.process.poll() is None:
        stop_process(upstream.process)


async def test_with_the_upstream_stopped_cached_and_stale_users_are_still_served(
    redis_settings: SettingsFactory, private_upstream: DemoUpstream
) -> None:
    """Fresh, stale and kept (past the stale window) copies all answer when the site is down."""
    settings = redis_settings(
        {
            "upstream": {
                "url": private_upstream.graphql_url,
                "breaker": {"failure_threshold": 100},
            },
            "cache": {"fresh_seconds": FRESH, "stale_seconds": STALE},
        }
    )
    clock = Clock()
    async with open_directory(settings, clock=clock) as directory:
        assert _names(await directory.lookup([1, 2, 3])) == [1, 2, 3]
        stop_process(private_upstream.process)

        assert _names(await directory.lookup([1, 2, 3])) == [1, 2, 3]  # fresh
        clock.advance(FRESH + 1)
        with capture_logs() as logs:
            assert _names(await directory.lookup([1, 2, 3])) == [1, 2, 3]  # stale
            await directory.idle()  # its background refresh fails, and is only logged
        # The upstream client's one line for the failed call, then the refresh's own.
        assert [entry["event"] for entry in logs] == [
            "upstream_call_failed",
            "background_refresh_failed",
        ]
        clock.advance(STALE)
        assert _names(await directory.lookup([1, 2, 3])) == [1, 2, 3]  # stale-if-error
        with pytest.raises(UpstreamError):
            await directory.lookup([1, 4])  # 4 was never cached: nothing to answer with
    assert sample(directory.metrics, "adapter_cache_requests_total", result="stale") == 3
    assert sample(directory.metrics, "adapter_cache_requests_total", result="stale_if_error") == 3


async def test_with_redis_stopped_mid_run_calls_succeed_from_upstream_and_recover(
    redis_settings: SettingsFactory,
    demo_upstream: DemoUpstream,
    private_redis: Callable[..., PrivateRedis],
) -> None:
    """Redis killed: calls are answered by the site, logged once; Redis back: cached again."""
    server = private_redis()
    settings = redis_settings(
        {
            "cache": {
                "redis": {"url": server.url, "socket_timeout": 5},
                "retry_after_error_seconds": 0,
                "error_log_interval_seconds": 3600,
                "local_max_entries": 0,  # the shared layer's behaviour, without copies in front
            }
        }
    )
    ids = [1, 2, 3, 4, 5]
    async with open_directory(settings) as directory:
        await directory.lookup(ids)
        await directory.lookup(ids)
        assert demo_upstream.requests() == 1

        server.stop()
        with capture_logs() as logs:
            for _ in range(3):
                assert _names(await directory.lookup(ids)) == ids
        assert demo_upstream.requests() == 1 + 3
        unavailable = [entry for entry in logs if entry["event"] == "cache_unavailable"]
        assert len(unavailable) == 1  # once per interval, not once per failure

        server.start()
        with capture_logs() as logs:
            assert _names(await directory.lookup(ids)) == ids  # refills the restarted Redis
        assert [entry["event"] for entry in logs].count("cache_recovered") == 1
        before = demo_upstream.requests()
        assert _names(await directory.lookup(ids)) == ids
        assert demo_upstream.requests() == before  # answered from Redis again
    # Two reads per call while Redis was gone (no pause): the look-up's and the fetch's own
    # read of what each key held before it asked the site.
    assert sample(directory.metrics, "adapter_cache_errors_total", operation="get") == 6


def _faulty(kind: str, calls: list[int]) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if kind == "timeout":
            raise httpx.ReadTimeout("the site hangs", request=request)
        if kind == "partial":
            body = {"data": {"users": []}, "errors": [{"message": "resolver failed"}]}
            return httpx.Response(200, json=body)
        return httpx.Response(int(kind), text="busy")

    return httpx.MockTransport(answer)


@pytest.mark.parametrize("kind", ["500", "503", "429", "timeout", "partial"])
async def test_upstream_failures_are_never_cached(
    redis_settings: SettingsFactory, redis_url: str, redis_prefix: str, kind: str
) -> None:
    """5xx, 429, timeouts and GraphQL errors leave nothing in Redis; the next call asks again."""
    settings = redis_settings()
    calls: list[int] = []
    async with open_directory(settings, transport=_faulty(kind, calls)) as directory:
        for attempt in (1, 2):
            if kind == "partial":
                assert await directory.lookup([1, 2]) == []
            else:
                with pytest.raises(UpstreamError):
                    await directory.lookup([1, 2])
            assert len(calls) == attempt
    client = redis.Redis.from_url(redis_url)
    try:
        assert list(client.scan_iter(match=f"{redis_prefix}*")) == []
    finally:
        client.close()


async def test_a_background_refresh_logs_without_the_request_id_that_started_it(
    redis_settings: SettingsFactory,
    private_upstream: DemoUpstream,
    json_logs: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A stale copy's refresh outlives the request that saw it: its lines name no request."""
    settings = redis_settings({"upstream": {"url": private_upstream.graphql_url}})
    clock = Clock()
    async with open_directory(settings, clock=clock) as directory:
        assert _names(await directory.lookup([1])) == [1]
        stop_process(private_upstream.process)
        clock.advance(settings.cache.fresh_seconds + 1)
        token = bind_request_id("the-stale-request")
        try:
            assert _names(await directory.lookup([1])) == [1]  # stale, refreshed behind
        finally:
            unbind_request_id(token)
        capsys.readouterr()
        await directory.idle()
    lines = [orjson.loads(line) for line in capsys.readouterr().err.splitlines()]
    refresh = [line for line in lines if line["event"] == "background_refresh_failed"]
    assert refresh
    assert all("request_id" not in line for line in lines)

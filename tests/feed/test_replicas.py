"""Two replicas on the real Redis: one holds the feed, both answer the new profile, and the
other takes the feed over when the holder dies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as redis
from structlog.testing import capture_logs

from adapter.feed import Feed
from adapter.feed.runner import stop
from tests.feed.support import (
    IDS_SUBSCRIPTION,
    POLL,
    DemoSite,
    adapter,
    demo_site,
    feed_settings,
    name_of,
    named,
)
from tests.polling import eventually


def _redis(redis_url: str, prefix: str) -> dict[str, Any]:
    return {"cache": {"backend": "redis", "prefix": prefix, "redis": {"url": redis_url}}}


def _holders(*feeds: Feed) -> int:
    return sum(
        int(feed.metrics.registry.get_sample_value("adapter_feed_holder") or 0) for feed in feeds
    )


async def _both_named(
    first: httpx.AsyncClient, second: httpx.AsyncClient, user_id: int, name: str
) -> bool:
    return await named(first, user_id, name) and await named(second, user_id, name)


async def _cursor_is(shared: redis.Redis, prefix: str, stamp: bytes) -> bool:
    """The poll's cursor, as Redis holds it for every replica, is the last change's stamp."""
    keys = [key async for key in shared.scan_iter(match=f"{prefix}feed:cursor:*")]
    return len(keys) == 1 and await shared.get(keys[0]) == b'"' + stamp + b'"'


async def kill(feed: Feed) -> None:
    """The replica holding the feed dies: its tasks stop, its lease is left to expire."""
    await stop(feed._following)  # a fault, injected
    await stop(feed._task)


def _settings(
    site: DemoSite, tmp_path: Path, redis_url: str, prefix: str, document: str, **feed: Any
) -> Any:
    return feed_settings(
        site, tmp_path, document, _redis(redis_url, prefix), lease_seconds=2, **feed
    )


@pytest.mark.asyncio
async def test_one_feed_for_two_replicas_and_a_takeover(
    tmp_path: Path, redis_url: str, redis_prefix: str
) -> None:
    with demo_site() as site:
        settings = _settings(
            site, tmp_path, redis_url, redis_prefix, IDS_SUBSCRIPTION, kind="subscription"
        )
        async with adapter(settings) as (first, one), adapter(settings) as (second, two):
            assert await eventually(
                lambda: _holders(one, two) == 1 and "up" in (one.status, two.status)
            )
            assert "standby" in (one.status + two.status)
            # "up" is set once the subscribe message is sent; the site counts the subscriber
            # when its resolver starts, a moment later.
            assert await eventually(lambda: site.app.state.directory.subscribers >= 1)
            assert site.app.state.directory.subscribers == 1
            for client in (first, second):
                assert await name_of(client, 6) != "Both See It"
            site.rename(6, "Both See It")
            assert await eventually(lambda: _both_named(first, second, 6, "Both See It"))

            holder, survivor, client = (
                (one, two, second) if one.status == "up" else (two, one, first)
            )
            await kill(holder)
            assert await eventually(lambda: survivor.status == "up")
            site.rename(6, "After The Takeover")
            assert await eventually(lambda: named(client, 6, "After The Takeover"))


@pytest.mark.asyncio
async def test_a_replica_taking_over_a_poll_goes_on_from_the_shared_cursor(
    tmp_path: Path, redis_url: str, redis_prefix: str
) -> None:
    """The cursor lives in Redis: the replica that takes over asks from the last change seen,
    so an edit made while no replica held the feed is caught up."""
    with demo_site() as site:
        settings = _settings(
            site,
            tmp_path,
            redis_url,
            redis_prefix,
            POLL,
            kind="poll",
            cursor="updatedAt",
            interval_seconds=0.1,
            users=True,
        )
        async with adapter(settings) as (first, one), adapter(settings) as (second, two):
            assert await eventually(
                lambda: _holders(one, two) == 1 and "up" in (one.status, two.status)
            )
            site.rename(10, "Polled Ten")
            assert await eventually(lambda: _both_named(first, second, 10, "Polled Ten"))
            shared = redis.Redis.from_url(redis_url)
            try:
                stamp = site.app.state.directory.get(10).updated_at.encode()
                assert await eventually(lambda: _cursor_is(shared, redis_prefix, stamp))
            finally:
                await shared.aclose()

            holder, survivor, client_left = (
                (one, two, second) if one.status == "up" else (two, one, first)
            )
            with capture_logs() as logs:
                await kill(holder)
                site.rename(10, "Caught Up")
                assert await eventually(lambda: named(client_left, 10, "Caught Up"))
            assert survivor.status == "up"
            # From the cursor: nothing had to be marked stale, as a first start would.
            ups = [line for line in logs if line["event"] == "feed_up"]
            assert ups == [
                {
                    "event": "feed_up",
                    "kind": "poll",
                    "missed_changes_marked_stale": False,
                    "log_level": "info",
                }
            ]

"""`Directory.friends`: one query, each friend mapped and cached as users-info caches it."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import httpx
import pytest

from adapter.cache import build_cache
from adapter.errors import FriendsUnavailable, UpstreamGraphQLError
from adapter.metrics import Metrics
from tests.directory.support import GatedTransport, asked, open_directory
from tests.servers import DemoUpstream
from tests.support import NO_TOKEN_API, SettingsFactory, sample


def _site(answer: dict[str, Any]) -> httpx.MockTransport:
    """A site answering every request with `answer` (an odd upstream, injected)."""
    return httpx.MockTransport(lambda _: httpx.Response(200, json=answer))


async def test_friends_are_stored_in_the_shared_cache(
    redis_settings: SettingsFactory, demo_upstream: DemoUpstream
) -> None:
    """Each friend lands in Redis under its users-info key, so another replica needs no query."""
    settings = redis_settings()
    async with open_directory(settings) as first, open_directory(settings) as second:
        friends = await first.friends(6)
        demo_upstream.reset()
        assert await second.lookup([5, 7, 8, 16]) == friends
        assert demo_upstream.requests() == 0


async def test_an_eviction_during_the_fetch_is_not_undone(
    redis_settings: SettingsFactory, demo_upstream: DemoUpstream
) -> None:
    """A friend evicted while the friends query runs is answered, but not written back."""
    gate = GatedTransport()
    settings = redis_settings()
    async with open_directory(settings, transport=gate) as directory:
        fetch = asyncio.create_task(directory.friends(6))
        await gate.entered.wait()
        await directory.invalidate([7])
        gate.gate.set()
        assert len(await fetch) == 4
        demo_upstream.reset()
        await directory.lookup([5, 7, 8, 16])
        assert asked(demo_upstream) == {"7": 1}


async def test_an_eviction_on_another_replica_during_the_fetch_is_not_undone(
    redis_settings: SettingsFactory, demo_upstream: DemoUpstream
) -> None:
    """A friend evicted on another replica while the friends query runs is not written back."""
    gate = GatedTransport()
    settings = redis_settings()
    async with (
        open_directory(settings, transport=gate) as one,
        open_directory(settings) as two,
    ):
        fetch = asyncio.create_task(one.friends(6))
        await gate.entered.wait()
        await two.invalidate([7])
        gate.gate.set()
        assert len(await fetch) == 4
        demo_upstream.reset()
        await two.lookup([5, 7, 8, 16])
        assert asked(demo_upstream) == {"7": 1}


async def test_odd_friend_ids_and_nameless_friends_are_left_out(
    redis_settings: SettingsFactory,
) -> None:
    """Friends whose id the chat could not ask for, or with no name, are dropped and counted."""
    friends = [
        {"id": "5", "username": "user5"},
        {"id": "\u0663", "username": "arabic-indic"},
        {"id": "9" * 19, "username": "too-long"},
        {"id": True, "username": "boolean"},
        {"id": "7"},
        {"id": "5", "username": "again"},
    ]
    site = _site({"data": {"user": {"friends": friends}}})
    async with open_directory(redis_settings(), transport=site) as directory:
        found = await directory.friends(6)
        assert [b'"user_id":5' in profile for profile in found] == [True]
        assert sample(directory.metrics, "adapter_users_dropped_total", reason="bad_id") == 3
        assert sample(directory.metrics, "adapter_users_dropped_total", reason="no_name") == 1


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ({"data": {"user": None}}, FriendsUnavailable),
        ({"data": {"user": {"friends": None}}}, FriendsUnavailable),
        (
            {"data": {"user": None}, "errors": [{"message": "friends service down"}]},
            UpstreamGraphQLError,
        ),
    ],
)
async def test_no_list_is_no_such_user_unless_the_site_erred(
    redis_settings: SettingsFactory, answer: dict[str, Any], error: type[Exception]
) -> None:
    """A null list means the site has no such user; beside GraphQL errors it is the site failing."""
    async with open_directory(redis_settings(), transport=_site(answer)) as directory:
        with pytest.raises(error):
            await directory.friends(6)


async def test_string_ids_must_match_the_id_pattern(redis_settings: SettingsFactory) -> None:
    """With string ids, a friend whose id the pattern refuses is dropped, never cached."""
    settings = redis_settings(
        {"chat": {"ids": {"type": "str", "str_pattern": "[a-z0-9]{1,8}"}}, **NO_TOKEN_API}
    )
    friends = [{"id": "ab12", "username": "kept"}, {"id": "AB 12", "username": "dropped"}]
    async with (
        contextlib.aclosing(build_cache(settings.cache, Metrics())) as cache,
        open_directory(
            settings, transport=_site({"data": {"user": {"friends": friends}}}), cache=cache
        ) as d,
    ):
        found = await d.friends("ab12")
        assert len(found) == 1
        assert b'"user_id":"ab12"' in found[0]
        assert await cache.get_many([d.key("AB 12")]) == [None]

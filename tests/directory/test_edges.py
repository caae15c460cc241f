"""The directory's less travelled paths: lock races, odd upstream answers, shutdown."""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

import httpx
import orjson
import pytest
from structlog.testing import capture_logs

from adapter.cache import Cache, MemoryCache, build_cache
from adapter.errors import UpstreamUnavailable
from adapter.metrics import Metrics
from tests.directory.support import Clock, GatedTransport, LockWatch, open_directory
from tests.servers import DemoUpstream
from tests.support import SettingsFactory, sample


class PausedRead(LockWatch):
    """A cache whose first read returns only when the test allows it (a slow replica)."""

    def __init__(self, inner: Cache) -> None:
        super().__init__(inner)
        self.read = asyncio.Event()
        self.proceed = asyncio.Event()

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        values = await self.inner.get_many(keys)
        if not self.read.is_set():
            self.read.set()
            await self.proceed.wait()
        return values


class BrokenWrites(MemoryCache):
    """A cache whose writes raise something no one expects (an injected fault)."""

    async def set_many(self, items: Mapping[str, bytes], ttl_seconds: float) -> None:
        raise RuntimeError("disk on fire")


def _answering(users: list[dict[str, Any]]) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"data": {"users": users}})

    return httpx.MockTransport(answer)


async def test_a_replica_that_gets_the_lock_after_another_filled_the_chunk_does_not_refetch(
    redis_settings: SettingsFactory, demo_upstream: DemoUpstream
) -> None:
    """Between a miss and taking the lock another replica may fill the chunk; it is re-read."""
    settings = redis_settings({"cache": {"lock_seconds": 30}})
    async with (
        contextlib.aclosing(PausedRead(build_cache(settings.cache, Metrics()))) as paused,
        open_directory(settings, cache=paused) as slow,
        open_directory(settings) as quick,
    ):
        late = asyncio.create_task(slow.lookup([1, 2]))
        await paused.read.wait()  # the slow replica has missed
        await quick.lookup([1, 2])  # and the quick one fills the chunk meanwhile
        paused.proceed.set()
        assert len(await late) == 2
    assert demo_upstream.requests() == 1


async def test_a_lock_never_released_delays_a_replica_only_for_the_lock_time(
    redis_settings: SettingsFactory, demo_upstream: DemoUpstream
) -> None:
    """A replica waiting on a lock whose holder hangs fetches for itself after `lock_seconds`."""
    settings = redis_settings({"cache": {"lock_seconds": 0.3}})
    stuck = GatedTransport()
    async with open_directory(settings, transport=stuck) as hung, open_directory(settings) as ok:
        held = asyncio.create_task(hung.lookup([1, 2]))
        await stuck.entered.wait()
        assert len(await ok.lookup([1, 2])) == 2
        assert demo_upstream.requests() == 1  # the waiting replica's own fetch
        stuck.gate.set()
        assert len(await held) == 2


async def test_users_the_site_sent_unasked_or_without_a_name_are_left_out(
    redis_settings: SettingsFactory,
) -> None:
    """An upstream user that was not requested, or maps to no name, is dropped and counted."""
    transport = _answering(
        [
            {"id": "1", "username": "user1", "displayName": "One"},
            {"id": "77", "username": "user77", "displayName": "Unasked"},
            {"id": "2", "username": None, "displayName": None},
        ]
    )
    async with open_directory(redis_settings(), transport=transport) as directory:
        with capture_logs():
            profiles = await directory.lookup([1, 2])
        assert [orjson.loads(p)["user_id"] for p in profiles] == [1]
        assert await directory.users([1]) == [orjson.loads(profiles[0])]
        assert await directory.lookup([]) == []
    assert sample(directory.metrics, "adapter_users_dropped_total", reason="not_requested") == 1
    assert sample(directory.metrics, "adapter_users_dropped_total", reason="no_name") == 1


async def test_a_background_refresh_that_breaks_unexpectedly_is_logged(
    redis_settings: SettingsFactory, demo_upstream: DemoUpstream
) -> None:
    """An unexpected error in a background refresh is logged, never raised into nowhere."""
    clock = Clock()
    cache = BrokenWrites(max_entries=10)
    await MemoryCache.set_many(cache, {}, 1)
    async with open_directory(redis_settings(), cache=cache, clock=clock) as directory:
        with pytest.raises(RuntimeError):
            await directory.lookup([1])
        entry = b"P" + str(int(clock.now)).encode() + b'|{"user_id":1,"name":"x"}'
        await MemoryCache.set_many(cache, {directory.key(1): entry}, 60)
        clock.advance(1)  # stale now
        with capture_logs() as logs:
            assert len(await directory.lookup([1])) == 1
            assert len(await directory.lookup([1])) == 1  # its refresh is already under way
            await directory.idle()
    assert [entry["event"] for entry in logs] == ["background_refresh_failed"]
    assert logs[0]["log_level"] == "error"


async def test_closing_the_directory_fails_waiting_lookups_instead_of_hanging(
    redis_settings: SettingsFactory,
) -> None:
    """On shutdown a fetch under way is cancelled and its waiters get UpstreamUnavailable."""
    gated = GatedTransport()
    async with open_directory(redis_settings(), transport=gated) as directory:
        waiting = asyncio.create_task(directory.lookup([1]))
        await gated.entered.wait()
        await directory.aclose()
        with pytest.raises(UpstreamUnavailable, match="cancelled"):
            await waiting


async def test_global_ids_are_sent_encoded_and_matched_decoded(
    redis_settings: SettingsFactory,
) -> None:
    """With global_id, the site gets global ids, and answers match by the id inside them."""

    def relay(text: str) -> str:
        return base64.b64encode(text.encode()).decode()

    sent: list[Any] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(orjson.loads(request.content)["variables"])
        users = [
            {"id": relay("User:1"), "username": "user1", "displayName": "One"},
            {"id": relay("Post:2"), "username": "post2", "displayName": "A post"},
            {"id": "3", "username": "user3", "displayName": "Three"},  # a plain id: as it is
        ]
        return httpx.Response(200, json={"data": {"users": users}})

    settings = redis_settings({"upstream": {"global_id": {"encoding": "relay", "type": "User"}}})
    async with open_directory(settings, transport=httpx.MockTransport(answer)) as directory:
        with capture_logs():
            users = await directory.users([1, 2, 3])
    assert sent == [{"ids": [relay("User:1"), relay("User:2"), relay("User:3")]}]
    assert [(u["user_id"], u["name"]) for u in users] == [(1, "One"), (3, "Three")]
    assert sample(directory.metrics, "adapter_users_dropped_total", reason="not_requested") == 1

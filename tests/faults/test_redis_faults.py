"""Redis misbehaves under concurrent chat traffic: down, killed and restarted, slow, full.

Every call keeps succeeding from the site (the cache fails open); not one 5xx comes from the
cache. The cache engineer's tests cover the single-caller recovery; these are about load.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

from adapter.app import create_app
from adapter.config import Settings
from tests.servers import PrivateRedis, refused_port
from tests.sites import FaultySite
from tests.support import CHAT_AUTH, SettingsFactory, asgi_client

pytestmark = [pytest.mark.faults, pytest.mark.slow]

USERS = "/imbachat/v1/users?user_ids="
WORKERS = 16


def _redis_settings(build: SettingsFactory, url: str) -> Settings:
    return build(
        {
            "cache": {
                "backend": "redis",
                "prefix": "imbachat-faults:",
                "retry_after_error_seconds": 0,
                "error_log_interval_seconds": 3600,
                "redis": {"url": url, "socket_timeout": 0.1, "connect_timeout": 0.1},
            }
        }
    )


def _ids_for(call: int) -> str:
    """Overlapping windows of ten ids, so calls mix hits, misses and shared fetches."""
    first = 1 + (call * 7) % 200
    return ",".join(str(i) for i in range(first, first + 10))


class Traffic:
    """`WORKERS` concurrent callers; every status is recorded, and milestones can be awaited."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.statuses: list[int] = []
        self.wrong: list[str] = []
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []

    async def _worker(self, worker: int, calls: int) -> None:
        for n in range(calls):
            call = worker * calls + n
            response = await self.client.get(USERS + _ids_for(call), auth=CHAT_AUTH)
            self.statuses.append(response.status_code)
            if response.status_code == 200:
                wanted = [int(i) for i in _ids_for(call).split(",")]
                if [user["user_id"] for user in response.json()] != wanted:
                    self.wrong.append(_ids_for(call))
            for count, future in self._waiters:
                if len(self.statuses) >= count and not future.done():
                    future.set_result(None)

    def after(self, count: int) -> asyncio.Future[None]:
        """Done once `count` calls have been answered."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((count, future))
        return future

    async def run(self, calls_per_worker: int) -> None:
        await asyncio.gather(*(self._worker(w, calls_per_worker) for w in range(WORKERS)))


async def _cache_errors(client: httpx.AsyncClient, operation: str) -> float:
    """adapter_cache_errors_total{operation} from the adapter's own /metrics."""
    text = (await client.get("/metrics")).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "adapter_cache_errors_total" and sample.labels == {
                "operation": operation
            }:
                return sample.value
    return 0.0


async def test_redis_down_at_start_every_call_is_answered_from_the_site(
    fault_settings: SettingsFactory,
) -> None:
    """Nothing listens where Redis should be: the adapter starts and answers every call."""
    site = FaultySite()
    settings = _redis_settings(fault_settings, f"redis://127.0.0.1:{refused_port()}/0")
    app = create_app(settings, upstream_transport=site)
    async with asgi_client(app) as client:
        traffic = Traffic(client)
        await traffic.run(calls_per_worker=5)
        ready = await client.get("/readyz")
    assert set(traffic.statuses) == {200}
    assert traffic.wrong == []
    assert site.requests > 0
    assert ready.status_code == 200  # degraded, still ready


async def test_redis_killed_and_restarted_under_load(
    fault_settings: SettingsFactory, private_redis: Callable[..., PrivateRedis]
) -> None:
    """Killed mid-traffic, then restarted: no call fails, and the cache is used again after."""
    server = private_redis()
    site = FaultySite()
    app = create_app(_redis_settings(fault_settings, server.url), upstream_transport=site)
    async with asgi_client(app) as client:
        traffic = Traffic(client)

        async def chaos() -> httpx.Response:
            # Process control blocks; off the event loop, the traffic goes on meanwhile.
            await traffic.after(40)
            await asyncio.to_thread(server.stop)
            # Ids no call has asked for: not in the local layer, so their look-up reaches the
            # stopped Redis whatever the traffic's own ids did meanwhile (they may all be held
            # locally, and on a fast run the traffic may even be over by now).
            unseen = await client.get(USERS + "700,701", auth=CHAT_AUTH)
            await traffic.after(120)
            await asyncio.to_thread(server.start)
            return unseen

        _, unseen = await asyncio.gather(traffic.run(calls_per_worker=16), chaos())
        assert set(traffic.statuses) == {200}
        assert traffic.wrong == []
        assert unseen.status_code == 200

        # Back in use: a call fills Redis, the same call again does not reach the site.
        await client.get(USERS + "900,901", auth=CHAT_AUTH)
        reached = site.requests
        again = await client.get(USERS + "900,901", auth=CHAT_AUTH)
        assert await _cache_errors(client, "get") > 0
    assert again.status_code == 200
    assert site.requests == reached


@contextlib.asynccontextmanager
async def delaying_proxy(target_port: int, delay: float) -> AsyncIterator[int]:
    """A loopback TCP proxy that holds every chunk from the server for `delay` seconds."""
    tasks: set[asyncio.Task[None]] = set()

    async def pipe(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, pause: float
    ) -> None:
        try:
            while chunk := await reader.read(65536):
                if pause:
                    await asyncio.sleep(pause)
                writer.write(chunk)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def accept(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection("127.0.0.1", target_port)
        for task in (
            asyncio.ensure_future(pipe(client_r, server_w, 0)),
            asyncio.ensure_future(pipe(server_r, client_w, delay)),
        ):
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.ensure_future(accept(reader, writer))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    proxy = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield proxy.sockets[0].getsockname()[1]
    finally:
        proxy.close()
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def test_slow_redis_is_timed_out_and_the_site_answers(
    fault_settings: SettingsFactory, private_redis: Callable[..., PrivateRedis]
) -> None:
    """Redis answering slower than its socket timeout: every call is answered from the site."""
    server = private_redis()
    site = FaultySite()
    assert server.port is not None
    async with delaying_proxy(server.port, delay=0.5) as port:
        settings = _redis_settings(fault_settings, f"redis://127.0.0.1:{port}/0")
        app = create_app(settings, upstream_transport=site)
        async with asgi_client(app) as client:
            traffic = Traffic(client)
            await traffic.run(calls_per_worker=3)
            assert await _cache_errors(client, "get") > 0
    assert set(traffic.statuses) == {200}
    assert traffic.wrong == []


async def test_full_redis_refusing_writes_costs_no_call(
    fault_settings: SettingsFactory, private_redis: Callable[..., PrivateRedis]
) -> None:
    """Redis at maxmemory with noeviction refuses every write: calls still all succeed."""
    server = private_redis("--maxmemory", "1mb", "--maxmemory-policy", "noeviction")
    filler = redis.Redis.from_url(server.url)
    try:
        with contextlib.suppress(redis.exceptions.OutOfMemoryError):
            for n in range(10_000):
                filler.set(f"ballast:{n}", b"x" * 4096)
    finally:
        filler.close()
    site = FaultySite()
    app = create_app(_redis_settings(fault_settings, server.url), upstream_transport=site)
    async with asgi_client(app) as client:
        traffic = Traffic(client)
        await traffic.run(calls_per_worker=4)
        assert await _cache_errors(client, "set") > 0
    assert set(traffic.statuses) == {200}
    assert traffic.wrong == []

"""Fixtures every area shares: settings, the demo upstream process, live servers, real Redis.

Plain helpers live in modules of their own (tests/support.py, servers.py, sites.py, caches.py,
commands.py); an area's conftest.py holds only that area's fixtures and imports no other's.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import redis
import structlog
from starlette.types import ASGIApp

from adapter.config import Settings
from adapter.logs import configure_logging
from tests.servers import (
    DemoUpstream,
    LiveServer,
    PrivateRedis,
    release_refused_ports,
    require_redis_server,
    start_demo_upstream,
    stop_process,
)
from tests.sites import SITE_URL
from tests.support import SettingsFactory, deep_merge, reference_data, remote, settings_from

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the `slow` modules first (the load test above all), the many short tests after.

    Parallel workers take tests in this order, so the longest ones start at once and the short
    ones fill in around them, instead of one worker finishing the load test alone at the end.
    A stable sort: every module's tests stay together and in their order.
    """
    items.sort(
        key=lambda item: (item.get_closest_marker("slow") is None, item.path.name != "test_load.py")
    )


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Let go of the ports `refused_port` held."""
    release_refused_ports()


# --- settings --------------------------------------------------------------------------------


@pytest.fixture
def make_settings() -> SettingsFactory:
    """Build Settings from the reference config.yaml with overrides merged in (no env leaks)."""

    def build(overrides: Mapping[str, Any] | None = None, **environ: str) -> Settings:
        return settings_from(deep_merge(reference_data(), overrides or {}), **environ)

    return build


@pytest.fixture
def fault_settings(make_settings: SettingsFactory) -> SettingsFactory:
    """Settings for a site at SITE_URL: no retry waits, short timeouts, memory cache."""

    def build(overrides: Mapping[str, Any] | None = None) -> Settings:
        timeouts = {"connect": 0.5, "read": 0.3, "write": 0.5, "pool": 0.5}
        base = {**remote(SITE_URL, timeouts=timeouts), "cache": {"backend": "memory"}}
        return make_settings(deep_merge(base, overrides or {}))

    return build


# --- the demo upstream as its own process ---------------------------------------------------


@pytest.fixture(scope="session")
def demo_upstream_process() -> Iterator[DemoUpstream]:
    """One demo upstream process for the whole session."""
    upstream = start_demo_upstream()
    yield upstream
    stop_process(upstream.process)


@pytest.fixture
def demo_upstream(demo_upstream_process: DemoUpstream) -> DemoUpstream:
    """The session's demo upstream with its request counter at zero."""
    demo_upstream_process.reset()
    return demo_upstream_process


@pytest.fixture
def remote_settings(make_settings: SettingsFactory, demo_upstream: DemoUpstream) -> Settings:
    """Reference settings pointed at the demo upstream process, with no retry waits."""
    return make_settings(remote(demo_upstream.graphql_url))


# --- serving the adapter -----------------------------------------------------------------------


@pytest.fixture
def live_server() -> Iterator[Callable[[ASGIApp], LiveServer]]:
    """Start apps on real loopback ports; every one is stopped after the test."""
    servers: list[LiveServer] = []

    def start(app: ASGIApp) -> LiveServer:
        server = LiveServer(app).__enter__()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.__exit__()


@pytest.fixture
def json_logs() -> Iterator[None]:
    """The served logging configuration (JSON lines at info), structlog's defaults after it."""
    configure_logging("info")
    yield
    structlog.reset_defaults()


# --- real Redis ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The machine's Redis; `make test` starts one when none answers."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(
            f"no Redis answers at {REDIS_URL} ({exc}); run `scripts/ensure-redis` "
            "or set TEST_REDIS_URL",
            pytrace=False,
        )
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards (never FLUSHALL)."""
    prefix = f"imbachat-test:{uuid.uuid4().hex[:12]}:"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[Callable[..., PrivateRedis]]:
    """Start private redis-servers (`private_redis("--requirepass", "x")`); all killed after."""
    binary = require_redis_server()
    servers: list[PrivateRedis] = []

    def start(*extra: str) -> PrivateRedis:
        server = PrivateRedis(binary, tmp_path, extra=extra).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()

"""Shared fixtures: settings, the demo upstream as a real process, live servers, real Redis."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import uvicorn
import yaml
from asgi_lifespan import LifespanManager
from starlette.types import ASGIApp

from adapter.config import Settings, settings_from_mapping

ROOT = Path(__file__).resolve().parent.parent
REFERENCE_CONFIG = ROOT / "config.yaml"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
CHAT_AUTH = ("root", "abc")

SettingsFactory = Callable[..., Settings]


def free_port() -> int:
    """A TCP port on loopback that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, *, timeout: float = 15.0) -> None:
    """Block until something accepts connections on 127.0.0.1:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def deep_merge(base: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """`base` with `overrides` merged in, nested mappings merged key by key."""
    merged = copy.deepcopy(base)
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def reference_data() -> dict[str, Any]:
    """The reference config.yaml as data."""
    data: dict[str, Any] = yaml.safe_load(REFERENCE_CONFIG.read_text())
    return data


@pytest.fixture
def make_settings() -> SettingsFactory:
    """Build Settings from the reference config.yaml with overrides merged in (no env leaks)."""

    def build(overrides: Mapping[str, Any] | None = None, **environ: str) -> Settings:
        data = deep_merge(reference_data(), overrides or {})
        return settings_from_mapping(data, environ=environ, base_dir=ROOT)

    return build


# --- the demo upstream as its own process ---------------------------------------------------


@dataclass
class DemoUpstream:
    """A demo upstream process: its GraphQL URL and its request counter."""

    base_url: str
    process: subprocess.Popen[bytes]

    @property
    def graphql_url(self) -> str:
        return f"{self.base_url}/graphql"

    def requests(self) -> int:
        """HTTP requests its /graphql has received since the last reset."""
        count: int = httpx.get(f"{self.base_url}/stats").json()["graphql_requests"]
        return count

    def reset(self) -> None:
        httpx.post(f"{self.base_url}/stats/reset").raise_for_status()


# The project's own command, as a subprocess runs it.
ADAPTER_COMMAND = (sys.executable, "-m", "adapter")


def spawn_listening(argv: Sequence[str], port: int, **options: Any) -> subprocess.Popen[bytes]:
    """Start a server process and wait until it listens on `port`; stop it if it never does."""
    options.setdefault("stdout", subprocess.DEVNULL)
    options.setdefault("stderr", subprocess.DEVNULL)
    process = subprocess.Popen(list(argv), **options)
    try:
        wait_for_port(port)
    except TimeoutError:
        stop_process(process)
        raise
    return process


def start_demo_upstream(port: int | None = None, *args: str) -> DemoUpstream:
    """Start `imbachat-adapter demo-upstream` and wait until it listens."""
    port = port or free_port()
    process = spawn_listening([*ADAPTER_COMMAND, "demo-upstream", "--port", str(port), *args], port)
    return DemoUpstream(f"http://127.0.0.1:{port}", process)


def stop_process(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


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
    return make_settings(
        {
            "upstream": {
                "embedded_demo": False,
                "url": demo_upstream.graphql_url,
                "retry": {"backoff_initial": 0, "backoff_max": 0},
            }
        }
    )


# --- serving the adapter -----------------------------------------------------------------------


class LiveServer:
    """uvicorn serving an ASGI app on a loopback port in a background thread."""

    def __init__(self, app: ASGIApp) -> None:
        self.port = free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_config=None, lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the live server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


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


@contextlib.asynccontextmanager
async def asgi_client(
    app: ASGIApp, *, base_url: str = "http://adapter.test"
) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client calling `app` in-process, with its lifespan running."""
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield client


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


def run(coro: Any) -> Any:
    """Run a coroutine from synchronous test code."""
    return asyncio.run(coro)

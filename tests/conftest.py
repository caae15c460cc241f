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
import structlog
import uvicorn
import yaml
from asgi_lifespan import LifespanManager
from starlette.types import ASGIApp

from adapter.config import Settings, settings_from_mapping
from adapter.logs import configure_logging

ROOT = Path(__file__).resolve().parent.parent
REFERENCE_CONFIG = ROOT / "config.yaml"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
CHAT_AUTH = ("root", "abc")

SettingsFactory = Callable[..., Settings]


def free_port() -> int:
    """A TCP port on loopback that nobody listens on right now (it may be taken a moment later).

    Only for a server that is started with `spawn_on_free_port`, which tries another port when
    this one was taken in between; a port that must stay closed comes from `refused_port`.
    """
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# Sockets bound (never listening) for the rest of the session by `refused_port`.
_HELD_PORTS: list[socket.socket] = []


def refused_port() -> int:
    """A loopback port that refuses every connection for the rest of the test session.

    The port stays bound by this process without listening, so the kernel answers a connection
    with a reset and no other server can take the port in the meantime.
    """
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    _HELD_PORTS.append(sock)
    port: int = sock.getsockname()[1]
    return port


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Let go of the ports `refused_port` held."""
    while _HELD_PORTS:
        _HELD_PORTS.pop().close()


def listening_socket() -> socket.socket:
    """A loopback socket bound to a port of the kernel's choosing and listening: no race."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


class ServerExited(RuntimeError):
    """A server process ended before it listened (typically: its port was taken meanwhile)."""


def wait_for_port(
    port: int, *, timeout: float = 15.0, process: subprocess.Popen[bytes] | None = None
) -> None:
    """Block until something accepts connections on 127.0.0.1:port (and `process` still runs)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise ServerExited(f"the server exited with {process.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            if process is None or process.poll() is None:
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
        wait_for_port(port, process=process)
    except (TimeoutError, ServerExited):
        stop_process(process)
        raise
    return process


_PORT_ATTEMPTS = 5


def spawn_on_free_port(
    argv_for: Callable[[int], Sequence[str]], **options: Any
) -> tuple[subprocess.Popen[bytes], int]:
    """Start the server `argv_for(port)` on a free port, trying another when one was taken."""
    for attempt in range(1, _PORT_ATTEMPTS + 1):
        port = free_port()
        try:
            return spawn_listening(argv_for(port), port, **options), port
        except ServerExited:
            if attempt == _PORT_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


async def stop_process_async(process: subprocess.Popen[bytes]) -> None:
    """`stop_process` off the event loop, so the loop's other tasks keep running meanwhile."""
    await asyncio.to_thread(stop_process, process)


def start_demo_upstream(*args: str) -> DemoUpstream:
    """Start `imbachat-adapter demo-upstream` on a free port and wait until it listens."""
    process, port = spawn_on_free_port(
        lambda port: [*ADAPTER_COMMAND, "demo-upstream", "--port", str(port), *args]
    )
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
        # The socket is bound and listening before uvicorn starts: no port can be lost to a race.
        self.socket = listening_socket()
        self.port: int = self.socket.getsockname()[1]
        config = uvicorn.Config(app, log_config=None, lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True
        )

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
        self.socket.close()


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


def run(coro: Any) -> Any:
    """Run a coroutine from synchronous test code."""
    return asyncio.run(coro)

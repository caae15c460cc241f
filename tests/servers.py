"""Servers the suite starts for real: loopback ports, processes, uvicorn threads, private Redis.

Every server binds a port the kernel chose, or retries on another when one was taken meanwhile;
a URL that must be refused points at a port held closed for the session (`refused_port`).
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.types import ASGIApp

__all__ = [
    "ADAPTER_COMMAND",
    "DemoUpstream",
    "LiveServer",
    "PrivateRedis",
    "free_port",
    "redis_argv",
    "refused_port",
    "release_refused_ports",
    "require_redis_server",
    "spawn_listening",
    "spawn_on_free_port",
    "start_demo_upstream",
    "stop_process",
]

# The project's own command, as a subprocess runs it.
ADAPTER_COMMAND = (sys.executable, "-m", "adapter")


# --- ports ---------------------------------------------------------------------------------------


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


def release_refused_ports() -> None:
    """Let go of the ports `refused_port` held (at the end of the session)."""
    while _HELD_PORTS:
        _HELD_PORTS.pop().close()


def _listening_socket(port: int = 0) -> socket.socket:
    """A loopback socket bound to `port` (0: of the kernel's choosing, no race) and listening."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(128)
    return sock


# --- processes -----------------------------------------------------------------------------------


class ServerExited(RuntimeError):
    """A server process ended before it listened (typically: its port was taken meanwhile)."""


def _wait_for_port(
    port: int, *, timeout: float = 60.0, process: subprocess.Popen[bytes] | None = None
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


def spawn_listening(argv: Sequence[str], port: int, **options: Any) -> subprocess.Popen[bytes]:
    """Start a server process and wait until it listens on `port`; stop it if it never does."""
    options.setdefault("stdout", subprocess.DEVNULL)
    options.setdefault("stderr", subprocess.DEVNULL)
    process = subprocess.Popen(list(argv), **options)
    try:
        _wait_for_port(port, process=process)
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


def stop_process(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# --- the demo upstream as its own process --------------------------------------------------------


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


def start_demo_upstream(*args: str) -> DemoUpstream:
    """Start `imbachat-adapter demo-upstream` on a free port and wait until it listens."""
    process, port = spawn_on_free_port(
        lambda port: [*ADAPTER_COMMAND, "demo-upstream", "--port", str(port), *args]
    )
    return DemoUpstream(f"http://127.0.0.1:{port}", process)


# --- serving an ASGI app -------------------------------------------------------------------------


class LiveServer:
    """uvicorn serving an ASGI app on a loopback port in a background thread."""

    def __init__(self, app: ASGIApp, port: int = 0) -> None:
        # The socket is bound and listening before uvicorn starts: no port can be lost to a race.
        # A given port serves the app again where an earlier server stopped (a site restart).
        self.socket = _listening_socket(port)
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


# --- a Redis server of a test's own --------------------------------------------------------------


def require_redis_server() -> str:
    """The redis-server binary, or a visible skip where it is not installed."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip(
            "redis-server is not installed (Debian: apt-get install redis-server; "
            "`make test` installs it); tests that start their own Redis are skipped"
        )
    return binary


_REDIS_OPTIONS = ("--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no")


def redis_argv(binary: str, port: int, workdir: Path, *extra: str) -> list[str]:
    """The command line of a loopback redis-server that persists nothing."""
    return [binary, "--port", str(port), *_REDIS_OPTIONS, "--dir", str(workdir), *extra]


@dataclass
class PrivateRedis:
    """A redis-server of one test's own that the test may stop and start again on its port.

    Without a `port`, the first start takes a free one (another if it was taken meanwhile); a
    restart reuses it, so clients configured with `url` reach the new server.
    """

    binary: str
    workdir: Path
    port: int | None = None
    extra: tuple[str, ...] = ()
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> PrivateRedis:
        if self.process is not None:
            return self
        if self.port is None:
            self.process, self.port = spawn_on_free_port(
                lambda port: redis_argv(self.binary, port, self.workdir, *self.extra)
            )
        else:
            argv = redis_argv(self.binary, self.port, self.workdir, *self.extra)
            self.process = spawn_listening(argv, self.port)
        return self

    def stop(self) -> None:
        """Kill the server (its data is gone: nothing is persisted)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

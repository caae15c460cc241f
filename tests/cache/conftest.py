"""Private Redis servers: one a test can stop and restart, and a real three-node Redis Cluster."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from tests.servers import free_port, spawn_listening, spawn_on_free_port, stop_process

__all__ = ["PrivateRedis", "private_redis", "redis_cluster", "require_redis_server"]

_READY_ATTEMPTS = 200


def require_redis_server() -> str:
    """The redis-server binary, or a visible skip where it is not installed."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip(
            "redis-server is not installed (Debian: apt-get install redis-server; "
            "`make test` installs it); tests that start their own Redis are skipped"
        )
    return binary


_OPTIONS = ("--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no")


def _argv(binary: str, port: int, workdir: Path, *extra: str) -> list[str]:
    return [binary, "--port", str(port), *_OPTIONS, "--dir", str(workdir), *extra]


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
                lambda port: _argv(self.binary, port, self.workdir, *self.extra)
            )
        else:
            argv = _argv(self.binary, self.port, self.workdir, *self.extra)
            self.process = spawn_listening(argv, self.port)
        return self

    def stop(self) -> None:
        """Kill the server (its data is gone: nothing is persisted)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


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


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A three-node Redis Cluster (no replicas) on loopback; the URL of its first node."""
    binary = require_redis_server()
    cli = shutil.which("redis-cli")
    if cli is None:
        pytest.skip("redis-cli is not installed; it is needed to create the test cluster")
    workdir = tmp_path_factory.mktemp("redis-cluster")
    ports: list[int] = []
    processes: list[subprocess.Popen[bytes]] = []

    def node(port: int) -> list[str]:
        return _argv(
            binary,
            port,
            workdir,
            "--cluster-enabled",
            "yes",
            # The bus port defaults to port + 10000, which may be taken or above 65535.
            "--cluster-port",
            str(free_port()),
            "--cluster-config-file",
            str(workdir / f"nodes-{port}.conf"),
        )

    try:
        for _ in range(3):
            process, port = spawn_on_free_port(node)
            processes.append(process)
            ports.append(port)
        subprocess.run(
            [
                cli,
                "--cluster",
                "create",
                *(f"127.0.0.1:{port}" for port in ports),
                "--cluster-replicas",
                "0",
                "--cluster-yes",
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        _wait_until_ok(ports)
        yield f"redis://127.0.0.1:{ports[0]}"
    finally:
        for process in processes:
            stop_process(process)


def _wait_until_ok(ports: list[int]) -> None:
    for port in ports:
        client = redis.Redis(port=port, socket_timeout=2)
        try:
            for _ in range(_READY_ATTEMPTS):
                if client.cluster("info").get("cluster_state") == "ok":
                    break
                time.sleep(0.05)
            else:
                raise RuntimeError(f"the test cluster node {port} never reached cluster_state:ok")
        finally:
            client.close()

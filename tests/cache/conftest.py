"""Private Redis servers: one a test can stop and restart, and a real three-node Redis Cluster."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis

from tests.conftest import free_port, spawn_listening, stop_process

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


def _spawn(binary: str, port: int, workdir: Path, *extra: str) -> subprocess.Popen[bytes]:
    options = ("--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no")
    argv = [binary, "--port", str(port), *options, "--dir", str(workdir), *extra]
    return spawn_listening(argv, port)


@dataclass
class PrivateRedis:
    """A redis-server of one test's own, on a fixed free port, that the test may stop and start."""

    binary: str
    workdir: Path
    port: int = field(default_factory=free_port)
    extra: tuple[str, ...] = ()
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> PrivateRedis:
        if self.process is None:
            self.process = _spawn(self.binary, self.port, self.workdir, *self.extra)
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
    ports = [free_port() for _ in range(3)]
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for port in ports:
            processes.append(
                _spawn(
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
            )
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

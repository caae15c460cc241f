"""A real three-node Redis Cluster for the cache tests (private servers: tests/conftest.py)."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from tests.servers import (
    free_port,
    redis_argv,
    require_redis_server,
    spawn_on_free_port,
    stop_process,
)

__all__ = ["private_redis_cluster", "redis_cluster"]

_READY_ATTEMPTS = 200


@dataclass
class _Cluster:
    """A running test cluster: its nodes' processes and ports."""

    processes: list[subprocess.Popen[bytes]]
    ports: list[int]

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.ports[0]}"


@contextlib.contextmanager
def _cluster(workdir: Path) -> Iterator[_Cluster]:
    """Three Redis Cluster nodes (no replicas) on loopback, joined; all stopped after."""
    binary = require_redis_server()
    cli = shutil.which("redis-cli")
    if cli is None:
        pytest.skip("redis-cli is not installed; it is needed to create the test cluster")
    cluster = _Cluster([], [])

    def node(port: int) -> list[str]:
        return redis_argv(
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
            cluster.processes.append(process)
            cluster.ports.append(port)
        subprocess.run(
            [
                cli,
                "--cluster",
                "create",
                *(f"127.0.0.1:{port}" for port in cluster.ports),
                "--cluster-replicas",
                "0",
                "--cluster-yes",
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        _wait_until_ok(cluster.ports)
        yield cluster
    finally:
        for process in cluster.processes:
            stop_process(process)


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A three-node Redis Cluster (no replicas) on loopback; the URL of its first node."""
    with _cluster(tmp_path_factory.mktemp("redis-cluster")) as cluster:
        yield cluster.url


@pytest.fixture
def private_redis_cluster(
    tmp_path: Path,
) -> Iterator[tuple[str, list[subprocess.Popen[bytes]]]]:
    """A three-node Redis Cluster of one test's own: its URL and its nodes, which the test may
    stop."""
    with _cluster(tmp_path) as cluster:
        yield cluster.url, cluster.processes


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

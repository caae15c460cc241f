"""A real three-node Redis Cluster for the cache tests (private servers: tests/conftest.py)."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator

import pytest
import redis

from tests.servers import (
    free_port,
    redis_argv,
    require_redis_server,
    spawn_on_free_port,
    stop_process,
)

__all__ = ["redis_cluster"]

_READY_ATTEMPTS = 200


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

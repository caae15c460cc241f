"""The adapter served by its own command, as a process, for shutdown and log tests."""

from __future__ import annotations

import itertools
import logging
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import structlog

from tests.cli.support import environment
from tests.conftest import ADAPTER_COMMAND, spawn_on_free_port, stop_process


@dataclass
class Served:
    """`python -m adapter serve` running on a loopback port."""

    process: subprocess.Popen[bytes]
    port: int
    stderr: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> tuple[int, str]:
        """SIGTERM, wait, and return the exit code and everything it wrote to stderr."""
        self.process.terminate()
        try:
            code = self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise
        return code, self.stderr.read_text()


_SERVED = itertools.count()


def serve(config: Path, *args: str, env: dict[str, str] | None = None) -> Served:
    """Start `serve` with `config` (stderr to a file beside it) and wait until it listens."""
    stderr = config.with_name(f"serve-{next(_SERVED)}.log")
    with stderr.open("wb") as sink:
        process, port = spawn_on_free_port(
            lambda port: [*ADAPTER_COMMAND, "serve", "-c", str(config), "--port", str(port), *args],
            stderr=sink,
            env=env if env is not None else environment(),
        )
    return Served(process, port, stderr)


@pytest.fixture
def serve_adapter() -> Iterator[Callable[..., Served]]:
    """Start `serve` processes; any still running after the test is stopped."""
    started: list[Served] = []

    def start(config: Path, *args: str, env: dict[str, str] | None = None) -> Served:
        served = serve(config, *args, env=env)
        started.append(served)
        return served

    yield start
    for served in started:
        if served.process.poll() is None:
            stop_process(served.process)


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Root logging and structlog as they were before the test."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    config = structlog.get_config()
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.configure(**config)

"""Fixtures for the shutdown and log tests: `serve` processes, logging restored after a test."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import structlog

from tests.ops.support import Served, serve
from tests.servers import stop_process


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
